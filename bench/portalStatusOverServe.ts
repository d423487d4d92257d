// Status lookups as a deployment serves them: `qoltanba serve --workers N` as its own process on the
// filled database, loaded by wrk (its own CPU is a fraction of a Node load generator's) with the
// status form of random waiting applications, 200 connections each with one request in flight;
// then the same load on a node:http floor server, the peer (bench/httpFloorServer.ts).
import type { ChildProcess } from "node:child_process";
import { writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join, resolve } from "node:path";
import { cpuBetween, serverCpuFor } from "./serverCpu.ts";
import { cpuSeconds, freePort, QOLTANBA_BIN, startNodeUntilServing, startServe, stop } from "./serveProcess.ts";
import { runWrk, type WrkResult } from "./wrk.ts";

const SCRIPT = resolve(import.meta.dirname, "portal-status-wrk.lua");
const FLOOR_SERVER = resolve(import.meta.dirname, "httpFloorServer.ts");
/** The peer: node:http alone answering the same requests (bench/httpFloorServer.ts). */
const FLOOR = "node:http floor";

export interface StatusOverServeOptions {
  readonly label: string;
  /** The filled CA folder, and the portal's PostgreSQL URL (undefined: SQLite in the folder). */
  readonly dir: string;
  readonly postgresUrl: string | undefined;
  readonly password: string;
  readonly csrf: { readonly cookie: string; readonly token: string };
  readonly lookups: ReadonlyArray<{ readonly number: string; readonly iin: string }>;
  readonly workers: number;
  readonly connections: number;
  readonly seconds: number;
  readonly rounds: number;
  /** Other checkouts whose `qoltanba` runs in turn with this one's, round after round, on the same database. */
  readonly compareWith: readonly string[];
}

/** The script's own timing of the requests it sent (wrk's percentiles add made-up samples: see the script). */
export interface SentRequests {
  readonly timed: number;
  readonly p50Milliseconds: number;
  readonly p99Milliseconds: number;
  readonly p999Milliseconds: number;
  readonly maxMilliseconds: number;
}

export interface StatusOverServeRun {
  readonly code: string;
  readonly wrk: WrkResult;
  readonly sent: SentRequests;
  readonly wrongAnswers: number;
  /** CPU seconds of serve's processes (primary and workers) and of the PostgreSQL backends serving them. */
  readonly serveCpu: number;
  readonly databaseCpu: number;
}

