// The Registration Center console's work-queue search over millions of applications, on SQLite and
// PostgreSQL (issue 6: by IIN and by number, p99 under 50 ms). Each kind of search three ways: through
// the console's HTTP route with a signed-in operator's session (the page rendered), the console's
// own search call in process, the store's SQL through the database driver alone, and the same SQL
// run by the database's own CLI (sqlite3 / psql).
// Run: node --import tsx bench/console-search.bench.ts [--applications 4000000] [--engine both|sqlite|postgres]
//      [--requests 1000] [--seconds 3] [--repeats 3] [--concurrency 1,50] [--only surname]
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { loadavg } from "node:os";
import { join } from "node:path";
import { parseArgs, promisify } from "node:util";
import SQLite from "better-sqlite3";
import pg from "pg";
import {
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type CompiledQuery,
} from "kysely";
import { closedLoop } from "./closedLoop.ts";
import { load, type LoadRequest } from "./httpLoad.ts";
import { describeMachine } from "./machine.ts";
import {
  benchCsrs,
  centerOf,
  enginesOf,
  FILL_OPTIONS,
  filledPortal,
  iinOf,
  numberOf,
  servePortal,
  statusOf,
  submittedAtOf,
  SURNAME_STEMS,
  type Engine,
} from "./portalFill.ts";
import { median, quantile } from "./stats.ts";
import { ConsoleStore, POSTGRES_BENCH_URL } from "./support.ts";
import type { QueueFilter, QueueQuery } from "@qoltanba/portal";

const { values } = parseArgs({
  options: {
    ...FILL_OPTIONS,
    requests: { type: "string", default: "1000" },
    seconds: { type: "string", default: "3" },
    repeats: { type: "string", default: "3" },
    concurrency: { type: "string", default: "1,50" },
    /** Only the kinds of search whose name contains this (e.g. "surname"). */
    only: { type: "string", default: "" },
  },
});
const APPLICATIONS = Number(values.applications);
const REQUESTS = Number(values.requests);
const SECONDS = Number(values.seconds);
const REPEATS = Number(values.repeats);
const CONCURRENCIES = values.concurrency.split(",").map(Number);
const CLI_QUERIES = 200;
const run = promisify(execFile);
const pick = <T>(items: readonly T[]) => items[Math.floor(Math.random() * items.length)]!;
const day = (iso: string) => iso.slice(0, 10);

/** One kind of search: the operator's form fields, the store query they become, and what the page must show. */
interface Search {
  readonly filter: QueueFilter;
  readonly query: Omit<QueueQuery, "scope" | "limit">;
  readonly expect: string;
}

/** The searches an operator of `center` makes, each kind over random targets in the center. */
function searches(center: string, end: number): Record<string, () => Search> {
  const mine: number[] = [];
  for (let i = 0; i < APPLICATIONS; i++) if (centerOf(i).code === center) mine.push(i);
  const named = mine.filter((i) => statusOf(i) !== "expired" && statusOf(i) !== "rejected");
  return {
    "by IIN": () => {
      const i = pick(named);
      return { filter: { iin: iinOf(i) }, query: { iin: iinOf(i) }, expect: `data-number="${numberOf(i)}"` };
    },
    "by number": () => {
      const i = pick(mine);
      return {
        filter: { number: numberOf(i) },
        query: { number: numberOf(i) },
        expect: `data-number="${numberOf(i)}"`,
      };
    },
    "by surname prefix": () => {
      const stem = pick(SURNAME_STEMS);
      return { filter: { name: stem }, query: { surname: stem }, expect: "data-number=" };
    },
    "status + 30 days": () => {
      const from = day(submittedAtOf(pick(mine), APPLICATIONS, end));
      const to = day(new Date(Date.parse(from) + 29 * 86_400_000).toISOString());
      return {
        filter: { status: "submitted", from, to },
        query: {
          status: "submitted",
          submittedFrom: new Date(`${from}T00:00:00Z`),
          submittedBefore: new Date(Date.parse(`${to}T00:00:00Z`) + 86_400_000),
        },
        // A month of one center may hold no waiting application: an empty page is an answer too.
        expect: 'id="queue"',
      };
    },
  };
}

/** The SQL the console store sends for `query`, and the same with its parameters written in (for the CLIs). */
async function storeSql(
  engine: Engine,
  query: QueueQuery,
): Promise<{ compiled: CompiledQuery; text: string }> {
  let compiled: CompiledQuery | undefined;
  const dialect =
    engine === "sqlite"
      ? { adapter: SqliteAdapter, introspector: SqliteIntrospector, compiler: SqliteQueryCompiler }
      : { adapter: PostgresAdapter, introspector: PostgresIntrospector, compiler: PostgresQueryCompiler };
  type Database = ConstructorParameters<typeof ConsoleStore>[0] extends Kysely<infer D> ? D : never;
  const capture = new Kysely<Database>({
    dialect: {
      createAdapter: () => new dialect.adapter(),
      createDriver: () => new DummyDriver(),
      createIntrospector: (db) => new dialect.introspector(db),
      createQueryCompiler: () => new dialect.compiler(),
    },
    log: (event) => void (compiled = event.query),
  });
  await new ConsoleStore(capture, engine).searchApplications(query);
  const literal = (value: unknown) =>
    typeof value === "number" ? String(value) : `'${String(value).replace(/'/g, "''")}'`;
  const parameters = compiled!.parameters;
  let next = 0;
  const text =
    engine === "sqlite"
      ? compiled!.sql.replace(/\?/g, () => literal(parameters[next++]))
      : compiled!.sql.replace(/\$(\d+)/g, (_, index: string) => literal(parameters[Number(index) - 1]));
  return { compiled: compiled!, text };
}

