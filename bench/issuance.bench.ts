// Issuance throughput of the library call (CSR in, certificate recorded) on SQLite and PostgreSQL,
// measured in one run next to `openssl speed rsa2048` and Node's raw RSA-2048 signing.
// Run: node --import tsx bench/issuance.bench.ts [--seconds N] [--repeats N] [--concurrency 8,16,32,64,128]
//        [--workers N] [--worker-concurrency 16,32] [--postgres URL]
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import {
  initCertificateAuthority,
  openCertificateAuthority,
  verifyAuditChain,
  type CertificateAuthority,
} from "@qoltanba/ca";
import { makeApplicants, type Applicant } from "./csrPool.ts";
import { IssuanceLoad, type IssuedSample } from "./issuanceLoad.ts";
import { describeMachine } from "./machine.ts";
import { opensslRsa2048SignsPerSecond, opensslVerify, opensslVersion } from "./openssl.ts";
import { psql } from "./psql.ts";
import { serverCpuFor } from "./serverCpu.ts";
import { rawSignOneCore, rawSignThreadPool, rawSigningKey } from "./rawSign.ts";
import { ceilings, formatReport, type ReportRow } from "./report.ts";
import { summarize, type RunResult, type RunSummary } from "./stats.ts";
import { WorkerPool } from "./workerPool.ts";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "5" },
    repeats: { type: "string", default: "3" },
    concurrency: { type: "string", default: "8,16,32,64,128" },
    workers: { type: "string", default: "2" },
    "worker-concurrency": { type: "string", default: "16,32" },
    postgres: { type: "string", default: "postgres://postgres@127.0.0.1:5432/test" },
  },
});
const positive = (text: string, name: string) => {
  const value = Number(text);
  if (!(value > 0)) throw new Error(`--${name} must be a positive number, got ${text}`);
  return value;
};
const seconds = positive(values.seconds, "seconds");
const repeats = Math.round(positive(values.repeats, "repeats"));
const concurrencies = values.concurrency.split(",").map((text) => Math.round(positive(text, "concurrency")));
const workerCount = Math.round(positive(values.workers, "workers"));
const workerConcurrencies = values["worker-concurrency"]
  .split(",")
  .map((text) => Math.round(positive(text, "worker-concurrency")));

const OPENSSL_SPEED_SECONDS = 5;
const APPLICANTS = 200;
const WARMUP_SECONDS = 1;
const SAMPLE_PER_RUN = 5;
const RAW_THREAD_POOL_CONCURRENCY = 8;
const POSTGRES_TARGET = 1000;
const NOT_MEASURED: RunSummary = {
  perSecond: Number.NaN,
  p50: Number.NaN,
  p99: Number.NaN,
  cpuPerOperation: Number.NaN,
  mainThreadPerOperation: Number.NaN,
  serverPerOperation: Number.NaN,
  machineBusy: Number.NaN,
  ownShare: Number.NaN,
};

interface Engine {
  readonly name: "SQLite" | "PostgreSQL";
  readonly dir: string;
  readonly databaseUrl: string;
  readonly ca: CertificateAuthority;
  readonly load: IssuanceLoad;
  readonly version: string;
  readonly samples: IssuedSample[];
  workers?: WorkerPool;
}

const log = (line: string) => process.stderr.write(`${line}\n`);

