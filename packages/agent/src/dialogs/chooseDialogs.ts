// Which dialogs the agent shows: native where a dialog tool exists, else its own page in the
// browser, else the terminal it runs in.
import { execFileSync, spawnSync } from "node:child_process";
import { platform } from "node:os";
import type { Dialogs } from "./dialogs.ts";
import { AppleScriptBackend, KdialogBackend, PowerShellBackend, ZenityBackend } from "./nativeBackends.ts";
import { type PromptBackend, PromptDialogs } from "./promptDialogs.ts";
import { TerminalBackend } from "./terminalBackend.ts";

const hasCommand = (command: string) => spawnSync(command, ["--version"], { stdio: "ignore" }).error === undefined;

export function nativeBackend(env: NodeJS.ProcessEnv = process.env): PromptBackend | undefined {
  switch (platform()) {
    case "win32":
      return new PowerShellBackend();
    case "darwin":
      return new AppleScriptBackend();
    default:
      if (!env.DISPLAY && !env.WAYLAND_DISPLAY) return undefined;
      if (hasCommand("zenity")) return new ZenityBackend();
      if (hasCommand("kdialog")) return new KdialogBackend();
      return undefined;
  }
}

/** The terminal, when the agent runs in one: echo is switched off with stty while a secret is typed. */
export function terminalBackend(): PromptBackend | undefined {
  if (!process.stdin.isTTY) return undefined;
  const echo = (on: boolean) => {
    try {
      execFileSync("stty", [on ? "echo" : "-echo"], { stdio: ["inherit", "ignore", "ignore"] });
    } catch {
      // Without stty (Windows consoles) the password shows as typed; native dialogs are used there.
    }
  };
  return new TerminalBackend(process.stdin, process.stderr, echo);
}

export function dialogsFrom(backend: PromptBackend): Dialogs {
  return new PromptDialogs(backend);
}
