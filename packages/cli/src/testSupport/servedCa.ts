// Running the real `qoltanba` command in tests: a free port, `serve` started and stopped.
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { createServer } from "node:net";
import { resolve } from "node:path";

export const BIN = resolve(import.meta.dirname, "../../bin/qoltanba.js");

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePort(port));
    });
    server.on("error", reject);
  });
}

export interface ServingProcess {
  readonly process: ChildProcess;
  /** The address `serve` announced. */
  readonly url: string;
  /** What it wrote to stderr so far. */
  stderr(): string;
}

/** Starts `qoltanba serve …` and resolves once it announces its address. */
export async function startServe(args: string[], env: NodeJS.ProcessEnv): Promise<ServingProcess> {
  const child = spawn(process.execPath, [BIN, "serve", ...args], {
    env: { ...process.env, ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let seen = "";
  const url = await new Promise<string>((resolveUrl, reject) => {
    child.stderr!.on("data", (chunk: Buffer) => {
      seen += chunk.toString();
      const match = /serving on (http:\/\/\S+)/.exec(seen);
      if (match) resolveUrl(match[1]!);
    });
    child.once("exit", (code, signal) => reject(new Error(`serve exited (${signal ?? code}): ${seen}`)));
  });
  return { process: child, url, stderr: () => seen };
}

/** SIGTERM, and the exit code; a process still running after `graceMilliseconds` is killed and reported. */
export async function stopProcess(child: ChildProcess, graceMilliseconds = 20_000): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMilliseconds);
  const [code, signal] = await exited;
  clearTimeout(timer);
  if (signal === "SIGKILL") throw new Error(`the process did not stop within ${graceMilliseconds} ms of SIGTERM`);
  return code;
}