async function main(): Promise<void> {
  const machine = await describeMachine();
  const loadBefore = loadavg();
  const workDir = await mkdtemp(join(tmpdir(), "qoltanba-bench-"));
  const password = randomBytes(18).toString("base64url");
  const runId = randomBytes(6).toString("hex");
  // A database of its own rather than a schema: Kysely's migrator (used by openDatabase) takes
  // migration tables in any schema of the database for its own, so a fresh schema beside another
  // CA's fails to migrate.
  const database = `qoltanba_bench_${runId}`;
  const engines: Engine[] = [];
  try {
    log(`making ${APPLICANTS} RSA-2048 keys and CSRs…`);
    const applicants = await makeApplicants(APPLICANTS);
    engines.push(
      await openEngine("SQLite", join(workDir, "sqlite"), "sqlite:ca.sqlite", password, applicants),
    );
    await psql(values.postgres, `create database ${database}`);
    // The application name finds this run's backends in pg_stat_activity, to count their CPU.
    const postgresUrl = (process: string) => {
      const url = new URL(values.postgres);
      url.pathname = `/${database}`;
      url.searchParams.set("application_name", `qoltanba-bench-${runId}-${process}`);
      return url.toString();
    };
    engines.push(
      await openEngine("PostgreSQL", join(workDir, "postgres"), postgresUrl("main"), password, applicants),
    );
    for (const engine of engines) {
      const databaseUrl = (worker: number) =>
        engine.name === "SQLite" ? engine.databaseUrl : postgresUrl(`worker${worker}`);
      engine.workers = await WorkerPool.open(
        workerCount,
        { dir: engine.dir, password, databaseUrl },
        applicants,
      );
    }
    const rawKey = rawSigningKey();

    const cores = machine.cores;
    const row = (
      setup: string,
      inFlight: string,
      ceiling: ReportRow["ceiling"],
      extra: Pick<ReportRow, "target" | "processes"> = {},
    ) => ({
      setup,
      inFlight,
      ceiling,
      ...extra,
      runs: [] as RunSummary[],
    });
    const openssl = row("`openssl speed rsa2048`, 1 core", "1", ceilings.measured);
    const nodeOneCore = row("Node `crypto.sign` sync, 1 core", "1", ceilings.oneThread);
    const nodeThreadPool = row(
      "Node `crypto.sign` callback, thread pool",
      String(RAW_THREAD_POOL_CONCURRENCY),
      ceilings.cores(cores, cores),
    );
    const issuanceRows = engines.map((engine) => {
      const target = engine.name === "SQLite" ? ("sqlite" as const) : ("postgres" as const);
      return {
        engine,
        single: concurrencies.map((concurrency) =>
          row(`${engine.name} issuance, 1 process`, String(concurrency), ceilings.cores(cores, 1), {
            target,
            processes: 1,
          }),
        ),
        workers: workerConcurrencies.map((concurrency) =>
          row(
            `${engine.name} issuance, ${workerCount} processes`,
            `${workerCount}×${concurrency}`,
            ceilings.cores(cores, workerCount),
            { target, processes: workerCount },
          ),
        ),
      };
    });
    const record = (target: { runs: RunSummary[] }, result: RunResult) => {
      const summary = summarize(result);
      target.runs.push(summary);
      return `${summary.perSecond.toFixed(0)}/s, ${summary.cpuPerOperation.toFixed(0)} CPU µs/op`;
    };
    // Rounds interleave every measurement, so a noisy neighbour skews one round of each, not all of one.
    for (let round = 1; round <= repeats; round++) {
      log(`round ${round}/${repeats}`);
      const opensslRate = await opensslRsa2048SignsPerSecond(OPENSSL_SPEED_SECONDS);
      openssl.runs.push({ ...NOT_MEASURED, perSecond: opensslRate });
      log(`  openssl speed rsa2048: ${opensslRate.toFixed(0)} sign/s`);
      log(`  node sign, 1 core: ${record(nodeOneCore, rawSignOneCore(rawKey, seconds))}`);
      log(
        `  node sign, thread pool: ${record(nodeThreadPool, await rawSignThreadPool(rawKey, seconds, RAW_THREAD_POOL_CONCURRENCY))}`,
      );
      for (const { engine, single, workers } of issuanceRows) {
        for (const [index, concurrency] of concurrencies.entries()) {
          const { result, sample } = await engine.load.run({
            concurrency,
            seconds,
            warmupSeconds: WARMUP_SECONDS,
            sampleSize: SAMPLE_PER_RUN,
          });
          engine.samples.push(...sample);
          log(`  ${engine.name}, 1 process, ${concurrency} in flight: ${record(single[index]!, result)}`);
        }
        for (const [index, concurrency] of workerConcurrencies.entries()) {
          const { result, sample } = await engine.workers!.run({
            concurrency,
            seconds,
            warmupSeconds: WARMUP_SECONDS,
            sampleSize: SAMPLE_PER_RUN,
          });
          engine.samples.push(...sample);
          log(
            `  ${engine.name}, ${workerCount} processes × ${concurrency} in flight: ${record(workers[index]!, result)}`,
          );
        }
      }
    }

    log("checking the issued certificates…");
    const checks: string[] = [];
    for (const engine of engines) {
      const workerIssued = await engine.workers!.close();
      engine.workers = undefined;
      checks.push(await checkEngine(engine, workerIssued, workDir));
    }
    const loadText = (values: number[]) => values.map((value) => value.toFixed(2)).join(" / ");
    const header = [
      "## Machine",
      "",
      `- CPU: ${machine.cpu}, ${machine.cores} cores; RAM ${machine.memoryGiB} GiB`,
      `- Node ${machine.node} (its OpenSSL ${machine.nodeOpenssl}); CLI ${await opensslVersion()}`,
      ...engines.map((engine) => `- ${engine.name} ${engine.version}`),
      `- load average (1/5/15 min) before: ${loadText(loadBefore)}, after: ${loadText(loadavg())}`,
      "",
      `## Results: median of ${repeats} runs of ${seconds} s each (after ${WARMUP_SECONDS} s of warm-up; openssl speed runs ${OPENSSL_SPEED_SECONDS} s)`,
    ];
    const rows = [
      openssl,
      nodeOneCore,
      nodeThreadPool,
      ...issuanceRows.flatMap(({ single, workers }) => [...single, ...workers]),
    ];
    process.stdout.write(
      formatReport({ header, openssl, nodeOneCore, rows, checks, postgresTarget: POSTGRES_TARGET }),
    );
  } finally {
    for (const engine of engines) {
      await engine.workers?.close().catch(() => 0);
      await engine.ca.close();
    }
    await psql(values.postgres, `drop database if exists ${database} with (force)`);
    await rm(workDir, { recursive: true, force: true });
  }
}

