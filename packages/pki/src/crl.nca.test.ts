// Interop: real NCA RK test CRLs, read by parseCrl and compared with what openssl reads from them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { X509Certificate, generateKeyPairSync } from "node:crypto";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseCertificate } from "./certificateInfo.ts";
import { parseCrl, verifyCrl } from "./crl.ts";
import { InputError } from "./errors.ts";
import { OID } from "./oids.ts";
import { fromPemOrDer } from "./pem.ts";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const fixtures = resolve(repoRoot, "../shared/fixtures/nca");
const CRL_FOLDERS = ["test-ca-2022", "gost2015-test-2026"];

interface OpensslEntry {
  serial: string;
  revokedAt: string;
  reason?: string;
}

/** The entries as `openssl crl -text` prints them. */
function opensslEntries(path: string): { crlNumber: string; entries: OpensslEntry[] } {
  const text = execFileSync("openssl", ["crl", "-inform", "DER", "-in", path, "-noout", "-text"], {
    encoding: "utf8",
  });
  const crlNumber = /X509v3 CRL Number: \n\s+(\d+)/.exec(text)![1]!;
  const entries = text
    .split("Serial Number: ")
    .slice(1)
    .map((block) => {
      const [, serial, date] = /^([0-9A-F]+)\n\s+Revocation Date: (.+ GMT)/.exec(block)!;
      const reasonText = /CRL Reason Code: \n\s+(.+)\n/.exec(block)?.[1];
      const words = reasonText?.split(" ").join("");
      return {
        serial: serial!.toLowerCase(),
        revokedAt: new Date(date!).toISOString(),
        ...(words ? { reason: words[0]!.toLowerCase() + words.slice(1) } : {}),
      };
    });
  return { crlNumber, entries };
}

function caCertificates(folder: string): Buffer[] {
  return readdirSync(folder)
    .filter((name) => /\.(crt|cer)$/.test(name))
    .map((name) => fromPemOrDer(readFileSync(join(folder, name)), ["CERTIFICATE"], name));
}

test("real NCA CRLs parse like openssl reads them; RSA ones verify with their CA certificate", (t) => {
  if (!existsSync(fixtures)) {
    t.diagnostic(`NCA fixtures folder ${fixtures} is absent: interop not checked`);
    return;
  }
  let rsaVerified = 0;
  let gostSeen = 0;
  for (const folderName of CRL_FOLDERS) {
    const folder = join(fixtures, folderName);
    const certificates = caCertificates(folder);
    for (const name of readdirSync(folder).filter((file) => file.endsWith(".crl"))) {
      const path = join(folder, name);
      const crl = parseCrl(readFileSync(path));
      const expected = opensslEntries(path);
      assert.equal(crl.crlNumber.toString(), expected.crlNumber, name);
      const entries = [...crl.entries()].map((entry) => ({
        serial: entry.serial.toString("hex"),
        revokedAt: entry.revokedAt.toISOString(),
        ...(entry.reason ? { reason: entry.reason } : {}),
      }));
      assert.deepEqual(entries, expected.entries, name);
      assert.ok(entries.length > 0, name);
      const [first] = crl.entries();
      assert.deepEqual(crl.findEntry(first!.serial), first);

      const issuer = certificates.find((der) => parseCertificate(der).subjectName.equals(crl.issuerName));
      assert.ok(issuer, `${name}: its CA certificate is in ${folderName}`);
      if (
        crl.signatureAlgorithm === OID.gost2004Signature ||
        crl.signatureAlgorithm === OID.gost2015Signature
      ) {
        gostSeen++;
        // Node cannot load a GOST key; any key will do, the algorithm is refused first
        const anyKey = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey;
        assert.throws(
          () => verifyCrl(crl, anyKey),
          (error: unknown) => error instanceof InputError && error.code === "gost_unsupported",
        );
        continue;
      }
      const publicKey = new X509Certificate(issuer).publicKey;
      assert.ok(verifyCrl(crl, publicKey), `${name} verifies`);
      const tampered = parseCrl(Buffer.from(readFileSync(path)));
      tampered.tbs[tampered.tbs.length - 1]! ^= 1;
      assert.equal(verifyCrl(tampered, publicKey), false, `${name} with a flipped bit does not verify`);
      rsaVerified++;
    }
  }
  assert.equal(rsaVerified, 1);
  assert.ok(gostSeen >= 3);
});
