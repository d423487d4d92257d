// Time-stamps per second from `qoltanba serve` over HTTP, as a ratio of the raw RSA-2048 sign rate
// measured in the same run: `openssl speed rsa2048` (one core) and Node's crypto.sign (one core, and
// on libuv's thread pool as the TSA signs). Each round measures all of them back to back.
// Every rate is given per wall-clock second and per CPU second: `openssl speed` counts CPU time
// unless told -elapsed, and on a shared machine only the CPU-second ratios survive other load.
// Run: node --import tsx bench/tsa.bench.ts [--rounds 3] [--seconds 5] [--concurrency 32]
import { execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { generateKeyPairSync, randomBytes, sign } from "node:crypto";
import { request as httpRequest, Agent } from "node:http";
import { mkdtempSync } from "node:fs";
import { cpus, loadavg, release, tmpdir, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { children, createTimeStampRequest, parseTimeStampResponse, readSingle } from "@qoltanba/pki";
import { initCertificateAuthority } from "./support.ts";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "3" },
    seconds: { type: "string", default: "5" },
    concurrency: { type: "string", default: "32" },
  },
});
const ROUNDS = Number(values.rounds);
const SECONDS = Number(values.seconds);
const CONCURRENCY = Number(values.concurrency);
const PASSWORD = "benchmark password for CA keys";
const BIN = resolve(import.meta.dirname, "../packages/cli/bin/qoltanba.js");

const median = (numbers: number[]) => {
  const sorted = [...numbers].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

interface Rate {
  readonly wall: number;
  readonly cpu: number;
}

/** `openssl speed -mr` prints `+F2:<index>:<bits>:<sign/s>:<verify/s>` for RSA; per CPU second unless -elapsed. */
function opensslSignRate(elapsed: boolean): number {
  const options = ["speed", "-seconds", String(SECONDS), "-mr", ...(elapsed ? ["-elapsed"] : []), "rsa2048"];
  const output = execFileSync("openssl", options, { stdio: ["ignore", "pipe", "ignore"] }).toString();
  const line = /^\+F2:\d+:2048:([\d.]+):/m.exec(output);
  if (!line) throw new Error(`unexpected openssl speed output:\n${output}`);
  return Number(line[1]);
}

/** Runs `work` for about `seconds` and gives its count per wall second and per CPU second of `cpuSeconds`. */
async function measure(
  seconds: number,
  cpuSeconds: () => number,
  work: (until: number) => Promise<number>,
): Promise<Rate> {
  const cpuBefore = cpuSeconds();
  const started = performance.now();
  const count = await work(started + seconds * 1000);
  const wallSeconds = (performance.now() - started) / 1000;
  return { wall: count / wallSeconds, cpu: count / (cpuSeconds() - cpuBefore) };
}

const ownCpuSeconds = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};
const CLOCK_TICKS = Number(execFileSync("getconf", ["CLK_TCK"]).toString());
/** utime + stime of another process, from /proc/PID/stat (fields 14 and 15, counted after the name). */
const processCpuSeconds = (pid: number) => () => {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
};

// What the TSA signs is its DER signed attributes, about this size.
const signedAttributes = randomBytes(260);
const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });

const nodeSyncSignRate = () =>
  measure(SECONDS, ownCpuSeconds, async (until) => {
    let count = 0;
    while (performance.now() < until) {
      sign("sha256", signedAttributes, privateKey);
      count++;
    }
    return count;
  });

const nodePoolSignRate = () =>
  measure(SECONDS, ownCpuSeconds, async (until) => {
    let count = 0;
    const worker = async () => {
      while (performance.now() < until) {
        await new Promise<Buffer>((done, fail) =>
          sign("sha256", signedAttributes, privateKey, (error, signature) =>
            error ? fail(error) : done(signature),
          ),
        );
        count++;
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    return count;
  });

interface Server {
  readonly host: string;
  readonly port: number;
  readonly pid: number;
  stop(): Promise<void>;
}

async function startServer(): Promise<Server> {
  const dir = join(mkdtempSync(join(tmpdir(), "qoltanba-tsa-bench-")), "ca");
  await initCertificateAuthority({ dir, password: PASSWORD, issuingKeyBits: 2048 });
  const server = spawn(process.execPath, [BIN, "serve", "--dir", dir, "--listen", "127.0.0.1:0"], {
    env: { ...process.env, QOLTANBA_KEY_PASSWORD: PASSWORD },
    stdio: ["ignore", "ignore", "pipe"],
  });
  const address = await new Promise<URL>((resolveAddress, reject) => {
    let seen = "";
    server.stderr.on("data", (chunk: Buffer) => {
      seen += chunk.toString();
      const match = /serving on (http:\/\/\S+)/.exec(seen);
      if (match) resolveAddress(new URL(match[1]!));
    });
    server.on("exit", () => reject(new Error(`serve exited: ${seen}`)));
  });
  const exited = new Promise((resolveExit) => server.on("exit", resolveExit));
  return {
    host: address.hostname,
    port: Number(address.port),
    pid: server.pid!,
    stop: async () => {
      server.kill("SIGTERM");
      await exited;
    },
  };
}

const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });

