// Helpers shared by the CLI's tests: the real `qoltanba` binary, run once or as a server on a free port.
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { resolve } from "node:path";

export { freePort } from "../../pki/src/test-support/localhost.ts";

export const BIN = resolve(import.meta.dirname, "../bin/qoltanba.js");

/** Runs a command and returns its exit status and combined output. */
export function run(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): { status: number | null; output: string } {
  const result = spawnSync(command, args, { encoding: "utf8", env });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/**
 * `qoltanba serve` started with these arguments: resolves with its URL, and what it wrote so far,
 * once it says it is serving. `onOutput` gets everything it writes, its stdout log lines too.
 */
export function startServe(args: string[], env: NodeJS.ProcessEnv, onOutput?: (text: string) => void): Promise<{ server: ChildProcess; url: string; log: string }> {
  const server = spawn(process.execPath, [BIN, "serve", ...args], { env, stdio: ["ignore", onOutput ? "pipe" : "ignore", "pipe"] });
  server.stdout?.on("data", (chunk: Buffer) => onOutput?.(chunk.toString()));
  return new Promise((resolveServing, reject) => {
    let seen = "";
    server.stderr!.on("data", (chunk: Buffer) => {
      onOutput?.(chunk.toString());
      seen += chunk.toString();
      const match = /serving on (http:\/\/\S+)/.exec(seen);
      if (match) resolveServing({ server, url: match[1]!, log: seen });
    });
    server.on("exit", () => reject(new Error(`serve exited: ${seen}`)));
  });
}

/** SIGTERM, then waits for the exit; a server still running after `graceMilliseconds` is killed and reported. */
export async function stopServe(server: ChildProcess | undefined, graceMilliseconds = 20_000): Promise<void> {
  if (!server || server.exitCode !== null || server.signalCode !== null) return;
  const exited = once(server, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
  server.kill("SIGTERM");
  const timer = setTimeout(() => server.kill("SIGKILL"), graceMilliseconds);
  const [, signal] = await exited;
  clearTimeout(timer);
  if (signal === "SIGKILL") assert.fail(`serve did not stop within ${graceMilliseconds} ms of SIGTERM`);
}

/** Checks until `check` holds, failing after `milliseconds`. */
export async function eventually(what: string, check: () => boolean | Promise<boolean>, milliseconds = 5000): Promise<void> {
  const deadline = Date.now() + milliseconds;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`${what} did not happen within ${milliseconds} ms`);
    await new Promise((resolveLater) => setTimeout(resolveLater, 100));
  }
}
