// Interop: real NCA RK OCSP responses (RSA and GOST signed), read by parseOcspResponse and
// compared with what `openssl ocsp -resp_text -noverify` reads from them.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { X509Certificate, generateKeyPairSync } from "node:crypto";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { InputError } from "./errors.ts";
import { certIdMatches, issuerHashes, parseOcspResponse, verifyOcspResponse } from "./ocsp.ts";
import { OID } from "./oids.ts";
import { fromPemOrDer } from "./pem.ts";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const fixtures = resolve(repoRoot, "../shared/fixtures/nca");
const CA_FOLDERS = ["test-ca-2022", "gost2015-test-2026"];

const hex = (bytes: Buffer) => bytes.toString("hex").toUpperCase();
const field = (text: string, name: string) => new RegExp(`${name}: (.+)\\n`).exec(text)?.[1];

test("real NCA OCSP responses parse like openssl reads them; the RSA one verifies", (t) => {
  if (!existsSync(fixtures)) {
    t.diagnostic(`NCA fixtures folder ${fixtures} is absent: interop not checked`);
    return;
  }
  const caCertificates = CA_FOLDERS.flatMap((folder) =>
    readdirSync(join(fixtures, folder))
      .filter((name) => /\.(crt|cer)$/.test(name))
      .map((name) => fromPemOrDer(readFileSync(join(fixtures, folder, name)), ["CERTIFICATE"], name)),
  );
  const files = readdirSync(join(fixtures, "ocsp"));
  assert.ok(files.length >= 4);
  let rsaVerified = 0;
  let gostSeen = 0;
  for (const name of files) {
    const path = join(fixtures, "ocsp", name);
    const text = execFileSync("openssl", ["ocsp", "-respin", path, "-resp_text", "-noverify"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"], // openssl cannot load the GOST keys and says so on stderr
    });
    const response = parseOcspResponse(readFileSync(path));
    assert.equal(response.status, "successful", name);
    if (response.status !== "successful") continue;

    assert.equal(new Date(field(text, "Produced At")!).getTime(), response.producedAt.getTime(), name);
    assert.equal(response.responses.length, 1);
    const [single] = response.responses;
    const { certId, status } = single!;
    assert.equal(field(text, "Hash Algorithm"), certId.hashAlgorithm);
    assert.equal(field(text, "Issuer Name Hash"), hex(certId.issuerNameHash));
    assert.equal(field(text, "Issuer Key Hash"), hex(certId.issuerKeyHash));
    assert.equal(field(text, "Serial Number"), hex(certId.serial));
    assert.equal(field(text, "Cert Status"), status.kind);
    if (status.kind === "revoked") {
      assert.equal(new Date(field(text, "Revocation Time")!).getTime(), status.revokedAt.getTime());
      assert.match(field(text, "Revocation Reason")!, new RegExp(`^${status.reason} \\(0x`));
    }
    assert.equal(new Date(field(text, "This Update")!).getTime(), single!.thisUpdate.getTime());
    assert.equal(
      /OCSP Nonce: \n\s+([0-9A-F]+)/.exec(text)![1],
      "04" + hex(Buffer.from([response.nonce!.length])) + hex(response.nonce!),
    );
    assert.equal(text.match(/^Certificate:$/gm)?.length, response.certificates.length);
    assert.ok(
      caCertificates.some((ca) => certIdMatches(certId, issuerHashes(ca, certId.hashAlgorithm))),
      `${name}: the CertID names one of NCA's CA certificates`,
    );

    if (
      response.signatureAlgorithm === OID.gost2004Signature ||
      response.signatureAlgorithm === OID.gost2015Signature
    ) {
      gostSeen++;
      // Node cannot load a GOST key; any key will do, the algorithm is refused first
      const anyKey = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey;
      assert.throws(
        () => verifyOcspResponse(response, anyKey),
        (error: unknown) => error instanceof InputError && error.code === "gost_unsupported",
      );
      continue;
    }
    const signer = new X509Certificate(response.certificates[0]!);
    assert.ok(
      verifyOcspResponse(response, signer.publicKey),
      `${name} verifies with its embedded responder certificate`,
    );
    const tampered = parseOcspResponse(Buffer.from(readFileSync(path)));
    assert.equal(tampered.status, "successful");
    if (tampered.status !== "successful") continue;
    tampered.tbsResponseData[tampered.tbsResponseData.length - 1]! ^= 1;
    assert.equal(verifyOcspResponse(tampered, signer.publicKey), false);
    rsaVerified++;
  }
  assert.equal(rsaVerified, 1);
  assert.equal(gostSeen, 3);
});
