// One of several processes sending the same outbox (outboxProcesses.test.ts): opens the database,
// waits for "go" on stdin so the processes start together, runs one pass and prints what it sent.
import { createInterface } from "node:readline";
import { PortalStore } from "../storage/portalStore.ts";
import { smtpTransport } from "./mailTransport.ts";
import { OutboxWorker } from "./outboxWorker.ts";

const [databaseUrl, baseDir, smtpUrl] = process.argv.slice(2) as [string, string, string];
const store = await PortalStore.open(databaseUrl, baseDir);
const worker = new OutboxWorker(store, smtpTransport(smtpUrl, "Qoltanba <noreply@qoltanba.test>"));
process.stdout.write("ready\n");
await new Promise<void>((resolve) => createInterface({ input: process.stdin }).once("line", () => resolve()));
const { sent, failed } = await worker.runOnce();
process.stdout.write(`${JSON.stringify({ sent, failed })}\n`);
await worker.stop();
await store.close();
