// Test-only: `qoltanba agent --port 0 --unattended FILE` started as its own process, with the
// address it reports once it listens.
import { spawn } from "node:child_process";
import type { TestContext } from "node:test";

export interface UnattendedAgentProcess {
  readonly url: string;
  /** Everything the process wrote to stderr so far. */
  stderr(): string;
  /** Sends SIGTERM; the exit code. */
  stop(): Promise<number | null>;
}

export async function startUnattendedAgentProcess(
  t: TestContext,
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<UnattendedAgentProcess> {
  const agent = spawn(command, args, { ...options, stdio: ["ignore", "ignore", "pipe"] });
  t.after(() => agent.kill("SIGKILL"));
  let stderr = "";
  const exited = new Promise<number | null>((resolveExit) => agent.once("exit", resolveExit));
  const url = await new Promise<string>((resolveUrl, reject) => {
    agent.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
      const match = /listening on (wss:\/\/127\.0\.0\.1:\d+\/) \(unattended\)/.exec(stderr);
      if (match) resolveUrl(match[1]!);
    });
    void exited.then(() => reject(new Error(stderr)));
  });
  return {
    url,
    stderr: () => stderr,
    stop: async () => {
      agent.kill("SIGTERM");
      return exited;
    },
  };
}