async function openEngine(
  name: Engine["name"],
  dir: string,
  databaseUrl: string,
  password: string,
  applicants: readonly Applicant[],
): Promise<Engine> {
  log(`initialising a CA on ${name}…`);
  await mkdir(dir);
  await initCertificateAuthority({ dir, password, databaseUrl });
  const ca = await openCertificateAuthority(dir, { password, databaseUrl });
  const db = ca.store.db;
  const version =
    name === "SQLite"
      ? (
          await db
            .selectNoFrom((eb) => eb.fn<string>("sqlite_version", []).as("version"))
            .executeTakeFirstOrThrow()
        ).version
      : (
          await db
            .selectNoFrom((eb) => eb.fn<string>("current_setting", [eb.val("server_version")]).as("version"))
            .executeTakeFirstOrThrow()
        ).version;
  return {
    name,
    dir,
    databaseUrl,
    ca,
    load: new IssuanceLoad(ca, applicants, serverCpuFor(databaseUrl)),
    version,
    samples: [],
  };
}

/**
 * Honesty checks: openssl verifies the sampled certificates up to the CA's root, the database holds
 * exactly those bytes, every certificate returned is recorded, and the audit chain is intact with
 * one entry per certificate.
 */
async function checkEngine(engine: Engine, workerIssued: number, workDir: string): Promise<string> {
  const { ca, samples } = engine;
  const verifyDir = join(workDir, `verify-${engine.name}`);
  await mkdir(verifyDir);
  const verified = await opensslVerify(
    verifyDir,
    ca.certificates.root,
    ca.certificates.issuing,
    samples.map((sample) => sample.certificate),
  );
  for (const sample of samples) {
    const stored = await ca.store.certificate(sample.serial);
    if (!stored?.der.equals(sample.certificate))
      throw new Error(`${engine.name}: certificate ${sample.serial} is not recorded as returned`);
  }
  const issued = engine.load.issued + workerIssued;
  const recorded = await ca.store.countCertificates();
  if (recorded !== issued)
    throw new Error(`${engine.name}: ${issued} certificates returned but ${recorded} recorded`);
  const audit = await verifyAuditChain(ca.store.auditEntries(), await ca.store.auditHead());
  const initEntries = 4;
  if (audit.problems.length > 0 || audit.count !== issued + initEntries) {
    throw new Error(
      `${engine.name}: audit chain of ${audit.count} entries for ${issued} certificates: ${JSON.stringify(audit.problems.slice(0, 3))}`,
    );
  }
  return `${engine.name}: ${verified} sampled certificates pass \`openssl verify\` to the root and match the database; ${recorded} certificates returned = recorded; audit chain intact (${audit.count} entries)`;
}

await main();
