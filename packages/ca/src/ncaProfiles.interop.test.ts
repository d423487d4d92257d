// Compares the certificates Qoltanba issues with real NCA certificates (../shared/fixtures/nca,
// outside the repository) field by field: same extensions in the same order and criticality, key
// usages, EKU and policy OIDs, DN order and string types. Keys, names, dates and URLs differ.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { addMonths, children, decodeOid, OID, parseCertificate, readSingle, type CertificateInfo } from "@qoltanba/pki";
import { openCertificateAuthority } from "./authority.ts";
import { initCertificateAuthority } from "./init.ts";
import { CertificateIssuer } from "./issuance.ts";
import { openssl, opensslCsr, temporaryDirectory, TEST_PASSWORD } from "./testSupport.ts";

const FIXTURES = resolve(import.meta.dirname, "../../../../shared/fixtures/nca/rsa-2018");

/** Everything about a certificate's structure that must match NCA's, nothing that may differ. */
function shape(info: CertificateInfo) {
  const subject = children(readSingle(info.subjectName)).map((rdn) => {
    const [type, value] = children(children(rdn)[0]!);
    return `${decodeOid(type!.content)}:${value!.tag}`;
  });
  const extensions = [...info.extensions].map(([oid, { critical }]) => `${oid}${critical ? "!" : ""}`);
  const value = (oid: string) => readSingle(info.extensions.get(oid)!.value);
  const policies = children(value(OID.certificatePolicies)).map((policy) => {
    const [policyOid, qualifiers] = children(policy);
    const qualifierShapes = children(qualifiers!).map((qualifier) => {
      const [qualifierOid, content] = children(qualifier);
      const tags = content!.tag === 0x30 ? children(content!).map((part) => part.tag) : [content!.tag];
      return `${decodeOid(qualifierOid!.content)}(${tags.join(",")})`;
    });
    return `${decodeOid(policyOid!.content)} ${qualifierShapes.join(" ")}`;
  });
  const accessMethods = children(value(OID.authorityInfoAccess)).map((access) => decodeOid(children(access)[0]!.content));
  const distributionPointShape = (oid: string) =>
    children(value(oid)).map((point) => children(point).map((part) => part.tag).join(","));
  return {
    subject,
    extensions,
    keyUsage: value(OID.keyUsage).raw.toString("hex"),
    extendedKeyUsage: children(value(OID.extKeyUsage)).map((purpose) => decodeOid(purpose.content)),
    policies,
    accessMethods,
    crlDistributionPoints: distributionPointShape(OID.cRLDistributionPoints),
    freshestCrl: distributionPointShape(OID.freshestCRL),
    signatureAlgorithm: info.signatureAlgorithmOid,
    subjectKeyIdLength: readSingle(info.extensions.get(OID.subjectKeyIdentifier)!.value).content.length,
  };
}

test("issued individual AUTH and SIGN certificates have the structure of NCA's", async (t) => {
  if (!existsSync(FIXTURES)) {
    t.diagnostic(`NCA fixtures not found at ${FIXTURES}: nothing to compare against on this machine`);
    return;
  }
  const work = temporaryDirectory();
  const dir = join(work, "ca");
  await initCertificateAuthority({ dir, password: TEST_PASSWORD, acceptTestIin: true });
  const ca = await openCertificateAuthority(dir, { password: TEST_PASSWORD });
  try {
    const issuer = new CertificateIssuer(ca);
    const files = readdirSync(FIXTURES).filter((file) => file.endsWith(".p12"));
    assert.equal(files.length, 2);
    for (const file of files) {
      const pem = openssl(["pkcs12", "-legacy", "-in", join(FIXTURES, file), "-passin", "pass:Qwerty12", "-nokeys", "-clcerts"]);
      const nca = parseCertificate(openssl(["x509", "-outform", "DER"], pem));
      const profile = file.startsWith("AUTH_") ? "individual-auth" : "individual-sign";
      const issued = await issuer.issueCertificate({
        csr: opensslCsr(work, profile).csr,
        profile,
        subject: { iin: "123456789011", surname: "ТЕСТОВ", givenName: "ТЕСТ", patronymic: "ТЕСТОВИЧ", locality: "АЛМАТЫ", region: "АЛМАТЫ" },
      });
      const ours = parseCertificate(issued.certificate);
      const [expected, actual] = [shape(nca), shape(ours)];
      // NCA's AKI is a 4-byte key id of its CA; the AKI's presence and position are compared above.
      assert.deepEqual(actual, expected, `${profile} differs from NCA's ${file}`);
      for (const info of [nca, ours]) {
        assert.equal(addMonths(info.notBefore, 12).getTime(), info.notAfter.getTime(), "one calendar year for a key kept in a file");
      }
    }
  } finally {
    await ca.close();
  }
});
