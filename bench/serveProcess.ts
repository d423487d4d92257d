// `qoltanba serve` as its own process for the benchmarks that load it over HTTP (OCSP, portal):
// start it and wait until it listens, read its CPU (the primary and its cluster workers), stop it.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";

const START_TIMEOUT_MILLISECONDS = 180_000;
export { freePort } from "../packages/pki/src/test-support/localhost.ts";

export const QOLTANBA_BIN = resolve(import.meta.dirname, "../packages/cli/bin/qoltanba.js");

const TICKS_PER_SECOND = Number(execFileSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).trim());

export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8")
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

/** CPU seconds (user + system) used so far by a process and its living children. */
export function cpuSeconds(pid: number): number {
  const ticks = (id: number) => {
    try {
      const fields = readFileSync(`/proc/${id}/stat`, "utf8")
        .replace(/^.*\) /, "")
        .split(" ");
      return Number(fields[11]) + Number(fields[12]);
    } catch {
      return 0;
    }
  };
  return [pid, ...childrenOf(pid)].reduce((sum, id) => sum + ticks(id), 0) / TICKS_PER_SECOND;
}

/** Resident memory of a process and its children (the cluster workers, openssl's -multi children). */
export function residentMebibytes(pid: number): number[] {
  const rss = (id: number) =>
    Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${id}/status`, "utf8"))?.[1] ?? 0) / 1024;
  return [pid, ...childrenOf(pid)].map((id) => Math.round(rss(id)));
}

export const running = (child: ChildProcess) => child.exitCode === null && child.signalCode === null;
const exitOf = (child: ChildProcess) =>
  running(child)
    ? new Promise<void>((resolveExit) => child.once("exit", () => resolveExit()))
    : Promise.resolve();

export function stop(child: ChildProcess): Promise<void> {
  const exited = exitOf(child);
  child.kill("SIGTERM");
  return exited;
}

/** SIGKILL for a process and its children: the parent first, or it would replace them. */
export async function kill(child: ChildProcess): Promise<void> {
  const kids = childrenOf(child.pid!);
  const exited = exitOf(child);
  child.kill("SIGKILL");
  for (const pid of kids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  await exited;
}

/**
 * Starts `qoltanba serve` (the `bin` of this checkout unless another is given, to compare code
 * versions on one database) with `args` after `serve`; resolves once it says it is serving.
 * Secrets go in `env`, never in `args`.
 */
export function startServe(args: string[], env: Record<string, string>, bin = QOLTANBA_BIN): Promise<ChildProcess> {
  return startNodeUntilServing([bin, "serve", ...args], env);
}

/** Runs Node with `nodeArgs`; resolves once the process writes "serving on" to its stderr. */
export async function startNodeUntilServing(nodeArgs: string[], env: Record<string, string>): Promise<ChildProcess> {
  const serve = spawn(process.execPath, nodeArgs, {
    env: { ...process.env, ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let seen = "";
  const ready = new Promise<void>((resolveReady, reject) => {
    serve.stderr!.on("data", (chunk: Buffer) => {
      if (seen.length < 10_000) seen += chunk.toString();
      if (seen.includes("serving on")) resolveReady();
    });
    serve.once("exit", () => reject(new Error(`serve exited: ${seen}`)));
  });
  const timeout = setTimeout(() => void kill(serve), START_TIMEOUT_MILLISECONDS);
  try {
    await ready;
  } catch (error) {
    throw serve.signalCode === "SIGKILL" ? new Error(`serve did not start within ${START_TIMEOUT_MILLISECONDS / 1000} s: ${seen}`) : error;
  } finally {
    clearTimeout(timeout);
  }
  return serve;
}
