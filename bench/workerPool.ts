import { fork, type ChildProcess } from "node:child_process";
import type { Applicant } from "./csrPool.ts";
import type { IssuedSample, LoadOptions } from "./issuanceLoad.ts";
import type { WorkerReply, WorkerRequest } from "./issuanceWorker.ts";
import { combineParallel, type RunResult } from "./stats.ts";

const WORKER = new URL("./issuanceWorker.ts", import.meta.url);
/** Time for every worker to receive its start signal before the shared start instant. */
const START_DELAY_MS = 300;

/** Worker processes, each with its own opened CA over the same database, loaded side by side. */
export class WorkerPool {
  private constructor(private readonly workers: ChildProcess[]) {}

  /** Gives each worker its own share of the applicants, so no two processes issue to one person at once. */
  static async open(
    count: number,
    ca: { dir: string; password: string; databaseUrl: (worker: number) => string },
    applicants: readonly Applicant[],
  ): Promise<WorkerPool> {
    const workers = Array.from({ length: count }, () =>
      fork(WORKER, [], { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] }),
    );
    const pool = new WorkerPool(workers);
    await Promise.all(
      workers.map((worker, index) => {
        const share = applicants.filter((_, position) => position % count === index);
        return pool.ask(worker, {
          type: "open",
          dir: ca.dir,
          password: ca.password,
          databaseUrl: ca.databaseUrl(index),
          applicants: share.map((applicant) => ({
            subject: applicant.subject,
            csr: applicant.csr.toString("base64"),
          })),
        });
      }),
    );
    return pool;
  }

  /** Every worker runs `options.concurrency` calls in flight over the same time window. */
  async run(options: LoadOptions): Promise<{ result: RunResult; sample: IssuedSample[] }> {
    const startAt = Date.now() + START_DELAY_MS;
    const replies = await Promise.all(
      this.workers.map((worker) => this.ask(worker, { type: "run", options, startAt })),
    );
    const ran = replies.map((reply) => reply as Extract<WorkerReply, { type: "ran" }>);
    return {
      result: combineParallel(ran.map((reply) => reply.result)),
      sample: ran.flatMap((reply) =>
        reply.sample.map((entry) => ({
          serial: entry.serial,
          certificate: Buffer.from(entry.certificate, "base64"),
        })),
      ),
    };
  }

  /** Closes every worker's CA; returns how many certificates they got back in all. */
  async close(): Promise<number> {
    const replies = await Promise.all(this.workers.map((worker) => this.ask(worker, { type: "close" })));
    return replies.reduce(
      (sum, reply) => sum + (reply as Extract<WorkerReply, { type: "closed" }>).issued,
      0,
    );
  }

  private ask(worker: ChildProcess, request: WorkerRequest): Promise<WorkerReply> {
    return new Promise((resolve, reject) => {
      const onExit = (code: number | null) => reject(new Error(`issuance worker exited with code ${code}`));
      worker.once("exit", onExit);
      worker.once("message", (reply: WorkerReply) => {
        worker.off("exit", onExit);
        if (reply.type === "failed") reject(new Error(`issuance worker: ${reply.message}`));
        else resolve(reply);
      });
      worker.send(request);
    });
  }
}
