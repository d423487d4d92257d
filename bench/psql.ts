import { execFile } from "node:child_process";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Runs one SQL command with the `psql` client; returns its unaligned, tuples-only output. */
export async function psql(serverUrl: string, command: string): Promise<string> {
  return (await run("psql", [serverUrl, "-v", "ON_ERROR_STOP=1", "-tAc", command])).stdout;
}
