// Native dialog windows through the desktop's own tools: zenity or kdialog on Linux, osascript on
// macOS, PowerShell (Windows Forms) on Windows. Texts go in as arguments or environment variables
// and answers come back on stdout: a password is never on a command line.
import { spawn } from "node:child_process";
import type { PromptBackend } from "./promptDialogs.ts";

export interface ToolResult {
  status: number | null;
  stdout: string;
}
export type ToolRunner = (
  command: string,
  args: string[],
  env?: Record<string, string>,
) => Promise<ToolResult>;

export const runTool: ToolRunner = (command, args, env) =>
  new Promise((resolve) => {
    const child = spawn(command, args, {
      stdio: ["ignore", "pipe", "ignore"],
      env: { ...process.env, ...env },
    });
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
    child.on("error", () => resolve({ status: null, stdout: "" }));
    child.on("close", (status) => resolve({ status, stdout }));
  });

/** The answer line without the trailing newline; undefined when the person cancelled. */
const answer = (result: ToolResult) =>
  result.status === 0 ? result.stdout.replace(/\r?\n$/, "") : undefined;
const numbered = (choices: string[]) => choices.map((choice, index) => `${index + 1}. ${choice}`);
const indexOf = (text: string | undefined) => {
  const number = text === undefined ? NaN : Number.parseInt(text, 10);
  return Number.isInteger(number) && number >= 1 ? number - 1 : undefined;
};

export class ZenityBackend implements PromptBackend {
  constructor(private readonly run: ToolRunner = runTool) {}

  async choose(title: string, text: string, choices: string[]) {
    const result = await this.run("zenity", [
      "--list",
      "--title",
      title,
      "--text",
      text,
      "--column",
      "",
      "--hide-header",
      "--width",
      "720",
      "--height",
      "480",
      ...numbered(choices),
    ]);
    return indexOf(answer(result));
  }
  async secret(title: string, text: string) {
    return answer(
      await this.run("zenity", [
        "--entry",
        "--hide-text",
        "--title",
        title,
        "--text",
        text,
        "--width",
        "600",
      ]),
    );
  }
  async path(title: string, options: { folder: boolean; extensions: string[]; startDir?: string }) {
    const args = ["--file-selection", "--title", title];
    if (options.folder) args.push("--directory");
    if (options.startDir) args.push("--filename", `${options.startDir.replace(/\/?$/, "/")}`);
    if (options.extensions.length)
      args.push("--file-filter", options.extensions.map((extension) => `*.${extension}`).join(" "));
    return answer(await this.run("zenity", args)) || undefined;
  }
  async message(title: string, text: string) {
    await this.run("zenity", ["--info", "--title", title, "--text", text]);
  }
}

export class KdialogBackend implements PromptBackend {
  constructor(private readonly run: ToolRunner = runTool) {}

  async choose(title: string, text: string, choices: string[]) {
    const items = choices.flatMap((choice, index) => [String(index + 1), choice]);
    return indexOf(answer(await this.run("kdialog", ["--title", title, "--menu", text, ...items])));
  }
  async secret(title: string, text: string) {
    return answer(await this.run("kdialog", ["--title", title, "--password", text]));
  }
  async path(title: string, options: { folder: boolean; extensions: string[]; startDir?: string }) {
    const start = options.startDir ?? ".";
    const args = options.folder
      ? ["--title", title, "--getexistingdirectory", start]
      : [
          "--title",
          title,
          "--getopenfilename",
          start,
          options.extensions.map((extension) => `*.${extension}`).join(" "),
        ];
    return answer(await this.run("kdialog", args)) || undefined;
  }
  async message(title: string, text: string) {
    await this.run("kdialog", ["--title", title, "--msgbox", text]);
  }
}

/** AppleScript through `osascript`; texts arrive as `argv`, never spliced into the script. */
export class AppleScriptBackend implements PromptBackend {
  constructor(private readonly run: ToolRunner = runTool) {}

  private script(lines: string[], args: string[]) {
    return this.run("osascript", [...lines.flatMap((line) => ["-e", line]), ...args]);
  }

