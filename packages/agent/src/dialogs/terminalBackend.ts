// Prompts on the terminal the agent was started from: the last resort without a desktop.
import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import type { PromptBackend } from "./promptDialogs.ts";

export class TerminalBackend implements PromptBackend {
  private readonly lines: AsyncIterator<string>;

  constructor(
    input: Readable,
    private readonly output: Writable,
    /** Turns echo off while a secret is typed (a TTY's setRawMode), and back on. */
    private readonly echo: (on: boolean) => void = () => undefined,
  ) {
    this.lines = createInterface({ input, terminal: false })[Symbol.asyncIterator]();
  }

  private async line(): Promise<string | undefined> {
    const next = await this.lines.next();
    return next.done ? undefined : next.value;
  }

  async choose(title: string, text: string, choices: string[]): Promise<number | undefined> {
    this.output.write(
      `\n== ${title} ==\n${text}\n\n${choices.map((choice, index) => `  ${index + 1}) ${choice}`).join("\n")}\n  0) Cancel\nYour choice: `,
    );
    const answer = Number((await this.line())?.trim());
    return Number.isInteger(answer) && answer >= 1 && answer <= choices.length ? answer - 1 : undefined;
  }

  async secret(title: string, text: string): Promise<string | undefined> {
    this.output.write(`\n== ${title} ==\n${text}\n(empty to cancel) > `);
    this.echo(false);
    try {
      const answer = await this.line();
      return answer ? answer : undefined;
    } finally {
      this.echo(true);
      this.output.write("\n");
    }
  }

  async path(
    title: string,
    options: { folder: boolean; extensions: string[]; startDir?: string },
  ): Promise<string | undefined> {
    const kind = options.folder
      ? "folder"
      : `file${options.extensions.length ? ` (${options.extensions.map((extension) => `.${extension}`).join(", ")})` : ""}`;
    this.output.write(
      `\n== ${title} ==\nFull path of the ${kind}${options.startDir ? `, e.g. in ${options.startDir}` : ""} (empty to cancel): `,
    );
    const answer = (await this.line())?.trim();
    return answer ? answer : undefined;
  }

  async message(title: string, text: string): Promise<void> {
    this.output.write(`\n== ${title} ==\n${text}\n`);
  }
}
