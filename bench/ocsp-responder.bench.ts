// OCSP over HTTP on this machine: `qoltanba serve --workers 2` against `openssl ocsp -index …
// -multi 2` (which signs every response) on the same 200,000 certificates, 1% revoked, loaded by wrk
// on the same machine with random SHA-1 CertIDs (RFC 5019 requests: one certificate, no nonce).
// Needs wrk (Debian package). Run: node --import tsx bench/ocsp-responder.bench.ts
// Knobs: OCSP_BENCH_CERTIFICATES, OCSP_BENCH_SECONDS, OCSP_BENCH_RUNS, OCSP_BENCH_CONNECTIONS, OCSP_BENCH_THREADS.
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { Agent, request as httpRequest } from "node:http";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { initCertificateAuthority, keyFilePath, openCertificateAuthority, readKeyFile, revokeCertificate, type IssuedCertificate } from "@qoltanba/ca";
import { certIdFor, encodeCertId, issuerHashes, parseOcspResponse, sequence, serialHex, toPem } from "@qoltanba/pki";
import { cpuSeconds, freePort, kill, residentMebibytes, running, startServe, stop } from "./serveProcess.ts";
import { runWrk, wrkVersion, type WrkResult } from "./wrk.ts";

const CERTIFICATES = Number(process.env.OCSP_BENCH_CERTIFICATES ?? 200_000);
const SECONDS = Number(process.env.OCSP_BENCH_SECONDS ?? 10);
const RUNS = Number(process.env.OCSP_BENCH_RUNS ?? 3);
const CONNECTIONS = Number(process.env.OCSP_BENCH_CONNECTIONS ?? 32);
const THREADS = Number(process.env.OCSP_BENCH_THREADS ?? 1);
const WORKERS = 2;
const REVOKED_EVERY = 100;
const BATCH = 10_000;
const PASSWORD = "ocsp bench password";
const SCRIPT = resolve(import.meta.dirname, "ocsp-wrk.lua");

const log = (line: string) => process.stderr.write(`${line}\n`);

/**
 * Waits for a listening socket on the port (or for it to go), read from /proc/net: a probe connection would not do,
 * as an empty connection sends an openssl responder process into that endless loop.
 */
async function listensOn(port: number, listening = true): Promise<void> {
  const local = `:${port.toString(16).toUpperCase().padStart(4, "0")} `;
  for (let attempt = 0; attempt < 100; attempt++) {
    const tables = ["/proc/net/tcp", "/proc/net/tcp6"].map((file) => readFileSync(file, "utf8")).join("\n");
    if (tables.split("\n").some((line) => line.includes(local) && / 0A /.test(line)) === listening) return;
    await sleep(100);
  }
  throw new Error(`port ${port} is ${listening ? "not listened on" : "still listened on"}`);
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;

interface Measured {
  readonly rate: number;
  /** Requests per CPU second of the server's processes: what other load on the machine does not move. */
  readonly perCpuSecond: number;
  readonly p99: number;
  readonly runs: WrkResult[];
}

/** RUNS wrk runs against a server; `start` (re)starts it for each run and returns its pid and a stop. */
async function measure(label: string, url: string, env: Record<string, string>, start: () => Promise<{ pid: number; stop?: () => Promise<void> }>): Promise<Measured> {
  const runs: WrkResult[] = [];
  const perCpu: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const server = await start();
    const cpuBefore = cpuSeconds(server.pid);
    const result = runWrk({ url, threads: THREADS, connections: CONNECTIONS, seconds: SECONDS, script: SCRIPT, env });
    const cpu = cpuSeconds(server.pid) - cpuBefore;
    await server.stop?.();
    perCpu.push(result.requests / cpu);
    log(
      `  ${label} run ${run + 1}: ${result.requestsPerSecond.toFixed(0)} requests/s, ${(result.requests / cpu).toFixed(0)} per server CPU second, ` +
        `p99 ${result.p99Milliseconds.toFixed(2)} ms, non-2xx ${result.non2xx}, socket errors ${result.socketErrors}, load ${loadavg()[0]!.toFixed(1)}`,
    );
    runs.push(result);
  }
  return { rate: median(runs.map((run) => run.requestsPerSecond)), perCpuSecond: median(perCpu), p99: median(runs.map((run) => run.p99Milliseconds)), runs };
}

/**
 * Each worker keeps its own cache, so every worker must sign every response once. The cluster
 * hands out connections in turn: connection j goes to worker j mod WORKERS when they are opened
 * one by one, and slice ⌊j / WORKERS⌋ of the requests goes over it. A pass is repeated (slices
 * rotated) until no response in it was signed during it, i.e. every answer came from a cache.
 */