  async choose(title: string, text: string, choices: string[]) {
    const result = await this.script(
      [
        "on run argv",
        "set theChoices to items 3 thru -1 of argv",
        "set picked to choose from list theChoices with title (item 1 of argv) with prompt (item 2 of argv)",
        "if picked is false then error number -128",
        "return item 1 of picked",
        "end run",
      ],
      [title, text, ...numbered(choices)],
    );
    return indexOf(answer(result));
  }
  async secret(title: string, text: string) {
    return answer(
      await this.script(
        [
          "on run argv",
          'display dialog (item 2 of argv) with title (item 1 of argv) default answer "" with hidden answer',
          "return text returned of result",
          "end run",
        ],
        [title, text],
      ),
    );
  }
  async path(title: string, options: { folder: boolean; extensions: string[]; startDir?: string }) {
    const what = options.folder ? "choose folder" : "choose file";
    const start = options.startDir ? " default location (POSIX file (item 2 of argv))" : "";
    const result = await this.script(
      ["on run argv", `return POSIX path of (${what} with prompt (item 1 of argv)${start})`, "end run"],
      [title, ...(options.startDir ? [options.startDir] : [])],
    );
    return answer(result) || undefined;
  }
  async message(title: string, text: string) {
    await this.script(
      [
        "on run argv",
        'display dialog (item 2 of argv) with title (item 1 of argv) buttons {"OK"}',
        "end run",
      ],
      [title, text],
    );
  }
}

/** Windows Forms through PowerShell; texts in environment variables, answers on stdout (UTF-8). */
export class PowerShellBackend implements PromptBackend {
  constructor(private readonly run: ToolRunner = runTool) {}

  private form(body: string, env: Record<string, string>) {
    const script = [
      "[Console]::OutputEncoding = [Text.Encoding]::UTF8",
      "Add-Type -AssemblyName System.Windows.Forms",
      "$f = New-Object Windows.Forms.Form; $f.Text = $env:QD_TITLE; $f.Width = 720; $f.Height = 480; $f.TopMost = $true",
      "$l = New-Object Windows.Forms.Label; $l.Text = $env:QD_TEXT; $l.Dock = 'Top'; $l.Height = 200; $f.Controls.Add($l)",
      "$ok = New-Object Windows.Forms.Button; $ok.Text = 'OK'; $ok.Dock = 'Bottom'; $ok.DialogResult = 'OK'; $f.AcceptButton = $ok; $f.Controls.Add($ok)",
      body,
    ].join("; ");
    return this.run("powershell.exe", ["-NoProfile", "-NonInteractive", "-Command", script], env);
  }

  async choose(title: string, text: string, choices: string[]) {
    const result = await this.form(
      "$b = New-Object Windows.Forms.ListBox; $b.Dock = 'Fill'; $env:QD_CHOICES -split \"`n\" | ForEach-Object { [void]$b.Items.Add($_) }; $b.SelectedIndex = 0; $f.Controls.Add($b); $b.BringToFront(); if ($f.ShowDialog() -eq 'OK') { $b.SelectedIndex + 1 } else { exit 1 }",
      { QD_TITLE: title, QD_TEXT: text, QD_CHOICES: choices.join("\n") },
    );
    return indexOf(answer(result));
  }
  async secret(title: string, text: string) {
    return answer(
      await this.form(
        "$t = New-Object Windows.Forms.TextBox; $t.UseSystemPasswordChar = $true; $t.Dock = 'Bottom'; $f.Controls.Add($t); if ($f.ShowDialog() -eq 'OK') { $t.Text } else { exit 1 }",
        { QD_TITLE: title, QD_TEXT: text },
      ),
    );
  }
  async path(title: string, options: { folder: boolean; extensions: string[]; startDir?: string }) {
    const env = {
      QD_TITLE: title,
      QD_START: options.startDir ?? "",
      QD_FILTER: options.extensions.length
        ? `${options.extensions.map((extension) => `*.${extension}`).join(";")}|${options.extensions.map((extension) => `*.${extension}`).join(";")}`
        : "All files|*.*",
    };
    const script = options.folder
      ? "Add-Type -AssemblyName System.Windows.Forms; [Console]::OutputEncoding = [Text.Encoding]::UTF8; $d = New-Object Windows.Forms.FolderBrowserDialog; $d.Description = $env:QD_TITLE; $d.SelectedPath = $env:QD_START; if ($d.ShowDialog() -eq 'OK') { $d.SelectedPath } else { exit 1 }"
      : "Add-Type -AssemblyName System.Windows.Forms; [Console]::OutputEncoding = [Text.Encoding]::UTF8; $d = New-Object Windows.Forms.OpenFileDialog; $d.Title = $env:QD_TITLE; $d.InitialDirectory = $env:QD_START; $d.Filter = $env:QD_FILTER; if ($d.ShowDialog() -eq 'OK') { $d.FileName } else { exit 1 }";
    return (
      answer(await this.run("powershell.exe", ["-NoProfile", "-NonInteractive", "-Command", script], env)) ||
      undefined
    );
  }
  async message(title: string, text: string) {
    await this.form("[void]$f.ShowDialog()", { QD_TITLE: title, QD_TEXT: text });
  }
}
