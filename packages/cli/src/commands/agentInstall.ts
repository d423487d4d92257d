import {
  agentCommand,
  currentEnvironment,
  currentLauncher,
  defaultAgentHome,
  describeCommand,
  installAutostart,
} from "@qoltanba/agent";
import { EXIT, type Command } from "../command.ts";

export const agentInstall: Command = {
  usage: `qoltanba agent install [--home DIR]

  Starts the agent at every login: Linux ~/.config/autostart/qoltanba-agent.desktop (XDG),
  macOS ~/Library/LaunchAgents/kz.qoltanba.agent.plist, Windows the HKCU Run key.
  Run it again after moving the program; qoltanba agent uninstall undoes it.

  --home DIR   the agent's folder, passed on to the agent (default ${defaultAgentHome()})`,
  options: { home: { type: "string" } },
  async run(values) {
    const command = agentCommand(currentLauncher(), values.home as string | undefined);
    const where = await installAutostart(currentEnvironment(), command);
    process.stderr.write(
      `The agent will start at login (${where}).\nStart it now: ${describeCommand({ command: command[0]!, args: command.slice(1) })}\n`,
    );
    process.stderr.write(
      `If browsers do not trust it yet: qoltanba agent trust${values.home ? ` --home ${values.home as string}` : ""}\n`,
    );
    return EXIT.ok;
  },
};
