import { isSea } from "node:sea";
import { resolve } from "node:path";

/** How to start this very program again: the single executable alone, or Node.js with the CLI script. */
export function currentLauncher(): string[] {
  return isSea() ? [process.execPath] : [process.execPath, resolve(process.argv[1]!)];
}

/** The command line that starts the agent at login, keeping a --home the person chose. */
export function agentCommand(launcher: readonly string[], home: string | undefined): string[] {
  return [...launcher, "agent", ...(home === undefined ? [] : ["--home", resolve(home)])];
}
