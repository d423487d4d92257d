import { generateKeyPairSync, randomBytes, sign, type KeyObject } from "node:crypto";
import { performance } from "node:perf_hooks";
import { closedLoop } from "./closedLoop.ts";
import { cpuSince, cpuSnapshot } from "./cpuUsage.ts";
import type { RunResult } from "./stats.ts";

/** About the size of an individual-auth TBSCertificate, so hashing costs what it costs in issuance. */
const DATA = randomBytes(1100);

export const rawSigningKey = (): KeyObject => generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;

/** Synchronous `crypto.sign("sha256", …)` in a loop on the main thread: one core. */
export function rawSignOneCore(key: KeyObject, seconds: number): RunResult {
  const latencies: number[] = [];
  const cpuStart = cpuSnapshot();
  const until = performance.now() + seconds * 1000;
  for (let now = performance.now(); now < until;) {
    sign("sha256", DATA, key);
    const finished = performance.now();
    latencies.push(finished - now);
    now = finished;
  }
  return {
    completed: latencies.length,
    operations: latencies.length,
    seconds,
    latencies,
    cpu: { ...cpuSince(cpuStart), server: 0 },
  };
}

/** `crypto.sign` with a callback (libuv's thread pool, every core), `concurrency` calls in flight. */
export function rawSignThreadPool(key: KeyObject, seconds: number, concurrency: number): Promise<RunResult> {
  const signAsync = () =>
    new Promise<void>((resolve, reject) =>
      sign("sha256", DATA, key, (error) => (error ? reject(error) : resolve())),
    );
  return closedLoop(signAsync, { concurrency, seconds, warmupSeconds: 0.5 });
}
