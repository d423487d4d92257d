import { medianSummary, type RunSummary } from "./stats.ts";

/** One line of the results table: repeated runs of one setup. */
export interface ReportRow {
  readonly setup: string;
  readonly inFlight: string;
  readonly runs: readonly RunSummary[];
  /** What the measured CPU cost allows on free cores (see `ceilings`). */
  readonly ceiling: (median: RunSummary) => number;
  /** Set on issuance rows: which target the row counts for. */
  readonly target?: "sqlite" | "postgres";
  readonly processes?: number;
}

/** The rate each kind of row could reach if the run had the machine's cores to itself. */
export const ceilings = {
  /** `openssl speed` divides by user CPU time, so its figure already is a free core's rate. */
  measured: (median: RunSummary) => median.perSecond,
  oneThread: (median: RunSummary) => 1e6 / median.mainThreadPerOperation,
  /** Every core busy, or every main thread saturated, whichever comes first. */
  cores:
    (cores: number, mainThreads: number) =>
    (median: RunSummary): number =>
      Math.min(
        (mainThreads * 1e6) / median.mainThreadPerOperation,
        (cores * 1e6) / (median.cpuPerOperation + median.serverPerOperation),
      ),
};

export interface ReportInput {
  readonly header: readonly string[];
  readonly openssl: ReportRow;
  readonly nodeOneCore: ReportRow;
  readonly rows: readonly ReportRow[];
  readonly checks: readonly string[];
  readonly postgresTarget: number;
}

const fixed = (value: number, digits = 0) => (Number.isFinite(value) ? value.toFixed(digits) : "–");
const percent = (value: number) => (Number.isFinite(value) ? `${Math.round(value * 100)}%` : "–");
const verdict = (met: boolean) => (met ? "**met**" : "**not met**");

export function formatReport(input: ReportInput): string {
  const opensslRate = medianSummary(input.openssl.runs).perSecond;
  const nodeRate = ceilings.oneThread(medianSummary(input.nodeOneCore.runs));
  const table = input.rows.map((row) => {
    const median = medianSummary(row.runs);
    const ceiling = row.ceiling(median);
    return (
      `| ${row.setup} | ${row.inFlight} | **${fixed(median.perSecond)}** | ${median.runs.map((rate) => fixed(rate)).join(", ")} | ` +
      `${fixed(median.p50, 1)} | ${fixed(median.p99, 1)} | ${fixed(median.cpuPerOperation)} | ${fixed(median.mainThreadPerOperation)} | ` +
      `${fixed(median.serverPerOperation)} | ${percent(median.machineBusy)} | ${percent(median.ownShare)} | ` +
      `${fixed(median.perSecond / opensslRate, 2)} | **${fixed(ceiling)}** | ${fixed(ceiling / opensslRate, 2)} | ${fixed(ceiling / nodeRate, 2)} |`
    );
  });
  const best = (
    target: "sqlite" | "postgres",
    processes: (count: number) => boolean,
    pick: (row: ReportRow, median: RunSummary) => number,
  ) =>
    Math.max(
      ...input.rows
        .filter((row) => row.target === target && processes(row.processes ?? 1))
        .map((row) => pick(row, medianSummary(row.runs))),
    );
  const wall = (_row: ReportRow, median: RunSummary) => median.perSecond;
  const estimate = (row: ReportRow, median: RunSummary) => row.ceiling(median);
  const single = (count: number) => count === 1;
  const several = (count: number) => count > 1;
  const any = () => true;
  const postgresWall = best("postgres", any, wall);
  const postgresEstimate = best("postgres", any, estimate);
  const halfOpenssl = 0.5 * opensslRate;
  const halfNode = 0.5 * nodeRate;
  return [
    ...input.header,
    "",
    "| setup | in flight | per second (wall) | runs | p50 ms | p99 ms | CPU µs/op | main thread µs/op | PG backends µs/op | machine busy | used by this run | wall ÷ openssl 1 core | CPU-bound estimate /s, cores to itself | estimate ÷ openssl 1 core | estimate ÷ Node 1 core |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...table,
    "",
    "## Targets",
    "",
    `- SQLite ≥ 0.5 × one core's RSA-2048 sign rate: openssl ${fixed(opensslRate)}/s → ${fixed(halfOpenssl)}/s; Node ${fixed(nodeRate)}/s → ${fixed(halfNode)}/s`,
    ...[
      { label: "one process", processes: single },
      { label: "several processes", processes: several },
    ].map(({ label, processes }) => {
      const measured = best("sqlite", processes, wall);
      const estimated = best("sqlite", processes, estimate);
      return (
        `  - ${label}: measured best ${fixed(measured)}/s = ${fixed(measured / opensslRate, 2)} × openssl, ${verdict(measured >= halfOpenssl)}; ` +
        `CPU-bound estimate ${fixed(estimated)}/s = ${fixed(estimated / opensslRate, 2)} × openssl, ${fixed(estimated / nodeRate, 2)} × Node, ` +
        `${verdict(estimated >= halfOpenssl)} against openssl, ${verdict(estimated >= halfNode)} against Node`
      );
    }),
    `- PostgreSQL ≥ ${input.postgresTarget.toLocaleString("en")}/s on both cores (one process or several): measured best ${fixed(postgresWall)}/s, ` +
      `${verdict(postgresWall >= input.postgresTarget)}; CPU-bound estimate ${fixed(postgresEstimate)}/s, ${verdict(postgresEstimate >= input.postgresTarget)}`,
    "",
    "## Checks",
    "",
    ...input.checks.map((check) => `- ${check}`),
    "",
  ].join("\n");
}
