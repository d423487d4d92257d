// The enrollment portal with millions of applications (the seed's portal serves 3.7 million users),
// on SQLite and PostgreSQL: status lookups at 200 concurrent requests, submissions per second (CSR
// checks included) and the home page's server time.
// Run: node --import tsx bench/portal.bench.ts [--applications 4000000] [--engine both|sqlite|postgres]
//      [--lookups 20000] [--concurrency 200] [--submissions 600]
import { generateKeyPair, randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { parseArgs } from "node:util";
import { Worker } from "node:worker_threads";
import SQLite from "better-sqlite3";
import { CompiledQuery, sql } from "kysely";
import { createCertificationRequest, localSigningKey, toPem } from "@qoltanba/pki";
import { cpuSince, cpuSnapshot } from "./cpuUsage.ts";
import {
  createCaServer,
  DEMO_PERSONS_FILE,
  initCertificateAuthority,
  inProcessCaClient,
  newApplicationNumber,
  openCertificateAuthority,
  POSTGRES_BENCH_URL,
  Portal,
} from "./support.ts";

const { values } = parseArgs({
  options: {
    applications: { type: "string", default: "4000000" },
    engine: { type: "string", default: "both" },
    lookups: { type: "string", default: "20000" },
    concurrency: { type: "string", default: "200" },
    submissions: { type: "string", default: "600" },
  },
});
const APPLICATIONS = Number(values.applications);
const LOOKUPS = Number(values.lookups);
const CONCURRENCY = Number(values.concurrency);
const SUBMISSIONS = Number(values.submissions);
const PASSWORD = "benchmark password for CA keys";
const DEMO_IINS = readFileSync(DEMO_PERSONS_FILE, "utf8")
  .trim()
  .split("\n")
  .slice(1)
  .map((line) => line.split(",")[0]!);

/** Every 40th bulk application waits for confirmation (as the last 30 days' would); the rest are issued, installed or closed. */
const statusOf = (i: number) =>
  i % 40 === 0
    ? "submitted"
    : i % 40 === 1
      ? "expired"
      : i % 40 === 2
        ? "rejected"
        : i % 2
          ? "issued"
          : "installed";
const luhn = (digits: string) => {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 0) digit = digit * 2 > 9 ? digit * 2 - 9 : digit * 2;
    sum += digit;
  }
  return digits + ((10 - (sum % 10)) % 10);
};
const numberOf = (i: number) => luhn(String(100_000_000_000_000 + i * 7 + 3));
const iinOf = (i: number) => String(800_000_000_000 + i);

/** A PKCS#10 request with an empty subject, signed by its key (what the agent's generateCsr sends). */
async function benchCsr(): Promise<string> {
  const { publicKey, privateKey } = await promisify(generateKeyPair)("rsa", { modulusLength: 2048 });
  const publicKeyInfo = publicKey.export({ type: "spki", format: "der" });
  return toPem("CERTIFICATE REQUEST", await createCertificationRequest({ publicKeyInfo, key: localSigningKey(privateKey) }));
}

/**
 * CSRs for the submissions, kept in the temp folder between runs (each run's databases are new, so
 * a key is still fresh to them): RSA key generation would otherwise dominate the set-up.
 */
