import { test } from "node:test";
import assert from "node:assert/strict";
import { createPublicKey, generateKeyPairSync, randomBytes } from "node:crypto";
import { signatureAlgorithmByOid } from "./algorithms.ts";
import { CertificateBuilder, keyIdentifier, type IssuerDescription } from "./certificate.ts";
import { makeIin } from "./iin.ts";
import { lintTbsCertificate, LintError } from "./lint.ts";
import { encodeName } from "./name.ts";
import { OID } from "./oids.ts";
import { NCA_POLICY_OIDS, PROFILES } from "./profiles/profile.ts";
import { parseSubject } from "./subject.ts";

const issuer: IssuerDescription = {
  name: encodeName([{ type: OID.commonName, value: "LINT TEST CA" }]),
  keyIdentifier: randomBytes(20),
  notAfter: new Date(Date.UTC(2040, 0, 1)),
  signatureAlgorithm: signatureAlgorithmByOid(OID.sha256WithRSAEncryption),
  urls: {
    crl: ["http://127.0.0.1:8080/crl/issuing.crl"],
    deltaCrl: ["http://127.0.0.1:8080/crl/issuing-delta.crl"],
    caIssuers: "http://127.0.0.1:8080/cert/issuing.cer",
    ocsp: "http://127.0.0.1:8080/ocsp",
  },
};
const settings = { policyOids: NCA_POLICY_OIDS, cpsUrl: "http://127.0.0.1:8080/cps" };
const profile = PROFILES["individual-auth"];
const newKey = () => createPublicKey(generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey).export({ type: "spki", format: "der" });
const identity = (day: number) =>
  parseSubject({ iin: makeIin(new Date(Date.UTC(1990, 0, day)), "male", 1), surname: "ТЕСТОВ", givenName: "ТЕСТ" }, "individual");

function tbsFor(builder: CertificateBuilder, publicKeyInfo: Buffer, day: number) {
  const person = identity(day);
  const tbs = builder.tbsCertificate({ profile, identity: person, publicKeyInfo, serial: randomBytes(16).fill(1, 0, 1), notBefore: new Date(), storage: "file" });
  return { tbs, person };
}

const lint = (tbs: Buffer, person: ReturnType<typeof identity>, publicKeyInfo: Buffer, policyOids = NCA_POLICY_OIDS) =>
  lintTbsCertificate(tbs, { profile, identity: person, issuer, settings: { ...settings, policyOids }, publicKeyInfo });

const problemsOf = (run: () => void): string => {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof LintError, String(error));
    return error.message;
  }
  assert.fail("the lint passed");
};

test("the lint remembers a checked extension block, yet still catches a changed extension, a wrong key identifier and another policy", () => {
  const builder = new CertificateBuilder(issuer, settings);
  const [first, second] = [newKey(), newKey()];
  const a = tbsFor(builder, first, 1);
  lint(a.tbs, a.person, first);
  const b = tbsFor(builder, second, 2);
  lint(b.tbs, b.person, second);

  // keyUsage's bits flipped (keyEncipherment off) after the block passed once.
  const keyUsageAt = b.tbs.indexOf(Buffer.from("0603551d0f0101ff0404030205", "hex"));
  assert.ok(keyUsageAt > 0);
  const changedUsage = Buffer.from(b.tbs);
  changedUsage[keyUsageAt + 13]! ^= 0x20;
  assert.match(problemsOf(() => lint(changedUsage, b.person, second)), /keyUsage is digitalSignature(?!\+keyEncipherment)/);

  // The subject key identifier of another key, with the right subject public key.
  const changedKeyId = Buffer.from(b.tbs);
  keyIdentifier(first).copy(changedKeyId, changedKeyId.indexOf(keyIdentifier(second)));
  assert.match(problemsOf(() => lint(changedKeyId, b.person, second)), /subjectKeyIdentifier is not the SHA-1 of the public key/);

  // Built under another deployment's policy arc: the block differs from the one that passed.
  const otherArc = { ...NCA_POLICY_OIDS, policies: { ...NCA_POLICY_OIDS.policies, individualAuth: "1.3.6.1.4.1.99999.1" } };
  const foreign = tbsFor(new CertificateBuilder(issuer, { ...settings, policyOids: otherArc }), second, 3);
  assert.match(problemsOf(() => lint(foreign.tbs, foreign.person, second)), /certificate policy is 1\.3\.6\.1\.4\.1\.99999\.1/);
  lint(foreign.tbs, foreign.person, second, otherArc);
});
