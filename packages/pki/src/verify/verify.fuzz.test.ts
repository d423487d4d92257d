// Seeded mutation fuzzing of the verifiers: whatever the bytes of the certificate, CRL, OCSP
// response, time-stamp or CMS, verification gives a verdict or an InputError, never another error.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { digest, localSigningKey } from "../algorithms.ts";
import { parseCertificate, subjectKeyIdentifierOf } from "../certificateInfo.ts";
import { createSignedData } from "../cms.ts";
import { buildCrl } from "../crl.ts";
import { InputError } from "../errors.ts";
import { buildBasicOcspResponse, buildSingleResponse, certIdFor, issuerHashes, responderKeyHash } from "../ocsp.ts";
import { mutate, seededRandom } from "../test-support/fuzz.ts";
import { type IssuedCertificate, OpensslCa } from "../test-support/openssl-ca.ts";
import { createTimeStampToken, timeStampResponse } from "../tsp.ts";
import type { Verdict } from "./verdict.ts";
import { verifyCertificate, type VerifyOptions } from "./verify-certificate.ts";
import { verifyCms } from "./verify-cms.ts";
import { verifyCrlFile } from "./verify-crl.ts";
import { verifyOcspResponseFile } from "./verify-ocsp.ts";
import { verifyTimeStamp } from "./verify-timestamp.ts";

const ROUNDS = Number(process.env.QOLTANBA_FUZZ_ITERATIONS ?? 300);

let ca: OpensslCa;
let leaf: IssuedCertificate;
const samples: Array<{ name: string; sample: Buffer; expected: string; verify: (input: Buffer, options: VerifyOptions) => Promise<Verdict> }> = [];
let crl: Buffer;

before(async () => {
  ca = new OpensslCa();
  leaf = ca.issue("leaf");
  const tsa = ca.issue("tsa", ["basicConstraints=CA:FALSE", "keyUsage=critical,digitalSignature", "extendedKeyUsage=critical,timeStamping"]);
  const now = new Date(Math.floor(Date.now() / 1000) * 1000);
  const later = new Date(now.getTime() + 3600_000);
  const info = parseCertificate(ca.der);
  crl = await buildCrl(
    { issuerName: info.subjectName, authorityKeyIdentifier: subjectKeyIdentifierOf(info), crlNumber: 3n, thisUpdate: now, nextUpdate: later },
    localSigningKey(ca.key),
    [{ serial: leaf.serial, revokedAt: now, reason: "keyCompromise" }],
  );
  const ocsp = await buildBasicOcspResponse(
    {
      responderKeyHash: responderKeyHash(ca.der),
      producedAt: now,
      singleResponses: [buildSingleResponse(certIdFor(issuerHashes(ca.der, "sha1"), leaf.serial), { kind: "good" }, now, later)],
    },
    localSigningKey(ca.key),
  );
  const signer = { certificate: leaf.der, key: localSigningKey(leaf.key) };
  const stamp = await createTimeStampToken({
    request: { hash: "sha256", messageImprint: digest("sha256", Buffer.from("stamped")), certReq: true },
    policy: "1.2.3.4",
    serial: Buffer.from([7]),
    genTime: now,
    tsa: { certificate: tsa.der, key: localSigningKey(tsa.key) },
    includeCertificate: true,
  });
  const cms = await createSignedData({ content: Buffer.from("signed"), encapsulate: true, signer });
  samples.push(
    { name: "certificate", sample: leaf.der, expected: "revoked", verify: verifyCertificate },
    { name: "CRL", sample: crl, expected: "valid", verify: verifyCrlFile },
    { name: "OCSP response", sample: ocsp, expected: "valid", verify: verifyOcspResponseFile },
    { name: "time-stamp response", sample: timeStampResponse(stamp), expected: "valid", verify: verifyTimeStamp },
    { name: "CMS", sample: cms, expected: "revoked", verify: verifyCms },
  );
});
after(() => ca.dispose());

test("every verifier gives a verdict or an InputError on damaged input", async () => {
  const options: VerifyOptions = { trusted: [ca.der], revocation: "crl", sources: { crls: [crl] } };
  for (const { name, sample, expected, verify } of samples) {
    assert.equal((await verify(sample, options)).verdict, expected, `${name} undamaged`);
    const random = seededRandom(name.length * 7919);
    const verdicts = new Map<string, number>();
    for (let round = 0; round < ROUNDS; round++) {
      const damaged = mutate(sample, random);
      try {
        const { verdict } = await verify(damaged, options);
        verdicts.set(verdict, (verdicts.get(verdict) ?? 0) + 1);
      } catch (error) {
        assert.ok(error instanceof InputError, `${name}, round ${round}: ${(error as Error)?.stack}`);
      }
    }
    assert.ok((verdicts.get(expected) ?? 0) < ROUNDS / 2, `${name}: damage is noticed (${[...verdicts].join(" ")})`);
  }
});
