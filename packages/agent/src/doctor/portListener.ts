import { readdir, readFile, readlink } from "node:fs/promises";
import { runCommand, type CommandLine, type RunCommand } from "../trust/run.ts";

/** The program listening on a TCP port; pid and name unknown when it belongs to another user. */
export interface Listener {
  readonly pid?: number;
  readonly program?: string;
  readonly commandLine?: string;
}

/** Socket inodes of listening TCP sockets on `port` in /proc/net/tcp or tcp6 text. */
export function listeningInodes(procNetTcp: string, port: number): string[] {
  const inodes: string[] = [];
  for (const line of procNetTcp.split("\n").slice(1)) {
    const fields = line.trim().split(/\s+/);
    const localPort = fields[1]?.split(":")[1];
    if (localPort && parseInt(localPort, 16) === port && fields[3] === "0A" && fields[9])
      inodes.push(fields[9]);
  }
  return inodes;
}

async function procListener(port: number): Promise<Listener | undefined> {
  const tables = await Promise.all(
    ["/proc/net/tcp", "/proc/net/tcp6"].map((path) => readFile(path, "utf8").catch(() => "")),
  );
  const inodes = new Set(tables.flatMap((table) => listeningInodes(table, port)));
  if (inodes.size === 0) return undefined;
  const pids = (await readdir("/proc")).filter((name) => /^\d+$/.test(name));
  for (const pid of pids) {
    const descriptors = await readdir(`/proc/${pid}/fd`).catch(() => []);
    for (const descriptor of descriptors) {
      const target = await readlink(`/proc/${pid}/fd/${descriptor}`).catch(() => "");
      if (!inodes.has(target.replace(/^socket:\[(\d+)\]$/, "$1"))) continue;
      const program = (await readFile(`/proc/${pid}/comm`, "utf8").catch(() => "")).trim();
      const commandLine = (await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => ""))
        .split("\0")
        .filter(Boolean)
        .join(" ");
      return { pid: Number(pid), program, commandLine };
    }
  }
  return {};
}

export const lsofCommand = (port: number): CommandLine => ({
  command: "lsof",
  args: ["-nP", `-iTCP:${port}`, "-sTCP:LISTEN", "-Fpc"],
});

/** lsof -F output: "p<pid>" then "c<command>" lines. */
export function parseLsof(output: string): Listener | undefined {
  const pid = /^p(\d+)$/m.exec(output)?.[1];
  const program = /^c(.+)$/m.exec(output)?.[1];
  return pid ? { pid: Number(pid), ...(program ? { program } : {}) } : undefined;
}

export const netstatCommand: CommandLine = { command: "netstat", args: ["-ano", "-p", "TCP"] };
export const tasklistCommand = (pid: number): CommandLine => ({
  command: "tasklist",
  args: ["/FI", `PID eq ${pid}`, "/FO", "CSV", "/NH"],
});

/** The PID from netstat -ano's LISTENING line for `port`. */
export function parseNetstat(output: string, port: number): number | undefined {
  for (const line of output.split(/\r?\n/)) {
    const match = /^\s*TCP\s+\S+:(\d+)\s+\S+\s+LISTENING\s+(\d+)\s*$/.exec(line);
    if (match && Number(match[1]) === port) return Number(match[2]);
  }
  return undefined;
}

/** Who listens on `port`: /proc on Linux, lsof on macOS, netstat and tasklist on Windows; undefined if no one. */
export async function findListener(
  port: number,
  platform: NodeJS.Platform,
  run: RunCommand = runCommand,
): Promise<Listener | undefined> {
  if (platform === "linux") return procListener(port);
  if (platform === "win32") {
    const pid = parseNetstat((await run(netstatCommand)).stdout.toString("utf8"), port);
    if (pid === undefined) return undefined;
    const program = /^"([^"]+)"/.exec((await run(tasklistCommand(pid))).stdout.toString("utf8"))?.[1];
    return { pid, ...(program ? { program } : {}) };
  }
  return parseLsof((await run(lsofCommand(port))).stdout.toString("utf8"));
}
