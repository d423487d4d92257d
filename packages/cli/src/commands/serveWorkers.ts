import cluster from "node:cluster";
import { openCertificateAuthority, parseListen, readUnlockOptions, startCrlService } from "@qoltanba/ca";

export const MAX_WORKERS = 64;
const RESTART_DELAY_MILLISECONDS = 1000;

/** The message a worker sends its primary once it listens. */
export interface WorkerReady {
  readonly ready: string;
}

/**
 * `serve --workers N`, the primary process: N workers (node:cluster) share the listening socket so
 * the services use every core. The primary makes the CRLs, once for all, and replaces a worker
 * that dies. Each worker polls the database for revocations itself, so every OCSP cache hears of
 * them. Resolves when a signal has stopped every worker.
 */
export async function serveWorkers(
  dir: string,
  listen: string,
  secrets: { passwordFile?: string | undefined; pinFile?: string | undefined },
  workers: number,
  onReady?: (address: string) => void,
): Promise<void> {
  parseListen(listen);
  const ca = await openCertificateAuthority(dir, (await readUnlockOptions(dir, secrets, false)) ?? {});
  const crls = await startCrlService(ca);
  let stopping = false;
  let ready = false;
  const listening = new Set<number>();
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
          reject(new Error(`a worker exited (${signal ?? code}) before all were listening`));
        } else {
          process.stderr.write(`worker ${worker.process.pid} exited (${signal ?? code}); starting another\n`);
          setTimeout(() => !stopping && fork(), RESTART_DELAY_MILLISECONDS).unref();
        }
      });
    };
    const stopAll = () => {
      stopping = true;
      const running = Object.values(cluster.workers ?? {});
      if (running.length === 0) resolve();
      for (const worker of running) worker?.process.kill("SIGTERM");
    };
    process.once("SIGINT", stopAll);
    process.once("SIGTERM", stopAll);
    for (let index = 0; index < workers; index++) fork();
  });
  try {
    await stopped;
  } finally {
    await crls.close();
    await ca.close();
  }
}
