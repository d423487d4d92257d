import { statCpuMicroseconds } from "./cpuUsage.ts";
import { psql } from "./psql.ts";

/** Cumulative CPU microseconds of each process, by pid (processes that vanished are left out). */
export type CpuByPid = ReadonlyMap<number, number>;

/**
 * For a `postgres://…?application_name=NAME` database URL, reads the CPU of the backends serving
 * that name; undefined for SQLite, which runs inside the process.
 */
export function serverCpuFor(databaseUrl: string): (() => Promise<CpuByPid>) | undefined {
  if (!databaseUrl.startsWith("postgres")) return undefined;
  const url = new URL(databaseUrl);
  const applicationName = url.searchParams.get("application_name");
  if (!applicationName) throw new Error("give the PostgreSQL URL an application_name to find its backends");
  url.search = "";
  return postgresBackendCpu(url.toString(), applicationName);
}

/**
 * The CPU the PostgreSQL backends serving one application name have used: the server's share of
 * the work, which runs on the same cores. Reads pids from pg_stat_activity with psql.
 */
function postgresBackendCpu(serverUrl: string, applicationName: string): () => Promise<CpuByPid> {
  return async () => {
    const query = `select pid from pg_stat_activity where application_name = '${applicationName}'`;
    const pids = (await psql(serverUrl, query)).split("\n").filter(Boolean).map(Number);
    const entries = pids.map((pid) => [pid, statCpuMicroseconds(`/proc/${pid}/stat`)] as const);
    return new Map(entries.filter((entry): entry is readonly [number, number] => entry[1] !== undefined));
  };
}

/** CPU used between two readings; a process that appeared in between counts from its start. */
export function cpuBetween(before: CpuByPid, after: CpuByPid): number {
  let total = 0;
  for (const [pid, microseconds] of after) total += microseconds - (before.get(pid) ?? 0);
  return total;
}
