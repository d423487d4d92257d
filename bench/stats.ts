import type { CpuUse } from "./cpuUsage.ts";

/** The value at quantile q (0..1) of already-sorted numbers (nearest rank, no interpolation). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** One timed run: what finished inside the window, each one's latency, and the CPU it took. */
export interface RunResult {
  /** Operations that finished inside the measured window. */
  readonly completed: number;
  /** Every operation started in the window, those finished after it included: the CPU figures cover them all. */
  readonly operations: number;
  readonly seconds: number;
  /** Milliseconds, unsorted. */
  readonly latencies: readonly number[];
  readonly cpu: CpuUse;
}

export interface RunSummary {
  readonly perSecond: number;
  readonly p50: number;
  readonly p99: number;
  /** CPU microseconds per operation: the whole process, and its main thread alone. */
  readonly cpuPerOperation: number;
  readonly mainThreadPerOperation: number;
  /** CPU microseconds per operation in database server processes (PostgreSQL backends; 0 for SQLite). */
  readonly serverPerOperation: number;
  /** Share of the machine's CPU time that was busy, and that this run (its processes and backends) used. */
  readonly machineBusy: number;
  readonly ownShare: number;
}

export function summarize(run: RunResult): RunSummary {
  const sorted = [...run.latencies].sort((a, b) => a - b);
  return {
    perSecond: run.completed / run.seconds,
    p50: quantile(sorted, 0.5),
    p99: quantile(sorted, 0.99),
    cpuPerOperation: run.cpu.process / run.operations,
    mainThreadPerOperation: run.cpu.mainThread / run.operations,
    serverPerOperation: run.cpu.server / run.operations,
    machineBusy: run.cpu.machineBusy / run.cpu.machineTotal,
    ownShare: (run.cpu.process + run.cpu.server) / run.cpu.machineTotal,
  };
}

/** Merges runs that went on side by side (worker processes): counts and CPU add up over one window. */
export function combineParallel(runs: readonly RunResult[]): RunResult {
  const sum = (pick: (run: RunResult) => number) => runs.reduce((total, run) => total + pick(run), 0);
  return {
    completed: sum((run) => run.completed),
    operations: sum((run) => run.operations),
    seconds: Math.max(...runs.map((run) => run.seconds)),
    latencies: runs.flatMap((run) => run.latencies),
    cpu: {
      process: sum((run) => run.cpu.process),
      mainThread: sum((run) => run.cpu.mainThread),
      server: sum((run) => run.cpu.server),
      machineBusy: Math.max(...runs.map((run) => run.cpu.machineBusy)),
      machineTotal: Math.max(...runs.map((run) => run.cpu.machineTotal)),
    },
  };
}

/** Medians over repeated runs of every figure; `runs` keeps each run's throughput. */
export function medianSummary(runs: readonly RunSummary[]): RunSummary & { runs: number[] } {
  const medianOf = (pick: (run: RunSummary) => number) => median(runs.map(pick));
  return {
    perSecond: medianOf((run) => run.perSecond),
    p50: medianOf((run) => run.p50),
    p99: medianOf((run) => run.p99),
    cpuPerOperation: medianOf((run) => run.cpuPerOperation),
    mainThreadPerOperation: medianOf((run) => run.mainThreadPerOperation),
    serverPerOperation: medianOf((run) => run.serverPerOperation),
    machineBusy: medianOf((run) => run.machineBusy),
    ownShare: medianOf((run) => run.ownShare),
    runs: runs.map((run) => run.perSecond),
  };
}
