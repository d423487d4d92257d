import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createSoftHsmToken, SOFTHSM_MODULE, TEST_PIN } from "../../../pki/src/test-support/softhsm.ts";
import { connect, type TestAgent } from "../testing/testAgent.ts";
import { SIGN_EXTENSIONS, TestPki } from "../testing/testPki.ts";
import { readAgentCaCertificate } from "../tls/agentTls.ts";
import { startUnattendedAgentProcess } from "../testing/unattendedAgentProcess.ts";

const ROOT = resolve(import.meta.dirname, "../../../..");

test("the single executable and the npm tarball run the agent commands with no node_modules around, use hardware tokens, and autostart points at the executable itself", async (t) => {
  const out = mkdtempSync(join(tmpdir(), "qoltanba-sea-build-"));
  const built = spawnSync(process.execPath, [join(ROOT, "scripts/build-agent-sea.mjs"), "--out", out], {
    encoding: "utf8",
  });
  assert.equal(built.status, 0, built.stderr);

  const folder = mkdtempSync(join(tmpdir(), "qoltanba sea run "));
  const executable = join(folder, "qoltanba");
  copyFileSync(join(out, "qoltanba"), executable);
  const token = createSoftHsmToken("KAZTOKEN");
  const env = {
    PATH: process.env.PATH,
    HOME: folder,
    XDG_CONFIG_HOME: join(folder, ".config"),
    SOFTHSM2_CONF: process.env.SOFTHSM2_CONF,
  };
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
  assert.throws(() => readdirSync(join(folder, ".cache")), /ENOENT/, "no command so far needed PKCS#11");

  // A Kaztoken store on SoftHSM2's library, as a person with a token in an unusual place would set it.
  writeFileSync(
    join(agentHome, "tokens.json"),
    JSON.stringify({ AKKaztokenStore: { libraries: [SOFTHSM_MODULE] } }),
  );
  const tokenPresent = new RegExp(
    `✔ Kaztoken \\(AKKaztokenStore\\): PKCS#11 library ${SOFTHSM_MODULE}, token present: "${token.label}"`,
  );
  const doctor = run(["agent", "doctor", "--tokens", "--home", agentHome]);
  assert.match(doctor.stdout, tokenPresent, doctor.stderr);
  assert.doesNotMatch(doctor.stderr, /Warning/, "the single executable prints no Node.js warning");
  const cache = join(folder, ".cache/qoltanba");
  const [binding, ...others] = readdirSync(cache);
  assert.deepEqual(others, []);
  assert.match(binding!, /^pkcs11-[0-9a-f]{32}\.node$/);
  assert.equal(statSync(cache).mode & 0o777, 0o700);
  assert.equal(statSync(join(cache, binding!)).mode & 0o777, 0o600);

  // The agent itself, run from the executable: a page's client finds the token, has a key made on
  // it, and signs with it; openssl checks the signature.
  const pki = new TestPki();
  t.after(() => pki.dispose());
  writeFileSync(
    pki.path("unattended.json"),
    JSON.stringify({ origins: ["local"], tokens: { AKKaztokenStore: TEST_PIN } }),
  );
  const agent = await startUnattendedAgentProcess(
    t,
    executable,
    ["agent", "--home", agentHome, "--port", "0", "--unattended", pki.path("unattended.json")],
    { cwd: folder, env },
  );
  const caCertificate = (await readAgentCaCertificate(agentHome))!;
  const client = await connect({
    server: { url: agent.url },
    tls: { caCertificate },
  } as unknown as TestAgent);
  const active = (await client.request({
    module: "kz.gov.pki.knca.commonUtils",
    method: "getActiveTokens",
  })) as { responseObject: string[] };
  assert.deepEqual(active.responseObject, ["AKKaztokenStore"]);
  const generated = await client.basics("generateCsr", { storage: "AKKaztokenStore", applicationId: "SEA" });
  assert.equal(generated.status, true, generated.details);
  const csr = (generated.body.result.csrs as Record<"SIGN", string>).SIGN;
  const certificate = pki.certify(
    "sea-sign",
    csr,
    "/CN=SEA TOKEN/serialNumber=IIN880101300014/C=KZ",
    SIGN_EXTENSIONS,
    0x5ea,
  );
  const imported = await client.basics("importCertificate", {
    storage: "AKKaztokenStore",
    applicationId: "SEA",
    certificates: [certificate],
  });
  assert.equal(imported.status, true, imported.details);
  const data = Buffer.from("signed by the single executable with a key on a token");
  const signed = (await client.request({
    module: "kz.gov.pki.knca.commonUtils",
    method: "createCAdESFromBase64",
    args: ["AKKaztokenStore", "SIGNATURE", data.toString("base64"), true],
  })) as { code: string; responseObject: string };
  assert.equal(signed.code, "200", JSON.stringify(signed));
  assert.deepEqual(pki.verifyCms(Buffer.from(signed.responseObject, "base64")), data);
  client.close();
  assert.equal(await agent.stop(), 0);
  assert.ok(!agent.stderr().includes(TEST_PIN));

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
  const npmDoctor = spawnSync(
    join(prefix, "bin/qoltanba"),
    ["agent", "doctor", "--tokens", "--home", agentHome],
    {
      encoding: "utf8",
      cwd: folder,
      env,
    },
  );
  assert.match(npmDoctor.stdout, tokenPresent, npmDoctor.stderr);
});
