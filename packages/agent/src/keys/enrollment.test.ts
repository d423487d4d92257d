import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fromPemOrDer, verifyCsr, verifySignedData } from "@qoltanba/pki";
import { ScriptedDialogs } from "../testing/scriptedDialogs.ts";
import { connect, startTestAgent } from "../testing/testAgent.ts";
import { AUTH_EXTENSIONS, SIGN_EXTENSIONS, TestPki } from "../testing/testPki.ts";

const PORTAL = "https://portal.example.kz";
const KEY_PASSWORD = "Enroll123";

test("generateCsr makes AUTH and SIGN keys in keyDir; importCertificate turns them into NCA-style key files that then sign", async (t) => {
  const pki = new TestPki();
  const keyDir = join(pki.dir, "keys");
  mkdirSync(keyDir);
  const agent = await startTestAgent({ origins: [PORTAL], keyDir, keyPassword: KEY_PASSWORD });
  t.after(async () => {
    await agent.dispose();
    pki.dispose();
  });
  const client = await connect(agent, { origin: PORTAL });

  const generated = await client.basics("generateCsr", { storage: "PKCS12", applicationId: "APP-2026-0001" });
  assert.equal(generated.status, true, generated.details);
  const csrs = generated.body.result.csrs as Record<"AUTH" | "SIGN", string>;
  assert.deepEqual(Object.keys(csrs).sort(), ["AUTH", "SIGN"]);
  const pending = readdirSync(keyDir).sort();
  assert.equal(pending.length, 2);
  assert.match(pending[0]!, /^AUTH_RSA256_[0-9a-f]{40}\.pending\.pem$/);
  assert.match(pending[1]!, /^RSA256_[0-9a-f]{40}\.pending\.pem$/);
  // The private keys are encrypted: no plain PRIVATE KEY block on disk, and the password is nowhere in the files.
  for (const name of pending) {
    const text = readFileSync(join(keyDir, name), "utf8");
    assert.match(text, /BEGIN ENCRYPTED PRIVATE KEY/);
    assert.doesNotMatch(text, /BEGIN PRIVATE KEY|BEGIN RSA PRIVATE KEY/);
    assert.ok(!text.includes(KEY_PASSWORD));
  }

  const certificates: string[] = [];
  for (const [role, extensions] of [
    ["AUTH", AUTH_EXTENSIONS],
    ["SIGN", SIGN_EXTENSIONS],
  ] as const) {
    assert.equal(verifyCsr(csrs[role]).publicKey.algorithm, "rsa");
    writeFileSync(pki.path(`${role}.csr`), csrs[role]);
    assert.match(pki.tryOpenssl(["req", "-verify", "-noout", "-in", `${role}.csr`]).output, /verify OK/i);
    certificates.push(
      pki.certify(
        role,
        csrs[role],
        "/CN=ЖАҢА ИЕСІ/serialNumber=IIN880101300014/C=KZ",
        extensions,
        role === "AUTH" ? 501 : 502,
      ),
    );
  }

  const stranger = pki.issue("stranger", "/CN=STRANGER", SIGN_EXTENSIONS, "Stranger1");
  const refused = await client.basics("importCertificate", {
    storage: "PKCS12",
    applicationId: "APP-2026-0001",
    certificates: [stranger.certificatePem],
  });
  assert.deepEqual(
    [refused.status, refused.code, refused.details],
    [false, "INVALID_IMPORTING_CERTIFICATE", "certificate_matches_no_key"],
  );
  const garbage = await client.basics("importCertificate", {
    storage: "PKCS12",
    applicationId: "APP-2026-0001",
    certificates: ["bm90IGEgY2VydGlmaWNhdGU="],
  });
  assert.deepEqual([garbage.status, garbage.code], [false, "INVALID_IMPORTING_CERTIFICATE"]);

  const imported = await client.basics("importCertificate", {
    storage: "PKCS12",
    applicationId: "APP-2026-0001",
    certificates,
    chain: [pki.caPem],
  });
  assert.equal(imported.status, true, imported.details);
  const files = readdirSync(keyDir).sort();
  assert.equal(files.length, 2);
  for (const entry of imported.body.result.imported as Array<{
    role: string;
    keyId: string;
    fileName: string;
  }>) {
    assert.equal(entry.fileName, `${entry.role === "AUTH" ? "AUTH_" : ""}RSA256_${entry.keyId}.p12`);
    assert.ok(files.includes(entry.fileName));
    // openssl reads the key file with the password the person set, and finds certificate, chain and key.
    writeFileSync(pki.path("key.pass"), KEY_PASSWORD);
    const dump = pki
      .openssl(["pkcs12", "-in", join(keyDir, entry.fileName), "-passin", "file:key.pass", "-nodes"])
      .toString();
    assert.equal(dump.match(/BEGIN CERTIFICATE/g)?.length, 2);
    assert.match(dump, /BEGIN PRIVATE KEY/);
    const ski = pki
      .openssl(["x509", "-noout", "-ext", "subjectKeyIdentifier", "-in", `${entry.role}.pem`])
      .toString();
    assert.ok(ski.replaceAll(":", "").toLowerCase().includes(entry.keyId));
  }
  const remembered = JSON.parse(readFileSync(join(agent.home, "key-storage.json"), "utf8"));
  assert.deepEqual(remembered.applications, { [`${PORTAL} APP-2026-0001`]: keyDir });

  // The new keys sign at once (unattended mode reads keyDir with keyPassword).
  const signed = await client.basics("sign", {
    allowedStorages: ["PKCS12"],
    format: "cms",
    data: "MTEK",
    signingParams: { encapsulate: true },
    signerParams: { extKeyUsageOids: ["1.3.6.1.5.5.7.3.4"] },
  });
  assert.equal(signed.status, true, signed.details);
  const signer = verifySignedData(fromPemOrDer(signed.body.result, ["CMS"], "CMS")).signers[0]!;
  assert.equal(signer.valid, true);
  assert.deepEqual(signer.certificate, fromPemOrDer(certificates[1]!, ["CERTIFICATE"], "SIGN"));

  const badArgs = await client.basics("generateCsr", { storage: "PKCS12", applicationId: "../../etc" });
  assert.deepEqual([badArgs.status, badArgs.code], [false, "INVALID_SIGNING_PARAMS"]);
  client.close();
});

