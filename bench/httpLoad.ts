// An HTTP load generator for the portal and console benchmarks: POSTs from a worker thread.
import { Worker } from "node:worker_threads";

export interface LoadRequest {
  readonly path: string;
  readonly body: string;
  readonly headers: Record<string, string>;
  /** A string the answer must contain. */
  readonly expect: string;
}

/** The load generator runs in its own thread (its own event loop, the other core), keep-alive HTTP/1.1. */
const LOAD_WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const http = require("node:http");
const { port, requests, concurrency, rate } = workerData;
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
const latencies = new Float64Array(requests.length);
let next = 0, failures = 0, firstFailure = "";
function one(index, scheduled) {
  return new Promise((resolve) => {
    const request = requests[index];
    const started = scheduled ?? performance.now();
    const req = http.request({ host: "127.0.0.1", port, method: "POST", path: request.path, agent, headers: { ...request.headers, "content-length": Buffer.byteLength(request.body) } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => (text += chunk));
      res.on("end", () => {
        latencies[index] = performance.now() - started;
        if (!text.includes(request.expect)) { failures++; firstFailure ||= res.statusCode + " " + text.slice(0, 300); }
        resolve();
      });
    });
    req.on("error", (error) => { failures++; firstFailure ||= error.message; resolve(); });
    req.end(request.body);
  });
}
async function lane() { while (next < requests.length) await one(next++); }
/** Open loop: request i is due at start + i/rate and timed from then (no coordinated omission), with a bounded number in flight. */
async function paced(started) {
  const inFlight = new Set();
  for (let index = 0; index < requests.length; index++) {
    const due = started + (index * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    while (inFlight.size >= concurrency) await Promise.race(inFlight);
    const done = one(index, due).then(() => inFlight.delete(done));
    inFlight.add(done);
  }
  await Promise.all(inFlight);
}
(async () => {
  const started = performance.now();
  if (rate) await paced(started);
  else await Promise.all(Array.from({ length: concurrency }, lane));
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  parentPort.postMessage({ latencies: Array.from(latencies), seconds, failures, firstFailure });
})();`;

/** Closed loop (`concurrency` requests always in flight) or, with `rate`, an open loop of that many requests per second. */
export function load(
  port: number,
  requests: LoadRequest[],
  concurrency: number,
  rate?: number,
): Promise<{ latencies: number[]; seconds: number; failures: number; firstFailure: string }> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(LOAD_WORKER, { eval: true, workerData: { port, requests, concurrency, rate } });
    worker.once("message", (message) => {
      resolve(message);
      void worker.terminate();
    });
    worker.once("error", reject);
  });
}
