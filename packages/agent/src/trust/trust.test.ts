import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { InputError } from "@qoltanba/pki";
import { agentTlsPaths, ensureAgentTls } from "../tls/agentTls.ts";
import { readTrustedCertificate, trustedCertificate } from "./certificates.ts";
import { discoverTrustStores, type TrustStore } from "./stores.ts";
import {
  addCommands,
  installTrust,
  isTrusted,
  recordedCertificates,
  removeCommands,
  removeTrust,
} from "./trust.ts";
import { opensslRootCa } from "../../../pki/src/test-support/openssl-ca.ts";
import {
  firefoxProfile,
  nssListing,
  rogueServerCertificate,
  temporaryFolder,
  vfychain,
} from "./testSupport.ts";

test("Linux: trust goes into ~/.pki/nssdb (created) and every Firefox profile; NSS then validates the agent's certificate and still refuses other names", async () => {
  const homeDirectory = temporaryFolder("qoltanba-trust-home-");
  const agentHome = join(homeDirectory, ".qoltanba-agent");
  const profile = firefoxProfile(homeDirectory, "ab12cd.default-release");
  mkdirSync(join(homeDirectory, ".mozilla/firefox/Crash Reports"), { recursive: true });
  const stores = await discoverTrustStores({ platform: "linux", homeDirectory, env: {} });
  assert.deepEqual(
    stores.map((store) => store.kind === "nss" && store.directory),
    [join(homeDirectory, ".pki/nssdb"), profile],
  );

  const tls = await ensureAgentTls(agentHome);
  const localCa = trustedCertificate(tls.caCertificate, "local CA");
  const nationalRoot = await readTrustedCertificate(opensslRootCa(homeDirectory, "Qoltanba Test Root"));
  const work = temporaryFolder("qoltanba-trust-work-");
  assert.notEqual(
    vfychain(join(homeDirectory, ".pki/nssdb"), tls.certificate, work).status,
    0,
    "no database, no trust",
  );

  const changes = await installTrust({ home: agentHome, stores, certificates: [localCa, nationalRoot] });
  assert.deepEqual(
    changes.map((change) => change.outcome),
    ["added", "added", "added", "added"],
    JSON.stringify(changes.map((c) => c.detail)),
  );
  for (const directory of [join(homeDirectory, ".pki/nssdb"), profile]) {
    const listing = nssListing(directory);
    assert.equal(listing.get(localCa.name), "C,,");
    assert.equal(listing.get("Qoltanba Test Root"), "C,,");
    const valid = vfychain(directory, tls.certificate, work);
    assert.equal(valid.status, 0, valid.output);
  }

  const rogue = rogueServerCertificate(agentHome, [
    "subjectAltName=DNS:bank.example",
    "extendedKeyUsage=serverAuth",
  ]);
  const refused = vfychain(join(homeDirectory, ".pki/nssdb"), rogue, work);
  assert.notEqual(refused.status, 0);
  assert.match(
    refused.output,
    /ERROR -8080: The Certifying Authority for this certificate is not permitted to issue a certificate with this name/,
  );

  const again = await installTrust({ home: agentHome, stores, certificates: [localCa, nationalRoot] });
  assert.deepEqual(
    again.map((change) => change.outcome),
    ["already trusted", "already trusted", "already trusted", "already trusted"],
  );
  assert.deepEqual(
    (await recordedCertificates(agentHome)).map((certificate) => certificate.name),
    [localCa.name, "Qoltanba Test Root"],
  );

  const removed = await removeTrust({ home: agentHome, stores, certificates: [localCa] });
  assert.deepEqual(
    removed.map((change) => change.outcome),
    ["removed", "removed", "removed", "removed"],
  );
  for (const directory of [join(homeDirectory, ".pki/nssdb"), profile]) {
    assert.equal(nssListing(directory).size, 0);
    assert.equal(await isTrusted(stores[0]!, localCa), false);
  }
  assert.equal(existsSync(join(agentHome, "trusted-certificates.json")), false);
  writeFileSync(join(agentHome, "trusted-certificates.json"), "{ not json");
  await assert.rejects(
    recordedCertificates(agentHome),
    (error: unknown) =>
      error instanceof InputError && /trusted-certificates\.json is damaged/.test(error.message),
  );
  rmSync(join(agentHome, "trusted-certificates.json"));
  const nothingLeft = await removeTrust({ home: agentHome, stores, certificates: [localCa] });
  assert.deepEqual(
    nothingLeft.map((change) => change.outcome),
    ["not present", "not present"],
  );
});

