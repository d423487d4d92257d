// Runs wrk (Debian package wrk) and reads its summary: requests per second, p99 latency, errors.
import { execFileSync } from "node:child_process";

export interface WrkResult {
  readonly requests: number;
  readonly requestsPerSecond: number;
  readonly p50Milliseconds: number;
  readonly p99Milliseconds: number;
  readonly non2xx: number;
  readonly socketErrors: number;
  /** wrk's whole summary, with what the script's done() printed. */
  readonly output: string;
}

export function wrkVersion(): string {
  try {
    return /wrk \S+/.exec(execFileSync("wrk", ["-v"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }))?.[0] ?? "wrk";
  } catch (error) {
    // wrk -v exits 1 after printing its version
    const output = String((error as { stdout?: string }).stdout ?? "");
    if (/wrk \S+/.test(output)) return /wrk \S+/.exec(output)![0];
    throw new Error("wrk is needed: apt-get install wrk");
  }
}

const MILLISECONDS: Record<string, number> = { us: 0.001, ms: 1, s: 1000 };

export function runWrk(options: { url: string; threads: number; connections: number; seconds: number; script: string; env: Record<string, string> }): WrkResult {
  const output = execFileSync(
    "wrk",
    ["-t", String(options.threads), "-c", String(options.connections), "-d", `${options.seconds}s`, "--latency", "--timeout", "5s", "-s", options.script, options.url],
    { encoding: "utf8", env: { ...process.env, ...options.env }, maxBuffer: 1 << 20 },
  );
  const rate = /Requests\/sec:\s+([\d.]+)/.exec(output);
  const percentile = (p: number) => {
    const match = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s)\\s*$`, "m").exec(output);
    return match && Number(match[1]) * MILLISECONDS[match[2]!]!;
  };
  const p50 = percentile(50);
  const p99 = percentile(99);
  if (!rate || p50 === null || p99 === null) throw new Error(`cannot read wrk's output:\n${output}`);
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  return {
    requests: Number(/(\d+) requests in /.exec(output)?.[1] ?? 0),
    requestsPerSecond: Number(rate[1]),
    p50Milliseconds: p50,
    p99Milliseconds: p99,
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1] ?? 0),
    socketErrors: errors ? errors.slice(1).reduce((sum, count) => sum + Number(count), 0) : 0,
    output,
  };
}