/** The database driver alone (better-sqlite3, or node-postgres with the portal's pool size), no Kysely and no console. */
function rawDriver(engine: Engine, dir: string, schema: string | undefined) {
  if (engine === "sqlite") {
    const db = new SQLite(join(dir, "portal.sqlite"), { readonly: true });
    const statements = new Map<string, SQLite.Statement>();
    return {
      run: async (query: CompiledQuery) => {
        if (!statements.has(query.sql)) statements.set(query.sql, db.prepare(query.sql));
        statements.get(query.sql)!.all(...query.parameters);
      },
      close: async () => db.close(),
    };
  }
  const pool = new pg.Pool({
    connectionString: POSTGRES_BENCH_URL,
    max: 8,
    options: `-c search_path=${schema}`,
  });
  return {
    run: async (query: CompiledQuery) => void (await pool.query(query.sql, [...query.parameters])),
    close: () => pool.end(),
  };
}

/** Per-query times (ms) that the database's own CLI reports for `queries`, run one after another. */
async function cliTimes(engine: Engine, dir: string, schema: string | undefined, queries: string[]) {
  if (engine === "sqlite") {
    const script = `.timer on\n.output /dev/null\n${queries.map((query) => `${query};`).join("\n")}\n`;
    const child = execFile("sqlite3", ["-batch", join(dir, "portal.sqlite")], { maxBuffer: 1 << 26 });
    child.stdin!.end(script);
    let output = "";
    child.stdout!.on("data", (chunk: string) => (output += chunk));
    await new Promise((resolve) => child.on("close", resolve));
    return [...output.matchAll(/Run Time: real ([\d.]+)/g)].map((match) => Number(match[1]) * 1000);
  }
  const script = `set search_path to ${schema};\n\\timing on\n${queries.map((query) => `${query};`).join("\n")}\n`;
  const child = execFile("psql", ["-X", "-q", "-o", "/dev/null", POSTGRES_BENCH_URL], { maxBuffer: 1 << 26 });
  child.stdin!.end(script);
  let output = "";
  child.stdout!.on("data", (chunk: string) => (output += chunk));
  await new Promise((resolve) => child.on("close", resolve));
  return [...output.matchAll(/Time: ([\d.]+) ms/g)].map((match) => Number(match[1]));
}

/** The plan the database chooses for `query` (EXPLAIN QUERY PLAN / EXPLAIN ANALYZE), one line each step. */
async function plan(engine: Engine, dir: string, schema: string | undefined, query: string): Promise<string> {
  const output =
    engine === "sqlite"
      ? (await run("sqlite3", [join(dir, "portal.sqlite"), `explain query plan ${query}`])).stdout
      : (
          await run("psql", [
            "-X",
            "-tA",
            POSTGRES_BENCH_URL,
            "-c",
            `set search_path to ${schema}`,
            "-c",
            `explain (analyze, costs off, timing on) ${query}`,
          ])
        ).stdout;
  return output
    .trim()
    .split("\n")
    .filter((line) => line.trim() && line.trim() !== "SET")
    .map((line) => `      ${line}`)
    .join("\n");
}

interface Percentiles {
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
}
const percentiles = (latencies: readonly number[]): Percentiles => {
  const sorted = [...latencies].sort((a, b) => a - b);
  return { p50: quantile(sorted, 0.5), p95: quantile(sorted, 0.95), p99: quantile(sorted, 0.99) };
};
const medianOf = (runs: readonly Percentiles[]): Percentiles => ({
  p50: median(runs.map((run) => run.p50)),
  p95: median(runs.map((run) => run.p95)),
  p99: median(runs.map((run) => run.p99)),
});
const ms = (value: number) => (value < 10 ? value.toFixed(2) : value.toFixed(1));
const line = (label: string, result: Percentiles, extra = "") =>
  console.log(
    `  ${label.padEnd(44)} p50 ${ms(result.p50).padStart(6)}  p95 ${ms(result.p95).padStart(6)}  p99 ${ms(result.p99).padStart(6)} ms${extra}`,
  );

