// Where a thread stalls during a benchmark phase: its garbage collections and how late its event
// loop ran timers (a stall of any cause: GC, a long synchronous call, the thread waiting for a core).
import {
  constants,
  monitorEventLoopDelay,
  PerformanceObserver,
  type PerformanceEntry,
} from "node:perf_hooks";

export interface Pauses {
  readonly scavenges: number;
  readonly majorCollections: number;
  /** Milliseconds of every collection together, and the longest one. */
  readonly gcMilliseconds: number;
  readonly longestGcMilliseconds: number;
  readonly loopDelayP99Milliseconds: number;
  readonly loopDelayMaxMilliseconds: number;
}

/** Starts watching this thread; the returned function stops and summarises. */
export function watchPauses(): () => Pauses {
  const collections: PerformanceEntry[] = [];
  const observer = new PerformanceObserver((list) => collections.push(...list.getEntries()));
  observer.observe({ entryTypes: ["gc"] });
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  return () => {
    delay.disable();
    collections.push(...observer.takeRecords());
    observer.disconnect();
    const kind = (entry: PerformanceEntry) =>
      (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
    return {
      scavenges: collections.filter((entry) => kind(entry) === constants.NODE_PERFORMANCE_GC_MINOR).length,
      majorCollections: collections.filter((entry) => kind(entry) === constants.NODE_PERFORMANCE_GC_MAJOR)
        .length,
      gcMilliseconds: collections.reduce((sum, entry) => sum + entry.duration, 0),
      longestGcMilliseconds: Math.max(0, ...collections.map((entry) => entry.duration)),
      loopDelayP99Milliseconds: delay.percentile(99) / 1e6,
      loopDelayMaxMilliseconds: delay.max / 1e6,
    };
  };
}

export const describePauses = (pauses: Pauses) =>
  `GC ${pauses.scavenges} scavenges + ${pauses.majorCollections} major, ${pauses.gcMilliseconds.toFixed(0)} ms in all, longest ${pauses.longestGcMilliseconds.toFixed(1)} ms; event-loop delay p99 ${pauses.loopDelayP99Milliseconds.toFixed(1)} ms, max ${pauses.loopDelayMaxMilliseconds.toFixed(1)} ms`;
