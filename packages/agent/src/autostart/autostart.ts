import { mkdir, rm } from "node:fs/promises";
import { dirname, isAbsolute, join } from "node:path";
import { readIfPresent, writeAtomically } from "../tls/atomicFiles.ts";
import { runCommand, type CommandLine, type RunCommand } from "../trust/run.ts";
import type { Environment } from "../trust/stores.ts";
import { desktopEntry } from "./desktopEntry.ts";
import { LAUNCH_AGENT_LABEL, launchAgentPlist } from "./launchAgent.ts";
import { windowsRunCommands } from "./windowsRun.ts";

/** Where start-at-login lives: a file (XDG autostart, LaunchAgent) or a registry value (Windows Run key). */
export type AutostartEntry =
  | { readonly kind: "file"; readonly path: string; readonly content: string }
  | {
      readonly kind: "registry";
      readonly add: CommandLine;
      readonly query: CommandLine;
      readonly delete: CommandLine;
    };

function xdgConfigHome(environment: Environment): string {
  const configured = environment.env.XDG_CONFIG_HOME;
  return configured && isAbsolute(configured) ? configured : join(environment.homeDirectory, ".config");
}

export function autostartEntry(environment: Environment, command: readonly string[]): AutostartEntry {
  switch (environment.platform) {
    case "win32":
      return {
        kind: "registry",
        add: windowsRunCommands.add(command),
        query: windowsRunCommands.query(),
        delete: windowsRunCommands.delete(),
      };
    case "darwin":
      return {
        kind: "file",
        path: join(environment.homeDirectory, "Library/LaunchAgents", `${LAUNCH_AGENT_LABEL}.plist`),
        content: launchAgentPlist(command),
      };
    default:
      return {
        kind: "file",
        path: join(xdgConfigHome(environment), "autostart/qoltanba-agent.desktop"),
        content: desktopEntry(command),
      };
  }
}

function failed(line: CommandLine, stderr: string): Error {
  return new Error(`${line.command} ${line.args[0]} failed: ${stderr.trim()}`);
}

/** Registers `command` to start at login, replacing an earlier registration; returns where it went. */
export async function installAutostart(
  environment: Environment,
  command: readonly string[],
  run: RunCommand = runCommand,
): Promise<string> {
  const entry = autostartEntry(environment, command);
  if (entry.kind === "registry") {
    const result = await run(entry.add);
    if (result.status !== 0) throw failed(entry.add, result.stderr);
    return entry.add.args[1]!;
  }
  await mkdir(dirname(entry.path), { recursive: true });
  if ((await readIfPresent(entry.path)) !== entry.content)
    await writeAtomically(entry.path, entry.content, 0o644);
  return entry.path;
}

/** Removes the start-at-login registration; false when there was none. */
export async function uninstallAutostart(
  environment: Environment,
  run: RunCommand = runCommand,
): Promise<boolean> {
  const entry = autostartEntry(environment, []);
  if (entry.kind === "registry") {
    if ((await run(entry.query)).status !== 0) return false;
    const result = await run(entry.delete);
    if (result.status !== 0) throw failed(entry.delete, result.stderr);
    return true;
  }
  if ((await readIfPresent(entry.path)) === undefined) return false;
  await rm(entry.path, { force: true });
  return true;
}