function sentRequestsOf(output: string): SentRequests {
  const match = /sent requests: (\d+) timed, \d+ not matched; p50 ([\d.]+)ms p90 [\d.]+ms p99 ([\d.]+)ms p99\.9 ([\d.]+)ms max ([\d.]+)ms/.exec(output);
  if (!match) throw new Error(`the wrk script did not time its requests:\n${output}`);
  const [timed, p50, p99, p999, max] = match.slice(1).map(Number) as [number, number, number, number, number];
  return { timed, p50Milliseconds: p50, p99Milliseconds: p99, p999Milliseconds: p999, maxMilliseconds: max };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;

export async function statusOverServe(options: StatusOverServeOptions): Promise<StatusOverServeRun[]> {
  // One client address per prepared lookup: each is asked a few times a run, far below the per-client limit.
  const requestsFile = join(options.dir, "status-requests.txt");
  writeFileSync(
    requestsFile,
    options.lookups
      .map(({ number, iin }, k) => `${number} ${iin} 10.${(k >> 16) & 255}.${(k >> 8) & 255}.${k & 255}\n`)
      .join(""),
  );
  const applicationName = "qoltanba-portal-bench";
  const portalDatabase = options.postgresUrl && `${options.postgresUrl}&application_name=${applicationName}`;
  const databaseCpu = portalDatabase ? serverCpuFor(portalDatabase) : undefined;
  const serveOf =
    (bin: string) =>
    (port: number): Promise<ChildProcess> =>
      startServe(
        ["--dir", options.dir, "--listen", `127.0.0.1:${port}`, "--workers", String(options.workers), "--trusted-proxies", "127.0.0.1"],
        {
          QOLTANBA_KEY_PASSWORD: options.password,
          ...(portalDatabase ? { QOLTANBA_PORTAL_DATABASE: portalDatabase } : {}),
        },
        bin,
      );
  const nameOf = (code: string) =>
    code === FLOOR ? `${FLOOR} (${options.workers} workers)` : `serve --workers ${options.workers} (${code})`;
  const servers = [
    { code: "this checkout", start: serveOf(QOLTANBA_BIN) },
    ...options.compareWith.map((dir) => ({ code: dir, start: serveOf(resolve(dir, "packages/cli/bin/qoltanba.js")) })),
    {
      code: FLOOR,
      start: (port: number) => startNodeUntilServing(["--import", "tsx", FLOOR_SERVER, String(port), String(options.workers)], {}),
    },
  ];
  const runs: StatusOverServeRun[] = [];
  for (let round = 1; round <= options.rounds; round++) {
    for (const { code, start } of servers) {
      const port = await freePort();
      const serve = await start(port);
      try {
        const wrk = (seconds: number) =>
          runWrk({
            url: `http://127.0.0.1:${port}`,
            threads: 2,
            connections: options.connections,
            seconds,
            script: SCRIPT,
            env: {
              STATUS_REQUESTS: requestsFile,
              STATUS_HOST: `127.0.0.1:${port}`,
              STATUS_CSRF_COOKIE: options.csrf.cookie,
              STATUS_CSRF_TOKEN: options.csrf.token,
            },
          });
        wrk(5); // warm-up: compiled code, the database's pages in memory
        const serveBefore = cpuSeconds(serve.pid!);
        const databaseBefore = await databaseCpu?.();
        const result = wrk(options.seconds);
        const run: StatusOverServeRun = {
          code,
          wrk: result,
          sent: sentRequestsOf(result.output),
          wrongAnswers: Number(/wrong answers: (\d+)/.exec(result.output)?.[1] ?? NaN),
          serveCpu: cpuSeconds(serve.pid!) - serveBefore,
          databaseCpu: databaseBefore ? cpuBetween(databaseBefore, await databaseCpu!()) / 1e6 : 0,
        };
        runs.push(run);
        console.log(
          `${options.label}: ${nameOf(code)}, wrk ${options.connections} connections, round ${round}: ${result.requestsPerSecond.toFixed(0)}/s; requests as sent: p50 ${run.sent.p50Milliseconds} ms, p99 ${run.sent.p99Milliseconds} ms, p99.9 ${run.sent.p999Milliseconds} ms, max ${run.sent.maxMilliseconds} ms (${run.sent.timed} timed); wrk's corrected p50 ${result.p50Milliseconds.toFixed(2)} ms, p99 ${result.p99Milliseconds.toFixed(2)} ms; ${perCpuSecond(run).toFixed(0)} lookups per server CPU second (serve ${((run.serveCpu * 1000) / result.requests).toFixed(3)} ms${portalDatabase ? `, PostgreSQL ${((run.databaseCpu * 1000) / result.requests).toFixed(3)} ms` : ""} per lookup); non-2xx ${result.non2xx}, wrong answers ${run.wrongAnswers}, socket errors ${result.socketErrors}; load ${loadavg()[0]!.toFixed(1)}`,
        );
      } finally {
        await stop(serve);
      }
    }
  }
  for (const { code } of servers) {
    const mine = runs.filter((run) => run.code === code);
    console.log(
      `${options.label}: ${nameOf(code)}, medians of ${mine.length}: ${median(mine.map((run) => run.wrk.requestsPerSecond)).toFixed(0)}/s; as sent p50 ${median(mine.map((run) => run.sent.p50Milliseconds))} ms, p99 ${median(mine.map((run) => run.sent.p99Milliseconds))} ms; wrk's corrected p99 ${median(mine.map((run) => run.wrk.p99Milliseconds)).toFixed(2)} ms, ${median(mine.map(perCpuSecond)).toFixed(0)} per server CPU second`,
    );
  }
  const medianOf = (code: string, pick: (run: StatusOverServeRun) => number) =>
    median(runs.filter((run) => run.code === code).map(pick));
  console.log(
    `${options.label}: this checkout against the ${FLOOR} (medians): ${(medianOf("this checkout", (run) => run.wrk.requestsPerSecond) / medianOf(FLOOR, (run) => run.wrk.requestsPerSecond)).toFixed(2)}× its rate, ${(medianOf("this checkout", (run) => run.sent.p99Milliseconds) / medianOf(FLOOR, (run) => run.sent.p99Milliseconds)).toFixed(2)}× its p99 (requests as sent)`,
  );
  return runs;
}

/** Lookups per CPU second of the server's side: serve's processes and, on PostgreSQL, its backends. */
const perCpuSecond = (run: StatusOverServeRun) => run.wrk.requests / (run.serveCpu + run.databaseCpu);
