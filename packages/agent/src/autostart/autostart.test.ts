import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { CommandLine } from "../trust/run.ts";
import { autostartEntry, installAutostart, uninstallAutostart } from "./autostart.ts";
import { windowsArgument } from "./windowsRun.ts";

const AWKWARD = ["a\\b", "$HOME", "100%", "it's", 'say "hi"', "(x) & y; `z`", ""];

async function waitForFile(path: string): Promise<string> {
  for (let attempt = 0; attempt < 100 && !existsSync(path); attempt++) await sleep(50);
  return readFileSync(path, "utf8");
}

test("Linux: the XDG autostart entry is written under XDG_CONFIG_HOME, starts the exact command through GLib's gio, and is removed again", async () => {
  const homeDirectory = mkdtempSync(join(tmpdir(), "qoltanba autostart "));
  const environment = {
    platform: "linux" as const,
    homeDirectory,
    env: { XDG_CONFIG_HOME: join(homeDirectory, "config dir") },
  };
  const output = join(homeDirectory, "launched args.json");
  const command = [
    process.execPath,
    "-e",
    "require('fs').writeFileSync(process.argv[1], JSON.stringify(process.argv.slice(2)))",
    output,
    ...AWKWARD,
  ];

  const path = await installAutostart(environment, command);
  assert.equal(path, join(homeDirectory, "config dir/autostart/qoltanba-agent.desktop"));
  assert.equal(await installAutostart(environment, command), path);
  assert.deepEqual(readdirSync(join(homeDirectory, "config dir/autostart")), ["qoltanba-agent.desktop"]);
  const entry = readFileSync(path, "utf8");
  assert.match(entry, /^\[Desktop Entry\]\nType=Application\n/);

  const launched = spawnSync("gio", ["launch", path], { encoding: "utf8", cwd: homeDirectory });
  assert.equal(launched.status, 0, launched.stderr);
  assert.deepEqual(JSON.parse(await waitForFile(output)), AWKWARD);

  assert.equal(await uninstallAutostart(environment), true);
  assert.equal(existsSync(path), false);
  assert.equal(await uninstallAutostart(environment), false);

  const withoutXdg = autostartEntry({ platform: "linux", homeDirectory, env: {} }, command);
  assert.equal(
    withoutXdg.kind === "file" && withoutXdg.path,
    join(homeDirectory, ".config/autostart/qoltanba-agent.desktop"),
  );
});

test("macOS: the LaunchAgent property list that Python's plistlib reads back to the same command", () => {
  const command = [
    "/Applications/Qoltanba Agent/qoltanba",
    "agent",
    "--home",
    "/Users/a&b/<agent>",
    ...AWKWARD,
  ];
  const entry = autostartEntry({ platform: "darwin", homeDirectory: "/Users/aigerim", env: {} }, command);
  assert.equal(
    entry.kind === "file" && entry.path,
    "/Users/aigerim/Library/LaunchAgents/kz.qoltanba.agent.plist",
  );
  const parsed = spawnSync(
    "python3",
    ["-c", "import json, plistlib, sys; print(json.dumps(plistlib.loads(sys.stdin.buffer.read())))"],
    {
      input: entry.kind === "file" ? entry.content : "",
      encoding: "utf8",
    },
  );
  assert.equal(parsed.status, 0, parsed.stderr);
  assert.deepEqual(JSON.parse(parsed.stdout), {
    Label: "kz.qoltanba.agent",
    ProgramArguments: command,
    RunAtLoad: true,
    KeepAlive: { SuccessfulExit: false },
    ProcessType: "Interactive",
  });
});

test("Windows: the exact reg commands, with the command line quoted as Python's list2cmdline (the MS C runtime rules) quotes it", async () => {
  const command = [
    "C:\\Program Files\\Qoltanba\\qoltanba.exe",
    "agent",
    "--home",
    "C:\\Users\\Ә Б\\agent dir\\",
    ...AWKWARD,
  ];
  const entry = autostartEntry({ platform: "win32", homeDirectory: "C:\\Users\\Ә Б", env: {} }, command);
  assert.equal(entry.kind, "registry");
  if (entry.kind !== "registry") return;
  const reference = spawnSync(
    "python3",
    ["-c", "import json, subprocess, sys; print(subprocess.list2cmdline(json.load(sys.stdin)), end='')"],
    {
      input: JSON.stringify(command),
      encoding: "utf8",
    },
  );
  assert.equal(reference.status, 0, reference.stderr);
  assert.equal(command.map(windowsArgument).join(" "), reference.stdout);
  const key = "HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run";
  assert.deepEqual(
    [entry.add.command, ...entry.add.args],
    ["reg", "add", key, "/v", "QoltanbaAgent", "/t", "REG_SZ", "/d", reference.stdout, "/f"],
  );
  assert.deepEqual(
    [entry.delete.command, ...entry.delete.args],
    ["reg", "delete", key, "/v", "QoltanbaAgent", "/f"],
  );

  const ran: CommandLine[] = [];
  const environment = { platform: "win32" as const, homeDirectory: "C:\\Users\\x", env: {} };
  await installAutostart(
    environment,
    command,
    async (line) => (ran.push(line), { status: 0, stdout: Buffer.alloc(0), stderr: "" }),
  );
  assert.deepEqual(ran, [entry.add]);
  const absent = await uninstallAutostart(
    environment,
    async (line) => (ran.push(line), { status: 1, stdout: Buffer.alloc(0), stderr: "not found" }),
  );
  assert.equal(absent, false);
  assert.deepEqual(ran.slice(1), [entry.query]);
});
