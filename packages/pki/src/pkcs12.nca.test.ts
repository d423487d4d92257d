// Interoperability with real key files issued by NCA RK (shared test material, password Qwerty12).
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomBytes, sign, verify, X509Certificate } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { InputError } from "./errors.ts";
import { openPkcs12, writePkcs12 } from "./pkcs12.ts";

const repoRoot = fileURLToPath(new URL("../../..", import.meta.url));
const fixtures = resolve(repoRoot, "../shared/fixtures/nca");
const PASSWORD = "Qwerty12";

const keyFiles = (folder: string): string[] => {
  const found: string[] = [];
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) found.push(...keyFiles(path));
    else if (entry.name.endsWith(".p12")) found.push(path);
  }
  return found.sort();
};

const isCode = (code: string) => (error: unknown) => error instanceof InputError && error.code === code;

/** The SubjectKeyIdentifier of a DER certificate, in lower-case hex, as openssl reads it. */
function opensslSubjectKeyId(certificate: Buffer): string {
  const text = execFileSync("openssl", ["x509", "-inform", "DER", "-noout", "-ext", "subjectKeyIdentifier"], {
    input: certificate,
  }).toString();
  return /\n\s*([0-9A-F:]+)/.exec(text)![1]!.replace(/:/g, "").toLowerCase();
}

test("NCA's RSA key files open and their keys match their certificates and names", (t) => {
  if (!existsSync(fixtures)) {
    t.diagnostic(`NCA fixtures not found at ${fixtures}: interop not checked`);
    return;
  }
  const files = keyFiles(join(fixtures, "rsa-2018"));
  assert.equal(files.length, 2);
  const nca = new X509Certificate(readFileSync(join(fixtures, "rsa-2018", "nca_rsa.crt")));
  for (const file of files) {
    const hex = /_([0-9a-f]{40})\.p12$/.exec(basename(file))![1]!;
    const der = readFileSync(file);
    const { entries } = openPkcs12(der, PASSWORD);
    assert.equal(entries.length, 1, file);
    const [entry] = entries;
    assert.equal(entry!.privateKey.asymmetricKeyType, "rsa");
    assert.equal(entry!.privateKey.asymmetricKeyDetails?.modulusLength, 2048);
    const certificate = new X509Certificate(entry!.certificate);
    const data = randomBytes(64);
    assert.ok(
      verify("sha256", data, certificate.publicKey, sign("sha256", data, entry!.privateKey)),
      `${file}: key and certificate match`,
    );
    assert.ok(certificate.checkIssued(nca), "issued by NCA (RSA)");
    assert.deepEqual(entry!.chain, []);
    // NCA's convention: file name = friendlyName = localKeyID = SubjectKeyIdentifier.
    assert.equal(entry!.friendlyName, hex);
    assert.equal(entry!.localKeyId!.toString("hex"), hex);
    assert.equal(opensslSubjectKeyId(entry!.certificate), hex);
    assert.throws(() => openPkcs12(der, "Qwerty13"), isCode("wrong_password"));

    // Written again, the file gets the same names by default.
    const rewritten = openPkcs12(
      writePkcs12({ privateKey: entry!.privateKey, certificate: entry!.certificate }, PASSWORD, {
        iterations: 1,
      }),
      PASSWORD,
    );
    assert.equal(rewritten.entries[0]!.friendlyName, hex);
    assert.equal(rewritten.entries[0]!.localKeyId!.toString("hex"), hex);
  }
});

test("NCA's GOST key files open as containers and report their GOST key as unsupported", (t) => {
  if (!existsSync(fixtures)) {
    t.diagnostic(`NCA fixtures not found at ${fixtures}: interop not checked`);
    return;
  }
  const files = [
    ...keyFiles(join(fixtures, "gost-2004-2018")),
    ...keyFiles(join(fixtures, "gost2015-test-2026")),
  ];
  assert.equal(files.length, 13);
  for (const file of files) {
    const der = readFileSync(file);
    // The MAC verifies and both bags decrypt; only the key's algorithm stops it.
    assert.throws(
      () => openPkcs12(der, PASSWORD),
      (error) =>
        isCode("gost_unsupported")(error) && (error as Error).message === "GOST keys: not supported yet",
      file,
    );
    assert.throws(() => openPkcs12(der, "Qwerty13"), isCode("wrong_password"), file);
  }
});
