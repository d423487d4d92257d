// Interoperability with a real NCA RK signing key (shared test material, password Qwerty12): our
// XML signature made with it verifies with xmlsec1 up to NCA's real root.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { localSigningKey } from "./algorithms.ts";
import { openPkcs12 } from "./pkcs12.ts";
import { signXml, verifyXmlSignature } from "./xmldsig.ts";

const repoRoot = fileURLToPath(new URL("../../..", import.meta.url));
const fixtures = resolve(repoRoot, "../shared/fixtures/nca");

test("an XML signature by NCA's RSA signing key verifies with xmlsec1 against NCA's root", async (t) => {
  if (!existsSync(fixtures)) {
    t.diagnostic(`NCA fixtures not found at ${fixtures}: interop not checked`);
    return;
  }
  const folder = join(fixtures, "rsa-2018");
  const keyFile = readFileSync(join(folder, "RSA256_8426360556902ce4ac33977836f873e1dc190976.p12"));
  const [entry] = openPkcs12(keyFile, "Qwerty12").entries;
  const xml = `<?xml version="1.0" encoding="UTF-8"?><login><timeTicket>1546300800000</timeTicket><sessionid>3f0c</sessionid></login>`;
  const signed = await signXml({
    xml,
    signer: { certificate: entry!.certificate, key: localSigningKey(entry!.privateKey) },
  });

  const dir = mkdtempSync(join(tmpdir(), "qoltanba-xmldsig-nca-"));
  try {
    writeFileSync(join(dir, "signed.xml"), signed);
    const args = [
      "--verify",
      "--trusted-der",
      join(folder, "root_rsa.crt"),
      "--untrusted-der",
      join(folder, "nca_rsa.crt"),
    ];
    // The 2018 certificate expired in 2019: check the chain as of a day it was valid.
    const result = spawnSync(
      "xmlsec1",
      [...args, "--verification-time", "2019-01-15 12:00:00", "signed.xml"],
      {
        cwd: dir,
        encoding: "utf8",
      },
    );
    assert.equal(result.status, 0, result.stdout + result.stderr);
    assert.match(result.stdout + result.stderr, /^OK$/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const verified = verifyXmlSignature(signed);
  assert.equal(verified.valid, true);
  assert.deepEqual(verified.certificate, entry!.certificate);
});
