import { EXIT, helpText, parseCommandLine, reportError, type Command } from "./command.ts";
import { caAudit } from "./commands/caAudit.ts";
import { caCert } from "./commands/caCert.ts";
import { caCrl } from "./commands/caCrl.ts";
import { caInit } from "./commands/caInit.ts";
import { caIssue } from "./commands/caIssue.ts";
import { caRevoke } from "./commands/caRevoke.ts";
import { demo } from "./commands/demo.ts";
import { serve } from "./commands/serve.ts";

const COMMANDS: readonly Command[] = [caInit, caCert, caIssue, caRevoke, caCrl, caAudit, serve, demo];

function overview(): string {
  const lines = COMMANDS.map((command) => `  ${command.name.padEnd(10)} ${command.summary}`);
  return `qoltanba — a certification authority and its services\n\nUsage: qoltanba COMMAND [options]   (qoltanba COMMAND --help for details)\n\n${lines.join("\n")}\n`;
}

/** Runs one command line; returns the exit code. */
export async function main(args: string[]): Promise<number> {
  const command = COMMANDS.find((candidate) => {
    const words = candidate.name.split(" ");
    return words.every((word, index) => args[index] === word);
  });
  if (!command) {
    const asked = args.length === 0 || args[0] === "--help" || args[0] === "-h" || args[0] === "help";
    (asked ? process.stdout : process.stderr).write(overview());
    return asked ? EXIT.ok : EXIT.usage;
  }
  try {
    const { values, positionals } = parseCommandLine(command, args.slice(command.name.split(" ").length));
    if (values.help) {
      process.stdout.write(helpText(command));
      return EXIT.ok;
    }
    return await command.run(values as Record<string, string | boolean | undefined>, positionals);
  } catch (error) {
    return reportError(error);
  }
}