async function bench(engine: Engine) {
  const [csr] = await benchCsrs(1);
  const end = Date.now();
  const filled = await filledPortal(engine, APPLICATIONS, csr!);
  const { portal, ca } = filled;

  // An operator of the center that holds the newest application, signed in: the session row that
  // `RegistrationConsole.signIn` writes once the agent's signature verifies (the login itself is
  // not what is measured).
  const center = centerOf(APPLICATIONS - 1).code;
  const now = new Date();
  const store = portal.consoleStore;
  const operatorId = await store.addOperator({
    iin: "990101300011",
    role: "operator",
    center,
    enrolmentHash: randomBytes(32).toString("hex"),
    enrolmentExpiresAt: new Date(now.getTime() + 86_400_000),
    createdBy: "bench",
    now,
  });
  await store.activateOperator(operatorId, { auth: "bench-auth", sign: "bench-sign" }, now);
  const token = await portal.sessions.open(
    { audience: "console", operatorId, serial: "bench-auth" },
    now,
    new Date(now.getTime() + 86_400_000),
  );
  const { operator } = (await portal.console.session(token))!;

  const { server, port, csrf } = await servePortal({ ca, portal });
  const headers = {
    cookie: `qcsrf=${csrf.cookie}; qconsole=${token}`,
    "content-type": "application/x-www-form-urlencoded",
  };

  const kinds = searches(center, end);
  const driver = rawDriver(engine, filled.dir, filled.schema);
  console.log(
    `\n${engine}: operator of ${center}; ${REPEATS} repeats, medians of each repeat's percentiles; latencies in ms`,
  );
  for (const [kind, make] of Object.entries(kinds).filter(([kind]) => kind.includes(values.only))) {
    const samples = Array.from({ length: Math.max(REQUESTS, CLI_QUERIES) }, make);
    const requests: LoadRequest[] = samples.slice(0, REQUESTS).map((search) => ({
      path: "/console/queue",
      body: new URLSearchParams({
        _csrf: csrf.token,
        ...(search.filter as Record<string, string>),
      }).toString(),
      headers,
      expect: search.expect,
    }));
    const queries = await Promise.all(
      samples
        .slice(0, CLI_QUERIES)
        .map((search) => storeSql(engine, { scope: { center }, ...search.query, limit: 51 })),
    );
    console.log(`${engine} ${kind}:`);
    await load(port, requests.slice(0, 100), 10);
    for (const concurrency of CONCURRENCIES) {
      const http: Percentiles[] = [];
      let failures = 0;
      let firstFailure = "";
      const busy: number[] = [];
      for (let repeat = 0; repeat < REPEATS; repeat++) {
        const before = performance.eventLoopUtilization();
        const result = await load(port, requests, concurrency);
        busy.push(performance.eventLoopUtilization(before).active / requests.length);
        http.push(percentiles(result.latencies));
        failures += result.failures;
        firstFailure ||= result.firstFailure;
      }
      line(
        `HTTP POST /console/queue, ${concurrency} in flight`,
        medianOf(http),
        `  (server thread busy ${ms(median(busy))} ms a search)${failures ? `  FAILURES ${failures}: ${firstFailure}` : ""}`,
      );
      const calls: Percentiles[] = [];
      for (let repeat = 0; repeat < REPEATS; repeat++) {
        const result = await closedLoop(
          async (index) =>
            void (await portal.console.search(operator, samples[index % samples.length]!.filter)),
          { concurrency, seconds: SECONDS, warmupSeconds: 0.5 },
        );
        calls.push(percentiles(result.latencies));
      }
      line(`console.search() in process, ${concurrency} in flight`, medianOf(calls));
      const raw: Percentiles[] = [];
      for (let repeat = 0; repeat < REPEATS; repeat++) {
        const result = await closedLoop((index) => driver.run(queries[index % queries.length]!.compiled), {
          concurrency,
          seconds: SECONDS,
          warmupSeconds: 0.5,
        });
        raw.push(percentiles(result.latencies));
      }
      line(
        `${engine === "sqlite" ? "better-sqlite3" : "node-postgres"} alone, same SQL, ${concurrency} in flight`,
        medianOf(raw),
      );
    }
    const cli: Percentiles[] = [];
    for (let repeat = 0; repeat < REPEATS; repeat++)
      cli.push(
        percentiles(
          await cliTimes(
            engine,
            filled.dir,
            filled.schema,
            queries.map((query) => query.text),
          ),
        ),
      );
    line(`${engine === "sqlite" ? "sqlite3" : "psql"} CLI, same SQL, 1 in flight`, medianOf(cli));
    console.log(`    plan:\n${await plan(engine, filled.dir, filled.schema, queries[0]!.text)}`);
  }

  await driver.close();
  await server.close();
  await filled.close();
}

const machine = await describeMachine();
console.log(
  `${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}; load average ${loadavg()
    .map((value) => value.toFixed(1))
    .join(" ")}`,
);
for (const engine of enginesOf(values.engine)) await bench(engine);
console.log(
  `load average at the end ${loadavg()
    .map((value) => value.toFixed(1))
    .join(" ")}`,
);
