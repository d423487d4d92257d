// Child process of bench/crl-database.bench.ts: opens a CA folder and has its CrlPublisher make
// CRLs of one kind, round after round, so the figures are the publisher's alone (the parent holds
// the bench's own data). The key password comes in QOLTANBA_KEY_PASSWORD, never on the command line;
// QOLTANBA_BENCH_DATABASE_URL, when set, is the CA's PostgreSQL URL with an application_name, whose
// backends' CPU is counted. Prints one JSON line: per round the seconds, the CPU seconds of this
// process and of those backends, and the RSS after it; the RSS once the CA was opened; and the
// process's peak RSS (getrusage), which covers every round.
import { parseArgs } from "node:util";
// From the CA package alone, not ./support.ts: that loads the portal too, whose memory is not the publisher's.
import { CrlPublisher, openCertificateAuthority } from "@qoltanba/ca";
import { cpuBetween, serverCpuFor } from "./serverCpu.ts";

const { values } = parseArgs({ options: { dir: { type: "string" }, kind: { type: "string", default: "full" }, rounds: { type: "string", default: "1" } } });
const kind = values.kind === "delta" ? "delta" : "full";
const password = process.env.QOLTANBA_KEY_PASSWORD;
if (!values.dir || password === undefined) throw new Error("usage: QOLTANBA_KEY_PASSWORD=… crlGeneration.ts --dir DIR [--kind full|delta] [--rounds N]");

const databaseUrl = process.env.QOLTANBA_BENCH_DATABASE_URL;
const serverCpu = databaseUrl ? serverCpuFor(databaseUrl) : undefined;
const ca = await openCertificateAuthority(values.dir, { password, ...(databaseUrl ? { databaseUrl } : {}) });
const publisher = new CrlPublisher(ca);
const rssOpened = process.memoryUsage().rss;
const rounds = [];
for (let round = 0; round < Number(values.rounds); round++) {
  const serverBefore = await serverCpu?.();
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const record = await publisher.generate(kind);
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const serverMicroseconds = serverBefore ? cpuBetween(serverBefore, (await serverCpu!())) : 0;
  rounds.push({
    number: record.number,
    entryCount: record.entryCount,
    byteLength: record.byteLength,
    seconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    serverCpuSeconds: serverMicroseconds / 1e6,
    rssAfter: process.memoryUsage().rss,
  });
}
await ca.close();
console.log(JSON.stringify({ rssOpened, peakRss: process.resourceUsage().maxRSS * 1024, rounds }));
