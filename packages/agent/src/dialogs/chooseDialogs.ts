// Which dialogs the agent shows: native where a dialog tool exists, else its own page in the
// browser, else the terminal it runs in.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { platform } from "node:os";
import type { Dialogs } from "./dialogs.ts";
import { AppleScriptBackend, KdialogBackend, PowerShellBackend, ZenityBackend } from "./nativeBackends.ts";
import { type PromptBackend, PromptDialogs } from "./promptDialogs.ts";
import { TerminalBackend } from "./terminalBackend.ts";
import { WebPageBackend } from "./webPageBackend.ts";

const hasCommand = (command: string) =>
  spawnSync(command, ["--version"], { stdio: "ignore" }).error === undefined;

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

/** The agent's own page, on a desktop whose browser `xdg-open` can open. */
export function webPageBackend(env: NodeJS.ProcessEnv = process.env): WebPageBackend | undefined {
  if (platform() !== "linux" || (!env.DISPLAY && !env.WAYLAND_DISPLAY) || !hasCommand("xdg-open"))
    return undefined;
  return new WebPageBackend((url) => spawn("xdg-open", [url], { stdio: "ignore", detached: true }).unref());
}

export interface ChosenDialogs {
  dialogs: Dialogs;
  /** Set when the dialogs are the agent's page: the server must serve it. */
  webPage?: WebPageBackend;
}

/** Native, else the agent's page, else the terminal; undefined when none can reach a person. */
export function chooseDialogs(): ChosenDialogs | undefined {
  const native = nativeBackend();
  if (native) return { dialogs: new PromptDialogs(native) };
  const webPage = webPageBackend();
  if (webPage) return { dialogs: new PromptDialogs(webPage), webPage };
  const terminal = terminalBackend();
  return terminal ? { dialogs: new PromptDialogs(terminal) } : undefined;
}
