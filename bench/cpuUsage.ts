import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

/** CPU time in microseconds: this process (every thread), its main thread, and the whole machine. */
export interface CpuSnapshot {
  readonly process: number;
  readonly mainThread: number;
  readonly machineBusy: number;
  readonly machineTotal: number;
}

/** A run's CPU: a CpuSnapshot difference, plus what database server processes used for it. */
export interface CpuUse extends CpuSnapshot {
  readonly server: number;
}

const TICK_MICROSECONDS = 1e6 / Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());

/** utime + stime from a /proc/…/stat file (a process or one thread); undefined once it is gone. */
export function statCpuMicroseconds(statPath: string): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(statPath, "utf8");
  } catch {
    return undefined;
  }
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * TICK_MICROSECONDS;
}

/** The first line of /proc/stat: time of every core together, busy (stolen included) and in all. */
function machineMicroseconds(): { busy: number; total: number } {
  const [, ...ticks] = readFileSync("/proc/stat", "utf8").split("\n", 1)[0]!.trim().split(/\s+/);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = ticks.map(Number) as number[];
  const busy = user! + nice! + system! + irq! + softirq! + steal!;
  return { busy: busy * TICK_MICROSECONDS, total: (busy + idle! + iowait!) * TICK_MICROSECONDS };
}

export function cpuSnapshot(): CpuSnapshot {
  const usage = process.cpuUsage();
  const machine = machineMicroseconds();
  return {
    process: usage.user + usage.system,
    mainThread: statCpuMicroseconds(`/proc/self/task/${process.pid}/stat`)!,
    machineBusy: machine.busy,
    machineTotal: machine.total,
  };
}

export function cpuSince(start: CpuSnapshot): CpuSnapshot {
  const now = cpuSnapshot();
  return {
    process: now.process - start.process,
    mainThread: now.mainThread - start.mainThread,
    machineBusy: now.machineBusy - start.machineBusy,
    machineTotal: now.machineTotal - start.machineTotal,
  };
}