test("importCertificate with changeFolder: the person points the agent at the folder the keys were moved to", async (t) => {
  const pki = new TestPki();
  const dialogs = new ScriptedDialogs();
  const agent = await startTestAgent(undefined, { dialogs });
  t.after(async () => {
    await agent.dispose();
    pki.dispose();
  });
  const client = await connect(agent, { origin: PORTAL });
  const first = join(pki.dir, "first");
  const moved = join(pki.dir, "moved");
  mkdirSync(first);
  mkdirSync(moved);
  dialogs.folder = first;
  dialogs.newPasswords = [KEY_PASSWORD];
  const generated = await client.basics("generateCsr", {
    storage: "PKCS12",
    applicationId: "APP-MOVED",
    keys: ["SIGN"],
  });
  assert.equal(generated.status, true, generated.details);
  for (const name of readdirSync(first)) renameSync(join(first, name), join(moved, name));
  const certificate = pki.certify(
    "moved",
    generated.body.result.csrs.SIGN,
    "/CN=MOVED/C=KZ",
    SIGN_EXTENSIONS,
    601,
  );
  const args = { storage: "PKCS12", applicationId: "APP-MOVED", certificates: [certificate] };

  const remembered = await client.basics("importCertificate", args);
  assert.deepEqual([remembered.status, remembered.details], [false, "certificate_matches_no_key"]);
  const badFlag = await client.basics("importCertificate", { ...args, changeFolder: "yes" });
  assert.deepEqual([badFlag.status, badFlag.code], [false, "INVALID_SIGNING_PARAMS"]);

  dialogs.folder = moved;
  dialogs.passwords = [KEY_PASSWORD];
  const imported = await client.basics("importCertificate", { ...args, changeFolder: true });
  assert.equal(imported.status, true, imported.details);
  assert.deepEqual(readdirSync(moved), [imported.body.result.imported[0].fileName]);
  const memory = JSON.parse(readFileSync(join(agent.home, "key-storage.json"), "utf8"));
  assert.equal(memory.applications[`${PORTAL} APP-MOVED`], moved);
  client.close();
});
