import { spawn } from "node:child_process";

export interface CommandLine {
  readonly command: string;
  readonly args: readonly string[];
}

export interface CommandResult {
  /** null when the program could not be started (e.g. not installed) or was stopped after the timeout. */
  readonly status: number | null;
  readonly stdout: Buffer;
  readonly stderr: string;
}

export type RunCommand = (line: CommandLine) => Promise<CommandResult>;

/**
 * Runs a program without a shell and without input; never rejects, so callers decide what a failure
 * means. The timeout leaves a person minutes to answer the dialogs of macOS's security and Windows' certutil.
 */
export const runCommand: RunCommand = (line) =>
  new Promise((resolve) => {
    const child = spawn(line.command, [...line.args], {
      stdio: ["ignore", "pipe", "pipe"],
      timeout: 300_000,
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk));
    child.on("error", (error) => resolve({ status: null, stdout: Buffer.alloc(0), stderr: error.message }));
    child.on("close", (status) =>
      resolve({ status, stdout: Buffer.concat(stdout), stderr: Buffer.concat(stderr).toString("utf8") }),
    );
  });

/** The command as a person would type it in a POSIX shell. */
export function describeCommand(line: CommandLine): string {
  const quote = (word: string) => (/^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`);
  return [line.command, ...line.args].map(quote).join(" ");
}
