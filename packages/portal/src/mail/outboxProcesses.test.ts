// Several server processes (`serve --workers N`) on one database each run the outbox: every message
// must still be sent exactly once. Two real processes race over the same due messages.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { randomBytes } from "node:crypto";
import { Inbox, PERSON, startTestPortal, testDatabases, type TestPortal } from "../testSupport.ts";

const APPLICATIONS = 20;
const SENDER = new URL("./outboxSender.testProcess.ts", import.meta.url).pathname;

/** Starts a sender process and resolves once it has opened the database. */
function startSender(args: string[]): Promise<{ child: ChildProcess; result: Promise<{ sent: number; failed: number }> }> {
  const child = spawn(process.execPath, ["--import", "tsx", SENDER, ...args], { stdio: ["pipe", "pipe", "inherit"] });
  const lines = createInterface({ input: child.stdout! });
  return new Promise((resolveReady, reject) => {
    child.once("exit", (code) => reject(new Error(`sender exited with ${code} before it was ready`)));
    lines.once("line", (line) => {
      assert.equal(line, "ready");
      const result = new Promise<{ sent: number; failed: number }>((resolveResult) => lines.once("line", (json) => resolveResult(JSON.parse(json))));
      resolveReady({ child, result });
    });
  });
}

for (const makeDatabase of testDatabases()) {
  const database = makeDatabase();
  describe(`the outbox sent by two processes on ${database.engine}`, () => {
    const inbox = new Inbox();
    let env: TestPortal;
    before(async () => {
      await inbox.start();
      // This process does not send: its worker never polls.
      env = await startTestPortal(database, { mail: { smtpUrl: `smtp://127.0.0.1:${inbox.port}`, worker: { pollMilliseconds: 3_600_000 } } });
    });
    after(async () => {
      await env.close();
      await inbox.stop();
    });

    test("each message arrives exactly once", async () => {
      const { store } = env.portal;
      const now = new Date();
      const later = new Date(now.getTime() + 600_000);
      const numbers: string[] = [];
      for (let index = 0; index < APPLICATIONS; index++) {
        const captcha = randomBytes(8).toString("hex");
        const number = randomBytes(8).readBigUInt64BE().toString().padStart(20, "0").slice(0, 16);
        await store.createCaptcha(captcha, "12345", later);
        assert.equal(await store.takeCaptcha(captcha, "12345", now), "ok");
        await store.bindCaptcha(captcha, PERSON.iin, number, later);
        await store.insertApplication(
          {
            number,
            person: PERSON,
            email: `person${index}@example.kz`,
            language: "kk",
            region: "astana",
            locality: "astana.esil",
            center: "astana.esil.rc",
            storage: "file",
            authCsr: "-",
            signCsr: "-",
            authSpkiSha256: randomBytes(32).toString("hex"),
            signSpkiSha256: randomBytes(32).toString("hex"),
            receiptHash: randomBytes(32).toString("hex"),
            submittedAt: now,
            deadlineAt: new Date(now.getTime() + 30 * 86_400_000),
          },
          captcha,
        );
        await store.reject(number, "operator-1", "тест", now);
        numbers.push(number);
      }
      const databaseUrl = database.url ?? "sqlite:portal.sqlite";
      const senders = await Promise.all([0, 1].map(() => startSender([databaseUrl, env.dir, `smtp://127.0.0.1:${inbox.port}`])));
      for (const { child } of senders) child.stdin!.end("go\n");
      const results = await Promise.all(senders.map(({ result }) => result));
      assert.equal(results.reduce((sum, result) => sum + result.failed, 0), 0);
      assert.equal(results.reduce((sum, result) => sum + result.sent, 0), 2 * APPLICATIONS, `sent by each: ${JSON.stringify(results)}`);
      assert.equal(inbox.messages.length, 2 * APPLICATIONS);
      assert.equal(new Set(inbox.messages.map((message) => message.messageId)).size, 2 * APPLICATIONS, "no message twice");
      for (const number of numbers) {
        assert.deepEqual(await store.outbox(number), [
          { kind: "submitted", outcome: "sent", attempts: 0 },
          { kind: "rejected", outcome: "sent", attempts: 0 },
        ]);
      }
    });
  });
}