async function warmUp(port: number, requests: Buffer[]): Promise<void> {
  const connections = 8 * WORKERS;
  const slices = connections / WORKERS;
  const agents = Array.from({ length: connections }, () => new Agent({ keepAlive: true, maxSockets: 1 }));
  const post = (agent: Agent, body: Buffer) =>
    new Promise<Buffer>((resolveBody, reject) => {
      const request = httpRequest({ host: "127.0.0.1", port, method: "POST", path: "/ocsp", agent, headers: { "content-type": "application/ocsp-request" } }, (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => resolveBody(Buffer.concat(chunks)));
      });
      request.on("error", reject);
      request.end(body);
    });
  for (const agent of agents) await post(agent, requests[0]!);
  for (let pass = 0; pass < 6; pass++) {
    const start = Math.ceil(Date.now() / 1000) * 1000;
    await sleep(start - Date.now());
    let signedNow = 0;
    const began = performance.now();
    await Promise.all(
      agents.map(async (agent, index) => {
        const slice = Math.floor(((index + pass * WORKERS) % connections) / WORKERS);
        for (let at = slice; at < requests.length; at += slices) {
          const response = parseOcspResponse(await post(agent, requests[at]!));
          if (response.status !== "successful") throw new Error(`warm-up got ${response.status}`);
          if (response.producedAt.getTime() >= start) signedNow++;
        }
      }),
    );
    log(`  warm-up pass ${pass + 1}: ${requests.length * WORKERS} requests in ${((performance.now() - began) / 1000).toFixed(0)} s, ${signedNow} signed during it`);
    if (signedNow === 0) {
      for (const agent of agents) agent.destroy();
      return;
    }
  }
  throw new Error("the caches did not fill: connections did not reach every worker");
}

