import type { CommandLine } from "../trust/run.ts";

const RUN_KEY = "HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run";
const VALUE_NAME = "QoltanbaAgent";

/** One argument quoted as CommandLineToArgvW reads it back: backslashes doubled only before a quote. */
export function windowsArgument(argument: string): string {
  if (argument !== "" && !/[\s"]/.test(argument)) return argument;
  return `"${argument.replace(/(\\*)"/g, '$1$1\\"').replace(/(\\+)$/, "$1$1")}"`;
}

export const windowsRunCommands = {
  add: (command: readonly string[]): CommandLine => ({
    command: "reg",
    args: [
      "add",
      RUN_KEY,
      "/v",
      VALUE_NAME,
      "/t",
      "REG_SZ",
      "/d",
      command.map(windowsArgument).join(" "),
      "/f",
    ],
  }),
  query: (): CommandLine => ({ command: "reg", args: ["query", RUN_KEY, "/v", VALUE_NAME] }),
  delete: (): CommandLine => ({ command: "reg", args: ["delete", RUN_KEY, "/v", VALUE_NAME, "/f"] }),
};
