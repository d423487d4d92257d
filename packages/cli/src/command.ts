import { parseArgs, type ParseArgsConfig } from "node:util";
import { InputError } from "@qoltanba/pki";

/** Exit codes: 0 success, 1 the operation found a problem (e.g. a tampered log), 2 bad usage or input, 3 internal error. */
export const EXIT = { ok: 0, problem: 1, usage: 2, internal: 3 } as const;

export class UsageError extends Error {
  override name = "UsageError";
}

export interface Command {
  readonly usage: string;
  readonly options: NonNullable<ParseArgsConfig["options"]>;
  readonly allowPositionals?: boolean;
  run(values: Record<string, string | boolean | undefined>, positionals: string[]): Promise<number>;
}

export function parseCommandLine(command: Command, args: string[]) {
  try {
    return parseArgs({
      args,
      options: { ...command.options, help: { type: "boolean", short: "h" } },
      allowPositionals: command.allowPositionals ?? false,
      strict: true,
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

export function helpText(summary: string, command: Command): string {
  return `${summary}\n\nUsage: ${command.usage}\n`;
}

export function required(values: Record<string, unknown>, name: string): string {
  const value = values[name];
  if (typeof value !== "string" || value === "") throw new UsageError(`--${name} is required`);
  return value;
}

/** Maps an error to its message and exit code; a stack trace only for our own faults. */
export function reportError(error: unknown): number {
  if (error instanceof UsageError) {
    process.stderr.write(`qoltanba: ${error.message} (see --help)\n`);
    return EXIT.usage;
  }
  if (error instanceof InputError) {
    process.stderr.write(`qoltanba: ${error.message}\n`);
    return EXIT.usage;
  }
  process.stderr.write(`qoltanba: internal error: ${(error as Error)?.stack ?? String(error)}\n`);
  return EXIT.internal;
}
