import cluster from "node:cluster";
import { InputError } from "@qoltanba/pki";
import { openCertificateAuthority, parseListen, readUnlockOptions, startCrlService, type SecretFiles } from "@qoltanba/ca";
import { EXIT } from "../command.ts";

export const MAX_WORKERS = 64;
const RESTART_DELAY_MILLISECONDS = 1000;
/** How long workers get to finish their requests after SIGTERM before they are killed. */
export const STOP_GRACE_MILLISECONDS = 10_000;

/**
 * V8 flags for the workers. Scavenges of the young generation are what pauses a worker answering
 * OCSP at tens of thousands of requests a second (each request leaves a few KB of garbage): a
 * larger young generation (32 MB semi-spaces, about 50 MB more resident) makes them half as
 * frequent at about the same cost each (the survivors are few), and scavenging on the worker's own
 * thread stops it waiting for helper threads that other processes keep off the cores (measured:
 * docs/benchmarks.md, OCSP).
 */
export const WORKER_V8_FLAGS = ["--max-semi-space-size=32", "--no-parallel-scavenge"];

/** The message a worker sends its primary once it listens. */
export interface WorkerReady {
  readonly ready: string;
}

/**
 * `serve --workers N`, the primary process: N workers (node:cluster) share the listening socket so
 * the services use every core. The primary makes the CRLs, once for all, and replaces a worker
 * that dies. Each worker polls the database for revocations itself, so every OCSP cache hears of
 * them. With --ca-api-listen each worker serves the CA API too, its port shared the same way: each
 * signs with the issuing key, and reads the allow-list anew on every request once it has changed,
 * so a removed portal node is refused by all at once; the primary serves none of it. SIGINT or SIGTERM stops every worker (SIGKILL for one still running after `graceMilliseconds`);
 * resolves when all have exited.
 */
export async function serveWorkers(
  dir: string,
  listen: string,
  secrets: SecretFiles,
  workers: number,
  onReady?: (address: string) => void,
  graceMilliseconds = STOP_GRACE_MILLISECONDS,
): Promise<void> {
  parseListen(listen);
  const ca = await openCertificateAuthority(dir, (await readUnlockOptions(dir, secrets, false)) ?? {});
  const crls = await startCrlService(ca);
  let stopping = false;
  let ready = false;
  const listening = new Set<number>();
  let stopAll = () => undefined as void;
  const onSignal = () => stopAll();
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  cluster.setupPrimary({ execArgv: [...process.execArgv, ...WORKER_V8_FLAGS] });
  const stopped = new Promise<void>((resolve, reject) => {
    const fork = () => {
      const worker = cluster.fork();
      worker.on("message", (message: Partial<WorkerReady>) => {
        if (ready || typeof message?.ready !== "string") return;
        listening.add(worker.id);
        if (listening.size === workers) {
          ready = true;
          onReady?.(message.ready);
        }
      });
      worker.on("exit", (code, signal) => {
        if (stopping) {
          if (Object.keys(cluster.workers ?? {}).length === 0) resolve();
        } else if (!ready) {
          stopAll();
          reject(
            code === EXIT.usage
              ? new InputError("worker_start", "a worker could not start: its reason is above")
              : new Error(`a worker exited (${signal ?? code}) before all were listening`),
          );
        } else {
          process.stderr.write(`worker ${worker.process.pid} exited (${signal ?? code}); starting another\n`);
          setTimeout(() => !stopping && fork(), RESTART_DELAY_MILLISECONDS);
        }
      });
    };
    stopAll = () => {
      if (stopping) return;
      stopping = true;
      const running = Object.values(cluster.workers ?? {});
      if (running.length === 0) resolve();
      for (const worker of running) worker?.process.kill("SIGTERM");
      setTimeout(() => {
        for (const worker of Object.values(cluster.workers ?? {})) {
          process.stderr.write(`worker ${worker?.process.pid} still running ${graceMilliseconds} ms after SIGTERM: killed\n`);
          worker?.process.kill("SIGKILL");
        }
      }, graceMilliseconds).unref();
    };
    for (let index = 0; index < workers; index++) fork();
  });
  try {
    await stopped;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await crls.close();
    await ca.close();
  }
}
