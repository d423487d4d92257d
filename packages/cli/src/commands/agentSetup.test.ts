import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ensureAgentTls } from "@qoltanba/agent";
import { opensslRootCa } from "../../../pki/src/test-support/openssl-ca.ts";
import { BIN } from "../testSupport.ts";

const PROXY_VARIABLES = [
  "http_proxy",
  "HTTP_PROXY",
  "https_proxy",
  "HTTPS_PROXY",
  "all_proxy",
  "ALL_PROXY",
  "no_proxy",
  "NO_PROXY",
];

/** A person's account in a temporary folder: HOME and XDG_CONFIG_HOME there, no proxy. */
function account() {
  const homeDirectory = mkdtempSync(join(tmpdir(), "qoltanba agent cli "));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: homeDirectory,
    XDG_CONFIG_HOME: join(homeDirectory, ".config"),
  };
  for (const name of PROXY_VARIABLES) delete env[name];
  return { homeDirectory, env, agentHome: join(homeDirectory, "agent home") };
}

/** Runs the CLI asynchronously, so a server in this process can answer it. */
function qoltanba(
  args: string[],
  env: NodeJS.ProcessEnv,
  input = "",
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, ...args], { env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk));
    child.on("close", (status) => done({ status, stdout, stderr }));
    child.stdin.end(input);
  });
}

function nssListing(directory: string): string {
  return spawnSync("certutil", ["-L", "-d", `sql:${directory}`], { encoding: "utf8" }).stdout;
}

test("agent trust asks first, then trusts the local CA and a CA root file in ~/.pki/nssdb; --remove takes them out", async () => {
  const { homeDirectory, env, agentHome } = account();
  const nssdb = join(homeDirectory, ".pki/nssdb");
  const root = opensslRootCa(homeDirectory, "Qoltanba Test National Root");

  const declined = await qoltanba(["agent", "trust", "--home", agentHome, "--ca-cert", root], env, "n\n");
  assert.equal(declined.status, 1);
  assert.match(
    declined.stderr,
    /These certificates will be trusted to identify websites[\s\S]*Qoltanba Agent Local CA[\s\S]*Qoltanba Test National Root[\s\S]*Chrome\/Chromium NSS database[\s\S]*Nothing was changed/,
  );
  assert.equal(existsSync(nssdb), false);

  const accepted = await qoltanba(["agent", "trust", "--home", agentHome, "--ca-cert", root], env, "y\n");
  assert.equal(accepted.status, 0, accepted.stderr);
  assert.match(nssListing(nssdb), /Qoltanba Agent Local CA \(.*\)\s+C,,/);
  assert.match(nssListing(nssdb), /Qoltanba Test National Root\s+C,,/);

  const bad = await qoltanba(
    ["agent", "trust", "--home", agentHome, "--yes", "--ca-cert", join(homeDirectory, "missing.cer")],
    env,
  );
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /cannot read .*missing\.cer/);

  const removed = await qoltanba(["agent", "trust", "--home", agentHome, "--remove"], env);
  assert.equal(removed.status, 0, removed.stderr);
  assert.doesNotMatch(nssListing(nssdb), /Qoltanba/);
});

test("agent install registers the XDG autostart entry for this program with its --home, idempotently; uninstall removes it and the trust", async () => {
  const { homeDirectory, env, agentHome } = account();
  const entry = join(homeDirectory, ".config/autostart/qoltanba-agent.desktop");
  for (let run = 0; run < 2; run++) {
    const installed = await qoltanba(["agent", "install", "--home", agentHome], env);
    assert.equal(installed.status, 0, installed.stderr);
  }
  const exec = /^Exec=(.*)$/m.exec(readFileSync(entry, "utf8"))?.[1];
  assert.equal(exec, `${process.execPath} ${BIN} agent --home "${agentHome}"`);
  assert.equal(
    await qoltanba(["agent", "trust", "--home", agentHome, "--yes"], env).then((result) => result.status),
    0,
  );
  assert.match(nssListing(join(homeDirectory, ".pki/nssdb")), /Qoltanba Agent Local CA/);

  const uninstalled = await qoltanba(["agent", "uninstall", "--home", agentHome], env);
  assert.equal(uninstalled.status, 0, uninstalled.stderr);
  assert.match(uninstalled.stderr, /no longer starts at login[\s\S]*removed: Qoltanba Agent Local CA/);
  assert.equal(existsSync(entry), false);
  assert.doesNotMatch(nssListing(join(homeDirectory, ".pki/nssdb")), /Qoltanba/);
  assert.match(
    (await qoltanba(["agent", "uninstall", "--home", agentHome], env)).stderr,
    /was not set to start at login/,
  );
});

test("agent doctor: exit 0 when the agent runs and every store trusts it; 1 with each finding and its fix otherwise; 2 for a bad port", async (t) => {
  const { homeDirectory, env, agentHome } = account();
  const tls = await ensureAgentTls(agentHome);
  const agent = createServer({ key: tls.key, cert: tls.certificate });
  await new Promise<void>((done) => agent.listen(0, "127.0.0.1", done));
  t.after(() => agent.close());
  const port = String((agent.address() as AddressInfo).port);

  const untrusted = await qoltanba(["agent", "doctor", "--home", agentHome, "--port", port], env);
  assert.equal(untrusted.status, 1);
  assert.match(untrusted.stdout, /✔ The Qoltanba agent is running on 127\.0\.0\.1:\d+ \(pid \d+\)/);
  assert.match(
    untrusted.stdout,
    new RegExp(
      `✖ Chrome/Chromium NSS database \\(~/\\.pki/nssdb\\) does not exist yet .*\\n    fix: qoltanba agent trust --home "${agentHome}"`,
    ),
  );

  assert.equal((await qoltanba(["agent", "trust", "--home", agentHome, "--yes"], env)).status, 0);
  const healthy = await qoltanba(["agent", "doctor", "--home", agentHome, "--port", port], env);
  assert.equal(healthy.status, 0, healthy.stdout);
  assert.match(healthy.stdout, /ℹ Chrome and Edge 142\+ \(Local Network Access\)[\s\S]*All is well\.\n$/);

  mkdirSync(join(homeDirectory, ".mozilla/firefox/p1.default"), { recursive: true });
  spawnSync("certutil", [
    "-N",
    "-d",
    `sql:${join(homeDirectory, ".mozilla/firefox/p1.default")}`,
    "--empty-password",
  ]);
  const proxied = await qoltanba(["agent", "doctor", "--home", agentHome, "--port", port], {
    ...env,
    https_proxy: "http://proxy.example:3128",
  });
  assert.equal(proxied.status, 1);
  assert.match(proxied.stdout, /✖ Firefox profile p1\.default .* does not trust the agent's CA/);
  assert.match(
    proxied.stdout,
    /✖ https_proxy set, but no_proxy does not cover 127\.0\.0\.1 and localhost.*\n {4}fix: set no_proxy=127\.0\.0\.1,localhost/,
  );
  assert.match(proxied.stdout, /2 things to fix\.\n$/);

  const badPort = await qoltanba(["agent", "doctor", "--port", "70000"], env);
  assert.equal(badPort.status, 2);
  assert.match(badPort.stderr, /--port must be a TCP port/);
});