test("a store whose tool is missing is reported per certificate, with the package to install", async () => {
  const homeDirectory = temporaryFolder("qoltanba-trust-home-");
  const localCa = trustedCertificate(
    (await ensureAgentTls(join(homeDirectory, "agent"))).caCertificate,
    "local CA",
  );
  const stores = await discoverTrustStores({ platform: "linux", homeDirectory, env: {} });
  const changes = await installTrust({
    home: join(homeDirectory, "agent"),
    stores,
    certificates: [localCa],
    run: async () => ({ status: null, stdout: Buffer.alloc(0), stderr: "spawn certutil ENOENT" }),
  });
  assert.equal(changes[0]!.outcome, "failed");
  assert.match(changes[0]!.detail!, /certutil is not installed .*libnss3-tools/);
  assert.equal(existsSync(join(homeDirectory, "agent/trusted-certificates.json")), false);
});

test("macOS and Windows: the exact commands trust would run", async () => {
  const folder = temporaryFolder("qoltanba-trust-");
  const certificate = await readTrustedCertificate(opensslRootCa(folder, "Qoltanba Test Root"));
  const [keychain] = await discoverTrustStores({
    platform: "darwin",
    homeDirectory: "/Users/aigerim",
    env: {},
  });
  const [windows] = await discoverTrustStores({
    platform: "win32",
    homeDirectory: "C:\\Users\\aigerim",
    env: {},
  });
  const commands = (store: TrustStore, build: typeof addCommands) =>
    build(store, certificate, "/tmp/ca.cer").map((line) => [line.command, ...line.args]);

  assert.deepEqual(commands(keychain!, addCommands), [
    [
      "security",
      "add-trusted-cert",
      "-r",
      "trustRoot",
      "-k",
      "/Users/aigerim/Library/Keychains/login.keychain-db",
      "/tmp/ca.cer",
    ],
  ]);
  assert.deepEqual(commands(keychain!, removeCommands), [
    ["security", "remove-trusted-cert", "/tmp/ca.cer"],
    [
      "security",
      "delete-certificate",
      "-Z",
      certificate.sha1,
      "/Users/aigerim/Library/Keychains/login.keychain-db",
    ],
  ]);
  assert.deepEqual(commands(windows!, addCommands), [
    ["certutil", "-user", "-addstore", "Root", "/tmp/ca.cer"],
  ]);
  assert.deepEqual(commands(windows!, removeCommands), [
    ["certutil", "-user", "-delstore", "Root", certificate.sha1],
  ]);
  const sha1 = spawnSync("openssl", ["x509", "-inform", "DER", "-noout", "-fingerprint", "-sha1"], {
    input: certificate.der,
    encoding: "utf8",
  });
  assert.equal(certificate.sha1, sha1.stdout.trim().split("=")[1]!.replace(/:/g, ""));

  const asked: string[][] = [];
  const present = await isTrusted(windows!, certificate, async (line) => {
    asked.push([line.command, ...line.args]);
    return { status: 0, stdout: Buffer.alloc(0), stderr: "" };
  });
  assert.equal(present, true);
  assert.deepEqual(asked, [["certutil", "-user", "-store", "Root", certificate.sha1]]);
});

test("only CA certificates are accepted, and bad files are named", async () => {
  const folder = temporaryFolder("qoltanba-trust-");
  const tls = await ensureAgentTls(join(folder, "agent"));
  assert.throws(
    () => trustedCertificate(tls.certificate, "server.pem"),
    (error: unknown) =>
      error instanceof InputError && /server\.pem is not a CA certificate/.test(error.message),
  );
  writeFileSync(join(folder, "junk.cer"), "not a certificate");
  await assert.rejects(
    readTrustedCertificate(join(folder, "junk.cer")),
    (error: unknown) => error instanceof InputError && /junk\.cer/.test(error.message),
  );
  await assert.rejects(
    readTrustedCertificate(join(folder, "missing.cer")),
    (error: unknown) => error instanceof InputError && /cannot read/.test(error.message),
  );
  assert.equal(
    trustedCertificate(
      readFileSync(agentTlsPaths(join(folder, "agent")).caCertificate),
      "ca",
    ).name.startsWith("Qoltanba Agent Local CA ("),
    true,
  );
});