async function benchCsrs(count: number): Promise<string[]> {
  const cache = join(tmpdir(), "qoltanba-portal-bench-csrs.json");
  const kept = existsSync(cache) ? (JSON.parse(readFileSync(cache, "utf8")) as string[]) : [];
  if (kept.length < count) {
    const started = performance.now();
    kept.push(...(await Promise.all(Array.from({ length: count - kept.length }, () => benchCsr()))));
    writeFileSync(cache, JSON.stringify(kept));
    console.log(
      `${count} CSRs (RSA-2048 keys) made in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
  }
  return kept.slice(0, count);
}

function row(i: number, now: string) {
  const status = statusOf(i);
  const purged = status === "expired" || status === "rejected";
  const issued = status === "issued" || status === "installed";
  const hex = i.toString(16).padStart(62, "0");
  return [
    numberOf(i),
    status,
    purged ? null : iinOf(i),
    purged ? null : "БЕНЧМАРКОВ",
    purged ? null : "ТЕСТ",
    purged ? null : "ТЕСТОВИЧ",
    null,
    "kk",
    "almaty",
    "almaty.bostandyk",
    "almaty.bostandyk.rc",
    "file",
    purged ? null : `${hex}a1`,
    purged ? null : `${hex}b2`,
    null,
    now,
    now,
    issued ? now : null,
    issued ? now : null,
    status === "installed" ? now : null,
    purged ? now : null,
    purged ? now : null,
    issued ? "bench" : null,
    status === "rejected" ? "bench" : null,
    issued ? `${hex}01` : null,
    issued ? `${hex}02` : null,
  ];
}
const COLUMNS = [
  "number",
  "status",
  "iin",
  "surname",
  "given_name",
  "patronymic",
  "email",
  "language",
  "region",
  "locality",
  "center",
  "storage",
  "auth_spki_sha256",
  "sign_spki_sha256",
  "receipt_hash",
  "submitted_at",
  "deadline_at",
  "confirmed_at",
  "issued_at",
  "installed_at",
  "closed_at",
  "purged_at",
  "operator",
  "rejection_reason",
  "auth_serial",
  "sign_serial",
];

/** Bulk load: secondary indexes dropped and rebuilt afterwards, rows in large batches. */
async function seed(
  portal: Portal,
  engine: "sqlite" | "postgres",
  sqlitePath: string,
  csr: string,
): Promise<void> {
  const now = new Date().toISOString();
  const started = performance.now();
  if (engine === "sqlite") {
    const db = new SQLite(sqlitePath);
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = OFF");
    const indexes = db
      .prepare(
        "select sql from sqlite_master where type = 'index' and tbl_name = 'applications' and sql is not null",
      )
      .all() as Array<{ sql: string }>;
    for (const index of indexes)
      db.exec(`drop index ${/create (?:unique )?index "?(\w+)"?/i.exec(index.sql)![1]}`);
    const insert = db.prepare(
      `insert into applications (${COLUMNS.join(", ")}) values (${COLUMNS.map(() => "?").join(", ")})`,
    );
    const insertCsrs = db.prepare(
      "insert into application_csrs (number, auth_csr, sign_csr) values (?, ?, ?)",
    );
    const batch = db.transaction((from: number, to: number) => {
      for (let i = from; i < to; i++) {
        insert.run(...row(i, now));
        if (statusOf(i) === "submitted") insertCsrs.run(numberOf(i), csr, csr);
      }
    });
    for (let from = 0; from < APPLICATIONS; from += 100_000)
      batch(from, Math.min(APPLICATIONS, from + 100_000));
    const loaded = performance.now();
    for (const index of indexes) db.exec(index.sql);
    db.exec("analyze");
    db.close();
    console.log(
      `sqlite: ${APPLICATIONS} applications inserted in ${((loaded - started) / 1000).toFixed(1)} s, indexes in ${((performance.now() - loaded) / 1000).toFixed(1)} s`,
    );
    return;
  }
  const db = portal.store.db;
  const indexes = (
    await sql<{
      indexname: string;
      indexdef: string;
    }>`select indexname, indexdef from pg_indexes where tablename = 'applications' and schemaname = current_schema() and indexname <> 'applications_pkey'`.execute(
      db,
    )
  ).rows;
  for (const index of indexes) await sql.raw(`drop index ${index.indexname}`).execute(db);
  const types = COLUMNS.map(() => "text[]");
  const insert = `insert into applications (${COLUMNS.join(", ")}) select * from unnest(${types.map((type, index) => `$${index + 1}::${type}`).join(", ")})`;
  for (let from = 0; from < APPLICATIONS; from += 20_000) {
    const rows: Array<ReturnType<typeof row>> = [];
    for (let i = from; i < Math.min(APPLICATIONS, from + 20_000); i++) rows.push(row(i, now));
    const columns = COLUMNS.map((_, column) => rows.map((values) => values[column]));
    await db.executeQuery(CompiledQuery.raw(insert, columns));
    const submitted = rows.filter((values) => values[1] === "submitted").map((values) => values[0] as string);
    if (submitted.length > 0) {
      await db.executeQuery(
        CompiledQuery.raw(
          "insert into application_csrs (number, auth_csr, sign_csr) select n, $2, $2 from unnest($1::text[]) as n",
          [submitted, csr],
        ),
      );
    }
  }
  const loaded = performance.now();
  for (const index of indexes) await sql.raw(index.indexdef).execute(db);
  await sql`analyze applications`.execute(db);
  console.log(
    `postgres: ${APPLICATIONS} applications inserted in ${((loaded - started) / 1000).toFixed(1)} s, indexes in ${((performance.now() - loaded) / 1000).toFixed(1)} s`,
  );
}

interface LoadRequest {
  readonly path: string;
  readonly body: string;
  readonly headers: Record<string, string>;
  /** A string the answer must contain. */
  readonly expect: string;
}

/** The load generator runs in its own thread (its own event loop, the other core), keep-alive HTTP/1.1. */
const LOAD_WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const http = require("node:http");
const { port, requests, concurrency, rate } = workerData;
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
const latencies = new Float64Array(requests.length);
let next = 0, failures = 0, firstFailure = "";
function one(index, scheduled) {
  return new Promise((resolve) => {
    const request = requests[index];
    const started = scheduled ?? performance.now();
    const req = http.request({ host: "127.0.0.1", port, method: "POST", path: request.path, agent, headers: { ...request.headers, "content-length": Buffer.byteLength(request.body) } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => (text += chunk));
      res.on("end", () => {
        latencies[index] = performance.now() - started;
        if (!text.includes(request.expect)) { failures++; firstFailure ||= res.statusCode + " " + text.slice(0, 300); }
        resolve();
      });
    });
    req.on("error", (error) => { failures++; firstFailure ||= error.message; resolve(); });
    req.end(request.body);
  });
}
async function lane() { while (next < requests.length) await one(next++); }
/** Open loop: request i is due at start + i/rate and timed from then (no coordinated omission), with a bounded number in flight. */
async function paced(started) {
  const inFlight = new Set();
  for (let index = 0; index < requests.length; index++) {
    const due = started + (index * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    while (inFlight.size >= concurrency) await Promise.race(inFlight);
    const done = one(index, due).then(() => inFlight.delete(done));
    inFlight.add(done);
  }
  await Promise.all(inFlight);
}
(async () => {
  const started = performance.now();
  if (rate) await paced(started);
  else await Promise.all(Array.from({ length: concurrency }, lane));
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  parentPort.postMessage({ latencies: Array.from(latencies), seconds, failures, firstFailure });
})();`;

/** Closed loop (`concurrency` requests always in flight) or, with `rate`, an open loop of that many requests per second. */
function load(
  port: number,
  requests: LoadRequest[],
  concurrency: number,
  rate?: number,
): Promise<{ latencies: number[]; seconds: number; failures: number; firstFailure: string }> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(LOAD_WORKER, { eval: true, workerData: { port, requests, concurrency, rate } });
    worker.once("message", (message) => {
      resolve(message);
      void worker.terminate();
    });
    worker.once("error", reject);
  });
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
const ms = (value: number) => `${value.toFixed(2)} ms`;

async function run(engine: "sqlite" | "postgres") {
  const work = mkdtempSync(join(tmpdir(), "qoltanba-portal-bench-"));
  const dir = join(work, "ca");
  const schema = `bench_${randomBytes(4).toString("hex")}`;
  const databaseUrl = engine === "postgres" ? `${POSTGRES_BENCH_URL}?schema=${schema}` : undefined;
  await initCertificateAuthority({
    dir,
    password: PASSWORD,
    issuingKeyBits: 2048,
    ...(databaseUrl ? { databaseUrl } : {}),
  });
  const ca = await openCertificateAuthority(dir, { password: PASSWORD });
  const unlimited = { limit: 1e9, windowMilliseconds: 60_000 };
  const portal = await Portal.open({
    ca: inProcessCaClient(ca),
    databaseUrl: databaseUrl ?? "sqlite:portal.sqlite",
    baseDir: dir,
    registry: { kind: "embedded", file: DEMO_PERSONS_FILE },
    rateLimits: { identity: unlimited, submit: unlimited, status: unlimited },
  });
  const csrs = await benchCsrs(2 * SUBMISSIONS + 1);
  await seed(portal, engine, join(dir, "portal.sqlite"), csrs.pop()!);
  await portal.store.db
    .updateTable("counters")
    .set({ value: 3_706_694 })
    .where("name", "=", "users_total")
    .execute();
  await portal.store.db
    .updateTable("counters")
    .set({ value: 3_346_934 })
    .where("name", "=", "users_individual")
    .execute();
  await portal.store.db
    .updateTable("counters")
    .set({ value: 294_745 })
    .where("name", "=", "users_legal")
    .execute();

  const server = await createCaServer(ca);
  const serverTimes = new Map<string, number[]>();
  server.app.addHook("onResponse", async (request, reply) => {
    const key = `${request.method} ${request.url}`;
    if (!serverTimes.has(key)) serverTimes.set(key, []);
    serverTimes.get(key)!.push(reply.elapsedTime);
  });
  await server.app.register(portal.plugin);
  const address = await server.app.listen({ host: "127.0.0.1", port: 0 });
  const port = Number(new URL(address).port);
  const csrfCookie = "benchcsrfcookie";
  const { CsrfTokens } = await import("../packages/portal/src/web/csrf.ts");
  const csrfToken = new CsrfTokens(portal.csrfKey).tokenFor(csrfCookie);
  const cookie = `qcsrf=${csrfCookie}`;

  // Home page: server time of each request, one at a time.
  for (let i = 0; i < 3000; i++) await fetch(`${address}/`).then((response) => response.arrayBuffer());
  const home = serverTimes
    .get("GET /")!
    .slice(500)
    .sort((a, b) => a - b);
  console.log(
    `${engine}: home page server time p50 ${ms(percentile(home, 0.5))}, p99 ${ms(percentile(home, 0.99))} (${home.length} requests)`,
  );

  // Status lookups: number and IIN, random applications that wait for confirmation.
  const submittedIndexes = Array.from({ length: Math.floor(APPLICATIONS / 40) }, (_, k) => k * 40);
  const lookups: LoadRequest[] = Array.from({ length: LOOKUPS }, () => {
    const i = submittedIndexes[Math.floor(Math.random() * submittedIndexes.length)]!;
    return {
      path: "/status",
      body: new URLSearchParams({ _csrf: csrfToken, number: numberOf(i), iin: iinOf(i) }).toString(),
      headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
      expect: 'data-status="submitted"',
    };
  });
  await load(port, lookups.slice(0, 2000), CONCURRENCY);
  serverTimes.set("POST /status", []);
  let busy = performance.eventLoopUtilization();
  let cpu = cpuSnapshot();
  const status = await load(port, lookups, CONCURRENCY);
  const statusBusy = performance.eventLoopUtilization(busy).active / LOOKUPS;
  const statusCpu = cpuSince(cpu).mainThread / 1000 / LOOKUPS;
  const statusLatencies = status.latencies.sort((a, b) => a - b);
  const statusServer = serverTimes.get("POST /status")!.sort((a, b) => a - b);
  console.log(
    `${engine}: status lookups, ${CONCURRENCY} always in flight: ${(LOOKUPS / status.seconds).toFixed(0)}/s, latency p50 ${ms(percentile(statusLatencies, 0.5))}, p99 ${ms(percentile(statusLatencies, 0.99))}; server time p50 ${ms(percentile(statusServer, 0.5))}, p99 ${ms(percentile(statusServer, 0.99))}; server thread busy ${ms(statusBusy)}, CPU ${ms(statusCpu)} per lookup; failures ${status.failures} ${status.firstFailure}`,
  );
  for (const rate of [500, 1000, 2000]) {
    const paced = await load(port, lookups.slice(0, Math.min(LOOKUPS, rate * 8)), CONCURRENCY, rate);
    const latencies = paced.latencies.sort((a, b) => a - b);
    console.log(
      `${engine}: status lookups arriving at ${rate}/s (up to ${CONCURRENCY} in flight): latency p50 ${ms(percentile(latencies, 0.5))}, p99 ${ms(percentile(latencies, 0.99))}; failures ${paced.failures}`,
    );
  }

  // Submissions: each with its own IIN check (made beforehand, as the captcha step would) and fresh keys.
  const expires = new Date(Date.now() + 3_600_000).toISOString();
  const tickets = Array.from({ length: SUBMISSIONS }, (_, k) => ({
    id: `bench-${k}-${randomBytes(6).toString("hex")}`,
    iin: DEMO_IINS[k % DEMO_IINS.length]!,
    number: newApplicationNumber(),
  }));
  for (let from = 0; from < tickets.length; from += 200) {
    await portal.store.db
      .insertInto("captchas")
      .values(
        tickets
          .slice(from, from + 200)
          .map((ticket) => ({
            id: ticket.id,
            answer: "0",
            state: "checked" as const,
            expires_at: expires,
            iin: ticket.iin,
            application_number: ticket.number,
          })),
      )
      .execute();
  }
  const submissions: LoadRequest[] = tickets.map((ticket, k) => ({
    path: "/apply/submit",
    body: JSON.stringify({
      iin: ticket.iin,
      region: "almaty",
      locality: "almaty.bostandyk",
      center: "almaty.bostandyk.rc",
      storage: "file",
      authCsr: csrs[2 * k],
      signCsr: csrs[2 * k + 1],
    }),
    headers: {
      cookie: `${cookie}; qticket=${ticket.id}`,
      "content-type": "application/json",
      accept: "application/json",
      "x-csrf-token": csrfToken,
    },
    expect: '"number"',
  }));
  const before = await portal.store.countApplications();
  serverTimes.set("POST /apply/submit", []);
  busy = performance.eventLoopUtilization();
  cpu = cpuSnapshot();
  const submitted = await load(port, submissions, 20);
  const submitBusy = performance.eventLoopUtilization(busy).active / SUBMISSIONS;
  const submitCpu = cpuSince(cpu).mainThread / 1000 / SUBMISSIONS;
  const after = await portal.store.countApplications();
  const submitServer = serverTimes.get("POST /apply/submit")!.sort((a, b) => a - b);
  console.log(
    `${engine}: submissions (2 CSR signatures, IIN, registry, key checks, one transaction): ${(SUBMISSIONS / submitted.seconds).toFixed(0)}/s at 20 concurrent; server time p50 ${ms(percentile(submitServer, 0.5))}, p99 ${ms(percentile(submitServer, 0.99))}; server thread busy ${ms(submitBusy)}, CPU ${ms(submitCpu)} per submission; stored ${after - before}/${SUBMISSIONS}; failures ${submitted.failures} ${submitted.firstFailure}`,
  );

  await server.close();
  await portal.close();
  await ca.close();
  if (engine === "postgres") {
    const pg = (await import("pg")).default;
    const client = new pg.Client({ connectionString: POSTGRES_BENCH_URL });
    await client.connect();
    await client.query(`drop schema ${schema} cascade`);
    await client.end();
  }
}

for (const engine of values.engine === "both"
  ? (["sqlite", "postgres"] as const)
  : [values.engine as "sqlite" | "postgres"])
  await run(engine);