function post(server: Server, body: Buffer): Promise<Buffer> {
  return new Promise((resolveBody, reject) => {
    const request = httpRequest(
      {
        host: server.host,
        port: server.port,
        path: "/tsp",
        method: "POST",
        agent,
        headers: { "content-type": "application/timestamp-query", "content-length": body.length },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () =>
          response.statusCode === 200
            ? resolveBody(Buffer.concat(chunks))
            : reject(new Error(`HTTP ${response.statusCode}`)),
        );
      },
    );
    request.on("error", reject);
    request.end(body);
  });
}

const query = () =>
  createTimeStampRequest({
    hash: "sha256",
    messageImprint: randomBytes(32),
    nonce: randomBytes(8),
    certReq: true,
  });
/** PKIStatus 0 (granted): the first INTEGER of the first SEQUENCE. */
const isGranted = (response: Buffer) => children(children(readSingle(response))[0]!)[0]!.content[0] === 0;

/** Time-stamps per wall second, and per CPU second of the server process. */
const timeStampRate = (server: Server, seconds: number) =>
  measure(seconds, processCpuSeconds(server.pid), async (until) => {
    let count = 0;
    const worker = async () => {
      while (performance.now() < until) {
        const response = await post(server, query());
        if (!isGranted(response))
          throw new Error(`refused: ${JSON.stringify(parseTimeStampResponse(response))}`);
        count++;
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    return count;
  });

const server = await startServer();
const loadBefore = loadavg();
try {
  const sample = parseTimeStampResponse(await post(server, query()));
  if (sample.status !== "granted" || !sample.tstInfo)
    throw new Error("the TSA did not grant the first request");
  // Warm-up by count, not time: the signing path takes thousands of requests to reach its JIT-compiled speed.
  let warmUpLeft = 5000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (warmUpLeft-- > 0) await post(server, query());
    }),
  );
  const rounds: Array<{ openssl: Rate; nodeSync: Rate; nodePool: Rate; tsa: Rate }> = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const openssl = { cpu: opensslSignRate(false), wall: opensslSignRate(true) };
    const nodeSync = await nodeSyncSignRate();
    const nodePool = await nodePoolSignRate();
    const tsa = await timeStampRate(server, SECONDS * 2);
    rounds.push({ openssl, nodeSync, nodePool, tsa });
    const show = (rate: Rate) => `${rate.wall.toFixed(0)}/s (${rate.cpu.toFixed(0)}/CPU-s)`;
    console.log(
      `round ${round}: openssl ${show(openssl)}, node sync ${show(nodeSync)}, node pool ${show(nodePool)}, TSA ${show(tsa)}`,
    );
  }
  type Round = (typeof rounds)[number];
  const row = (label: string, pick: (round: Round) => Rate, digits = 0) =>
    `| ${label} | ${median(rounds.map((r) => pick(r).wall)).toFixed(digits)} | ${median(rounds.map((r) => pick(r).cpu)).toFixed(digits)} |`;
  const ratio = (of: (round: Round) => Rate) => (round: Round) => ({
    wall: round.tsa.wall / of(round).wall,
    cpu: round.tsa.cpu / of(round).cpu,
  });
  console.log(`
machine: ${cpus()[0]!.model}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Linux ${release()}, Node ${process.version}, ${execFileSync("openssl", ["version"]).toString().trim()}
load average (1 min) before ${loadBefore[0]!.toFixed(1)}, after ${loadavg()[0]!.toFixed(1)}; ${ROUNDS} rounds, medians; ${CONCURRENCY} requests in flight over keep-alive HTTP

| RSA-2048 | per wall second | per CPU second |
|---|---|---|
${row(`openssl speed -seconds ${SECONDS} rsa2048, sign (1 core; wall = -elapsed)`, (r) => r.openssl)}
${row("Node crypto.sign, SHA-256, synchronous (1 core)", (r) => r.nodeSync)}
${row(`Node crypto.sign on the thread pool, ${CONCURRENCY} in flight`, (r) => r.nodePool)}
${row("TSA time-stamps over HTTP (qoltanba serve, SQLite, tokens recorded; CPU = server process)", (r) => r.tsa)}
${row(
  "TSA / openssl sign rate",
  ratio((r) => r.openssl),
  2,
)}
${row(
  "TSA / Node synchronous sign rate",
  ratio((r) => r.nodeSync),
  2,
)}
${row(
  "TSA / Node thread-pool sign rate",
  ratio((r) => r.nodePool),
  2,
)}`);
} finally {
  agent.destroy();
  await server.stop();
}
