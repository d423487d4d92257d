import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "../../../..");

test("the single executable and the npm tarball run the agent commands with no node_modules around, and autostart points at the executable itself", () => {
  const out = mkdtempSync(join(tmpdir(), "qoltanba-sea-build-"));
  const built = spawnSync(process.execPath, [join(ROOT, "scripts/build-agent-sea.mjs"), "--out", out], {
    encoding: "utf8",
  });
  assert.equal(built.status, 0, built.stderr);

  const folder = mkdtempSync(join(tmpdir(), "qoltanba sea run "));
  const executable = join(folder, "qoltanba");
  copyFileSync(join(out, "qoltanba"), executable);
  const env = { PATH: process.env.PATH, HOME: folder, XDG_CONFIG_HOME: join(folder, ".config") };
  const run = (args: string[]) => spawnSync(executable, args, { encoding: "utf8", cwd: folder, env });

  const overview = run(["--help"]);
  assert.equal(overview.status, 0, overview.stderr);
  assert.match(overview.stdout, /agent trust[\s\S]*agent install[\s\S]*agent uninstall[\s\S]*agent doctor/);
  const help = run(["agent", "doctor", "--help"]);
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /Usage: qoltanba agent doctor \[--home DIR\] \[--port 13579\]/);
  assert.doesNotMatch(help.stderr, /ExperimentalWarning/);

  const agentHome = join(folder, "agent");
  const trusted = run(["agent", "trust", "--home", agentHome, "--yes"]);
  assert.equal(trusted.status, 0, trusted.stderr);
  const listing = spawnSync("certutil", ["-L", "-d", `sql:${join(folder, ".pki/nssdb")}`], {
    encoding: "utf8",
  }).stdout;
  assert.match(listing, /Qoltanba Agent Local CA \(.*\)\s+C,,/);
  const installed = run(["agent", "install", "--home", agentHome]);
  assert.equal(installed.status, 0, installed.stderr);
  const exec = /^Exec=(.*)$/m.exec(
    readFileSync(join(folder, ".config/autostart/qoltanba-agent.desktop"), "utf8"),
  )?.[1];
  assert.equal(exec, `"${executable}" agent --home "${agentHome}"`);
  const sqlite = spawnSync(executable, ["ca", "init", "--dir", join(folder, "ca")], {
    encoding: "utf8",
    env: { ...env, QOLTANBA_KEY_PASSWORD: "a long test password 123" },
  });
  assert.equal(sqlite.status, 2);
  assert.match(sqlite.stderr, /this single-file build of qoltanba has no SQLite: use --db postgres:/);

  const prefix = mkdtempSync(join(tmpdir(), "qoltanba-npm-global-"));
  const tarball = join(
    out,
    `qoltanba-${JSON.parse(readFileSync(join(ROOT, "packages/cli/package.json"), "utf8")).version}.tgz`,
  );
  const installedGlobally = spawnSync(
    "npm",
    ["install", "--global", "--offline", "--prefix", prefix, tarball],
    { encoding: "utf8", cwd: folder },
  );
  assert.equal(installedGlobally.status, 0, installedGlobally.stderr);
  const fromNpm = spawnSync(join(prefix, "bin/qoltanba"), ["agent", "doctor", "--help"], {
    encoding: "utf8",
    cwd: folder,
    env,
  });
  assert.equal(fromNpm.status, 0, fromNpm.stderr);
  assert.match(fromNpm.stdout, /Usage: qoltanba agent doctor/);
});
