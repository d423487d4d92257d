import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { InputError } from "@qoltanba/pki";
import { agentTlsPaths, ensureAgentTls, readAgentCaCertificate } from "./agentTls.ts";
import { DAY_MS } from "./keys.ts";
import { rogueServerCertificate } from "../trust/testSupport.ts";

function temporaryHome(): string {
  return mkdtempSync(join(tmpdir(), "qoltanba-agent-tls-"));
}

function openssl(args: string[], input?: string) {
  const result = spawnSync("openssl", args, { input: input ?? "", encoding: "utf8" });
  return { status: result.status, output: result.stdout + result.stderr };
}

function verifyServer(home: string, certificate: string, extra: string[] = []) {
  return openssl(
    [
      "verify",
      "-x509_strict",
      "-purpose",
      "sslserver",
      "-CAfile",
      agentTlsPaths(home).caCertificate,
      ...extra,
    ],
    certificate,
  );
}

test("first run makes a name-constrained local CA and a server certificate that openssl accepts for 127.0.0.1, ::1 and localhost", async () => {
  const home = temporaryHome();
  const tls = await ensureAgentTls(home);
  const paths = agentTlsPaths(home);
  assert.equal(statSync(paths.directory).mode & 0o777, 0o700);
  assert.equal(statSync(paths.ca).mode & 0o777, 0o600);
  assert.equal(statSync(paths.server).mode & 0o777, 0o600);

  for (const check of [
    ["-verify_ip", "127.0.0.1"],
    ["-verify_ip", "::1"],
    ["-verify_hostname", "localhost"],
  ]) {
    const result = verifyServer(home, tls.certificate, check);
    assert.equal(result.status, 0, `${check.join(" ")}: ${result.output}`);
  }
  assert.notEqual(verifyServer(home, tls.certificate, ["-verify_hostname", "example.com"]).status, 0);

  const ca = openssl(["x509", "-noout", "-text"], tls.caCertificate).output;
  assert.match(ca, /Subject: CN ?= ?Qoltanba Agent Local CA \(.+ [0-9a-f]{8}\)/);
  assert.match(
    ca,
    /Name Constraints: critical\s+Permitted:\s+IP:127\.0\.0\.1\/255\.255\.255\.255\s+IP:0:0:0:0:0:0:0:1\/FFFF(:FFFF){7}\s+DNS:localhost/,
  );
  assert.match(ca, /CA:TRUE, pathlen:0/);
  const server = openssl(["x509", "-noout", "-text"], tls.certificate).output;
  assert.match(server, /TLS Web Server Authentication/);
  const serverCertificate = new X509Certificate(tls.certificate);
  assert.ok(new Date(serverCertificate.validTo).getTime() - Date.now() <= 398 * DAY_MS);
  assert.ok(
    serverCertificate.checkPrivateKey(await import("node:crypto").then((c) => c.createPrivateKey(tls.key))),
  );
  assert.equal(await readAgentCaCertificate(home), tls.caCertificate);
});

test("a certificate for any other name, signed with the local CA's own key, fails the name constraints", async () => {
  const home = temporaryHome();
  await ensureAgentTls(home);
  const rogue = rogueServerCertificate(home, [
    "subjectAltName=DNS:bank.example",
    "extendedKeyUsage=serverAuth",
    "basicConstraints=CA:FALSE",
  ]);
  const result = verifyServer(home, rogue);
  assert.notEqual(result.status, 0);
  assert.match(result.output, /permitted subtree violation/);
});

test("later runs reuse the material; the server certificate is renewed near expiry, the CA kept", async () => {
  const home = temporaryHome();
  const first = await ensureAgentTls(home);
  assert.deepEqual(await ensureAgentTls(home), first);

  const later = new Date(Date.now() + 400 * DAY_MS);
  const renewed = await ensureAgentTls(home, later);
  assert.equal(renewed.caCertificate, first.caCertificate);
  assert.notEqual(renewed.certificate, first.certificate);
  assert.notEqual(renewed.key, first.key);
  const atTime = String(Math.floor(later.getTime() / 1000));
  assert.equal(verifyServer(home, renewed.certificate, ["-attime", atTime]).status, 0);
  assert.notEqual(verifyServer(home, first.certificate, ["-attime", atTime]).status, 0);
  assert.deepEqual(await ensureAgentTls(home, later), renewed);
});

test("every installation gets its own CA, also when several processes start at once", async () => {
  const home = temporaryHome();
  const results = await Promise.all([1, 2, 3, 4].map(() => ensureAgentTls(home)));
  for (const result of results) assert.equal(result.caCertificate, results[0]!.caCertificate);
  const other = await ensureAgentTls(temporaryHome());
  assert.notEqual(other.caCertificate, results[0]!.caCertificate);
  const key = (pem: string) =>
    new X509Certificate(pem).publicKey.export({ type: "spki", format: "der" }).toString("hex");
  assert.notEqual(key(other.caCertificate), key(results[0]!.caCertificate));
});

test("a damaged CA file is reported, not silently replaced; a damaged server file is reissued", async () => {
  const home = temporaryHome();
  const first = await ensureAgentTls(home);
  const paths = agentTlsPaths(home);
  writeFileSync(paths.server, "garbage");
  const reissued = await ensureAgentTls(home);
  assert.equal(reissued.caCertificate, first.caCertificate);
  assert.equal(verifyServer(home, reissued.certificate).status, 0);

  writeFileSync(paths.ca, first.caCertificate);
  await assert.rejects(
    ensureAgentTls(home),
    (error: unknown) => error instanceof InputError && /ca\.pem is not a CA key/.test(error.message),
  );
  await assert.rejects(readAgentCaCertificate(home), InputError);
  assert.equal(await readAgentCaCertificate(temporaryHome()), undefined);
});
