import { performance } from "node:perf_hooks";
import { cpuSince, cpuSnapshot } from "./cpuUsage.ts";
import { cpuBetween, type CpuByPid } from "./serverCpu.ts";
import type { RunResult } from "./stats.ts";

export interface ClosedLoopOptions {
  readonly concurrency: number;
  readonly seconds: number;
  readonly warmupSeconds: number;
  /** Reads the CPU of server processes that work for these calls (PostgreSQL backends). */
  readonly serverCpu?: () => Promise<CpuByPid>;
}

/**
 * Keeps `concurrency` calls in flight for `seconds` (a closed loop: each finished call starts the
 * next one), after a warm-up of `warmupSeconds` that is not counted. Calls still running at the
 * deadline are awaited: they count in the CPU figures but not in the throughput.
 */
export async function closedLoop(
  operation: (index: number) => Promise<void>,
  options: ClosedLoopOptions,
): Promise<RunResult> {
  let next = 0;
  const lanes = (until: number, latencies?: number[]) =>
    Promise.all(
      Array.from({ length: options.concurrency }, async () => {
        while (performance.now() < until) {
          const started = performance.now();
          await operation(next++);
          const finished = performance.now();
          if (latencies && finished <= until) latencies.push(finished - started);
        }
      }),
    );
  if (options.warmupSeconds > 0) await lanes(performance.now() + options.warmupSeconds * 1000);
  const latencies: number[] = [];
  const firstOperation = next;
  const serverBefore = await options.serverCpu?.();
  const cpuStart = cpuSnapshot();
  await lanes(performance.now() + options.seconds * 1000, latencies);
  const cpu = cpuSince(cpuStart);
  const server = serverBefore ? cpuBetween(serverBefore, await options.serverCpu!()) : 0;
  return {
    completed: latencies.length,
    operations: next - firstOperation,
    seconds: options.seconds,
    latencies,
    cpu: { ...cpu, server },
  };
}