const work = mkdtempSync(join(tmpdir(), "qoltanba-ocsp-bench-"));
const children: ChildProcess[] = [];
try {
  log(`machine: ${cpus()[0]?.model} × ${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, load ${loadavg().map((load) => load.toFixed(1)).join(" ")}`);
  const tools = `Node ${process.version}, ${execFileSync("openssl", ["version"], { encoding: "utf8" }).trim()}, ${wrkVersion()}`;
  log(tools);
  const port = await freePort();
  const dir = join(work, "ca");
  await initCertificateAuthority({ dir, password: PASSWORD, baseUrl: `http://127.0.0.1:${port}` });
  const ca = await openCertificateAuthority(dir, { password: PASSWORD });

  // Only serials and states matter to OCSP: the rows hold a placeholder instead of certificates.
  let began = performance.now();
  const serials: Buffer[] = [];
  const now = new Date();
  const notAfter = new Date(now.getTime() + 365 * 86_400_000);
  const placeholder = Buffer.from("synthetic row for the OCSP benchmark");
  for (let start = 0; start < CERTIFICATES; start += BATCH) {
    const batch: IssuedCertificate[] = [];
    for (let index = start; index < Math.min(start + BATCH, CERTIFICATES); index++) {
      const serial = randomBytes(16);
      serial[0] = (serial[0]! & 0x7f) | 0x01;
      serials.push(serial);
      batch.push({ serial: serialHex(serial), profile: "individual-sign", owner: `bench-${index}`, spkiSha256: randomBytes(32).toString("hex"), notBefore: now, notAfter, issuedAt: now, der: placeholder });
    }
    await ca.store.recordIssued(batch);
  }
  const revoked = new Map<string, { at: Date; reason: string }>();
  for (let index = 0; index < serials.length; index += REVOKED_EVERY) {
    const reason = index % (2 * REVOKED_EVERY) === 0 ? "keyCompromise" : "superseded";
    const result = await revokeCertificate(ca, { serial: serialHex(serials[index]!), reason });
    revoked.set(result.serial, { at: result.revokedAt, reason });
  }
  log(`${CERTIFICATES} certificates recorded, ${revoked.size} revoked, in ${((performance.now() - began) / 1000).toFixed(0)} s`);

  // The same certificates for openssl: an index.txt and the responder key, decrypted into a 0600 file.
  const files = { issuing: join(work, "issuing.pem"), ocsp: join(work, "ocsp.pem"), key: join(work, "ocsp.key"), index: join(work, "index.txt") };
  writeFileSync(files.issuing, toPem("CERTIFICATE", ca.certificates.issuing));
  writeFileSync(files.ocsp, toPem("CERTIFICATE", ca.certificates.ocsp));
  const ocspKey = await readKeyFile(keyFilePath(dir, "ocsp"), PASSWORD);
  writeFileSync(files.key, ocspKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
  const utcTime = (date: Date) => date.toISOString().replace(/^\d\d(\d\d)-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d).*$/, "$1$2$3$4$5$6Z");
  const lines = serials.map((serial, index) => {
    const hex = serialHex(serial).toUpperCase();
    const state = revoked.get(serialHex(serial));
    return state
      ? `R\t${utcTime(notAfter)}\t${utcTime(state.at)},${state.reason}\t${hex}\tunknown\t/CN=bench ${index}`
      : `V\t${utcTime(notAfter)}\t\t${hex}\tunknown\t/CN=bench ${index}`;
  });
  writeFileSync(files.index, lines.join("\n") + "\n");
  writeFileSync(`${files.index}.attr`, "unique_subject = no\n");
  await ca.close();

  // RFC 5019 requests: one SHA-1 CertID, no nonce; as POST bodies and as GET paths.
  const issuer = issuerHashes(ca.certificates.issuing, "sha1");
  const requests = serials.map((serial) => sequence(sequence(sequence(sequence(encodeCertId(certIdFor(issuer, serial)))))));
  writeFileSync(join(work, "sample.req"), requests[0]!);
  execFileSync("openssl", ["ocsp", "-reqin", join(work, "sample.req"), "-req_text"], { stdio: "ignore" });
  const postFile = join(work, "post.bin");
  writeFileSync(postFile, Buffer.concat(requests.flatMap((request) => [Buffer.from([request.length >> 8, request.length & 0xff]), request])));
  const getFile = join(work, "get.txt");
  writeFileSync(getFile, requests.map((request) => `/ocsp/${encodeURIComponent(request.toString("base64"))}`).join("\n") + "\n");

  log(`qoltanba serve --workers ${WORKERS} on port ${port}`);
  const serve = await startServe(["--dir", dir, "--listen", `127.0.0.1:${port}`, "--workers", String(WORKERS)], { QOLTANBA_KEY_PASSWORD: PASSWORD });
  children.push(serve);
  began = performance.now();
  await warmUp(port, requests);
  log(`caches warm in ${((performance.now() - began) / 1000).toFixed(0)} s; resident MiB (primary, workers): ${residentMebibytes(serve.pid!).join(", ")}`);

  const url = `http://127.0.0.1:${port}`;
  const host = `127.0.0.1:${port}`;
  const running = async () => ({ pid: serve.pid! });
  const ours = {
    post: await measure("qoltanba POST", url, { OCSP_MODE: "post", OCSP_REQUESTS: postFile, OCSP_HOST: host }, running),
    get: await measure("qoltanba GET", url, { OCSP_MODE: "get", OCSP_REQUESTS: getFile, OCSP_HOST: host }, running),
    close: await measure("qoltanba POST, new connection each", url, { OCSP_MODE: "post", OCSP_REQUESTS: postFile, OCSP_HOST: host, OCSP_CLOSE: "1" }, running),
  };
  log(`resident MiB after the runs (primary, workers): ${residentMebibytes(serve.pid!).join(", ")}`);
  await stop(serve);

  // openssl's responder answers HTTP/1.0, one connection at a time per process, so every request
  // comes on a new connection; and after a run its processes spin on the connections wrk dropped
  // (read() at end of file, over and over), so each run gets a fresh responder.
  const opensslPort = await freePort();
  const opensslUrl = `http://127.0.0.1:${opensslPort}`;
  const startOpenssl = async () => {
    const responder = spawn(
      "openssl",
      ["ocsp", "-index", files.index, "-CA", files.issuing, "-rsigner", files.ocsp, "-rkey", files.key, "-port", String(opensslPort), "-multi", String(WORKERS), "-ndays", "1"],
      { stdio: ["ignore", "ignore", "ignore"] },
    );
    children.push(responder);
    await listensOn(opensslPort);
    await sleep(500); // the -multi children start after the parent listens
    const stopAll = async () => {
      await kill(responder);
      await listensOn(opensslPort, false);
    };
    return { pid: responder.pid!, stop: stopAll };
  };
  log(`openssl ocsp -multi ${WORKERS} on port ${opensslPort}, restarted for each run`);
  const theirs = await measure("openssl POST, new connection each", opensslUrl, { OCSP_MODE: "post", OCSP_REQUESTS: postFile, OCSP_HOST: `127.0.0.1:${opensslPort}`, OCSP_CLOSE: "1" }, startOpenssl);

  const row = (label: string, result: Measured) =>
    `| ${label} | ${result.rate.toFixed(0)} | ${(result.rate / theirs.rate).toFixed(1)}× | ${result.perCpuSecond.toFixed(0)} | ${(result.perCpuSecond / theirs.perCpuSecond).toFixed(1)}× | ${result.p99.toFixed(2)} | ${result.runs.map((run) => run.requestsPerSecond.toFixed(0)).join(", ")} |`;
  console.log(`\n${CERTIFICATES} certificates, wrk -t${THREADS} -c${CONNECTIONS} -d${SECONDS}s, medians of ${RUNS} runs; ${tools}\n`);
  console.log("| server | requests/s | vs openssl | per server CPU second | vs openssl | p99 ms | runs (requests/s) |");
  console.log("|---|---|---|---|---|---|---|");
  console.log(row(`qoltanba serve --workers ${WORKERS}, POST`, ours.post));
  console.log(row(`qoltanba serve --workers ${WORKERS}, GET`, ours.get));
  console.log(row(`qoltanba serve --workers ${WORKERS}, POST, Connection: close`, ours.close));
  console.log(row(`openssl ocsp -multi ${WORKERS}, POST, Connection: close (signs each)`, theirs));
} finally {
  for (const child of children) if (running(child)) await kill(child);
  rmSync(work, { recursive: true, force: true });
}
