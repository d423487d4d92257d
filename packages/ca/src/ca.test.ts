import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { checkDigit, makeIin, parseCertificate, toPem } from "@qoltanba/pki";
import { openCertificateAuthority, type CertificateAuthority } from "./authority.ts";
import { verifyAuditChain } from "./audit.ts";
import { certificatePath } from "./caFolder.ts";
import { initCertificateAuthority } from "./init.ts";
import { CertificateIssuer } from "./issuance.ts";
import { opensslCsr, openssl, opensslResult, temporaryDirectory, testDatabases, TEST_PASSWORD, writePem } from "./testSupport.ts";

const person = (iin: string) => ({
  iin,
  surname: "ТЕСТОВ",
  givenName: "ТЕСТ",
  patronymic: "ТЕСТОВИЧ",
  locality: "АЛМАТЫ",
  region: "АЛМАТЫ",
  email: "test@example.kz",
});
const IIN_A = makeIin(new Date(Date.UTC(1990, 0, 1)), "male", 1)!;
const IIN_B = makeIin(new Date(Date.UTC(1985, 5, 15)), "female", 7)!;

for (const makeDatabase of testDatabases()) {
  const database = makeDatabase();
  describe(`CA on ${database.engine}`, () => {
    let dir: string;
    let work: string;
    let ca: CertificateAuthority;
    let issuer: CertificateIssuer;

    before(async () => {
      dir = join(temporaryDirectory(), "ca");
      work = temporaryDirectory();
      await initCertificateAuthority({ dir, password: TEST_PASSWORD, ...(database.url ? { databaseUrl: database.url } : {}) });
      ca = await openCertificateAuthority(dir, { password: TEST_PASSWORD });
      issuer = new CertificateIssuer(ca);
    });
    after(async () => {
      await ca.close();
      await database.drop();
    });

    const verifyChain = (pem: string) =>
      opensslResult(["verify", "-x509_strict", "-CAfile", certificatePath(dir, "root"), "-untrusted", certificatePath(dir, "issuing"), writePem(work, "leaf.pem", pem)]);

    test("the hierarchy verifies with openssl -x509_strict and has the required shapes", () => {
      for (const name of ["issuing", "ocsp", "tsa"] as const) {
        const result = opensslResult(["verify", "-x509_strict", "-CAfile", certificatePath(dir, "root"), "-untrusted", certificatePath(dir, "issuing"), certificatePath(dir, name)]);
        assert.equal(result.status, 0, result.output);
      }
      const root = openssl(["x509", "-in", certificatePath(dir, "root"), "-noout", "-text"]).toString();
      assert.match(root, /Public-Key: \(4096 bit\)/);
      assert.match(root, /sha256WithRSAEncryption/);
      const rootInfo = parseCertificate(ca.certificates.root);
      assert.ok(rootInfo.notAfter.getTime() - rootInfo.notBefore.getTime() >= 10 * 365 * 86400_000, "root valid 10+ years");
      const ocsp = openssl(["x509", "-in", certificatePath(dir, "ocsp"), "-noout", "-text"]).toString();
      assert.match(ocsp, /OCSP Signing/);
      assert.match(ocsp, /OCSP No Check/);
      const tsa = openssl(["x509", "-in", certificatePath(dir, "tsa"), "-noout", "-text"]).toString();
      assert.match(tsa, /X509v3 Extended Key Usage: critical\s+Time Stamping/);
    });

    test("CA keys are encrypted PKCS#8 files that open only with the password", () => {
      const keyPath = join(dir, "keys", "issuing.key.pem");
      assert.match(readFileSync(keyPath, "utf8"), /^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
      const wrong = opensslResult(["pkey", "-in", keyPath, "-passin", "pass:wrong password", "-noout"]);
      assert.notEqual(wrong.status, 0);
    });

    test("an OpenSSL CSR becomes individual AUTH and SIGN certificates that openssl verifies", async () => {
      const auth = opensslCsr(work, "auth");
      const sign = opensslCsr(work, "sign");
      assert.equal(opensslResult(["req", "-verify", "-noout", "-in", auth.csrPath]).status, 0);
      const issuedAuth = await issuer.issueCertificate({ csr: auth.csr, profile: "individual-auth", subject: person(IIN_A) });
      const issuedSign = await issuer.issueCertificate({ csr: sign.csr, profile: "individual-sign", subject: person(IIN_A) });
      for (const issued of [issuedAuth, issuedSign]) {
        const result = verifyChain(toPem("CERTIFICATE", issued.certificate));
        assert.equal(result.status, 0, result.output);
        assert.match(issued.serial, /^(?!00)[0-9a-f]{2,34}$/);
        const stored = await ca.store.certificate(issued.serial);
        assert.deepEqual(stored?.der, issued.certificate, "returned certificate is recorded");
      }
      const text = openssl(["x509", "-noout", "-text", "-nameopt", "utf8,sep_comma_plus_space"], toPem("CERTIFICATE", issuedSign.certificate)).toString();
      assert.match(text, new RegExp(`Subject: CN=ТЕСТОВ ТЕСТ, SN=ТЕСТОВ, serialNumber=IIN${IIN_A}, C=KZ, L=АЛМАТЫ, ST=АЛМАТЫ, GN=ТЕСТОВИЧ, emailAddress=test@example.kz`));
      assert.match(text, /Digital Signature, Non Repudiation/);
      assert.match(text, /E-mail Protection, 1\.2\.398\.3\.3\.4\.1\.1/);
      const notAfter = issuedSign.notAfter.getTime() - issuedSign.notBefore.getTime();
      assert.ok(notAfter >= 365 * 86400_000 && notAfter <= 366 * 86400_000, "file keys get one year");
      // The private key matches the certificate.
      const certKey = openssl(["x509", "-noout", "-pubkey"], toPem("CERTIFICATE", issuedAuth.certificate)).toString();
      const csrKey = openssl(["pkey", "-in", auth.keyPath, "-pubout"]).toString();
      assert.equal(certKey, csrKey);
    });

    test("token storage gives three years; legal-entity and TLS profiles issue and verify", async () => {
      const token = await issuer.issueCertificate({ csr: opensslCsr(work, "token").csr, profile: "individual-sign", subject: person(IIN_B), storage: "token" });
      const years = (token.notAfter.getTime() - token.notBefore.getTime()) / (365.25 * 86400_000);
      assert.ok(years > 2.99 && years < 3.01, `token validity ${years} years`);
      const legal = await issuer.issueCertificate({
        csr: opensslCsr(work, "legal", ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]).csr,
        profile: "legal-sign",
        subject: { ...person(IIN_B), organization: 'АО "ТЕСТ"', bin: `99034000123${checkDigit("99034000123")}`, role: "head" },
      });
      const legalText = openssl(["x509", "-noout", "-text", "-nameopt", "utf8,sep_comma_plus_space"], toPem("CERTIFICATE", legal.certificate)).toString();
      assert.match(legalText, /O=АО "ТЕСТ", OU=BIN99034000123\d, GN=ТЕСТОВИЧ/);
      assert.match(legalText, /E-mail Protection, 1\.2\.398\.3\.3\.4\.1\.2, 1\.2\.398\.3\.3\.4\.2\.1/);
      assert.equal(verifyChain(toPem("CERTIFICATE", legal.certificate)).status, 0);
      const tls = await issuer.issueCertificate({ csr: opensslCsr(work, "tls").csr, profile: "tls-server", subject: { dnsNames: ["pki.example.kz"] } });
      const tlsPath = writePem(work, "tls.pem", toPem("CERTIFICATE", tls.certificate));
      const purpose = opensslResult(["verify", "-x509_strict", "-purpose", "sslserver", "-CAfile", certificatePath(dir, "root"), "-untrusted", certificatePath(dir, "issuing"), tlsPath]);
      assert.equal(purpose.status, 0, purpose.output);
      assert.match(openssl(["x509", "-in", tlsPath, "-noout", "-ext", "subjectAltName"]).toString(), /DNS:pki\.example\.kz/);
    });

    test("bad input gets a clear error and leaves the database unchanged", async () => {
      const before = { count: await ca.store.countCertificates(), head: await ca.store.auditHead() };
      const good = opensslCsr(work, "good");
      const weak = opensslCsr(work, "weak", ["-newkey", "rsa:1024"]);
      const exponent3Key = join(work, "e3.key");
      openssl(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-pkeyopt", "rsa_keygen_pubexp:3", "-out", exponent3Key]);
      const exponent3 = openssl(["req", "-new", "-key", exponent3Key, "-subj", "/CN=x"]);
      const pemBody = good.csr.toString().replace(/-----[A-Z ]+-----/g, "").replace(/\s/g, "");
      const der = Buffer.from(pemBody, "base64");
      const badSignature = Buffer.from(der);
      badSignature[badSignature.length - 5]! ^= 0xff;
      const cases: Array<[string, unknown, string, unknown, RegExp]> = [
        ["garbage", Buffer.from("this is not a CSR at all"), "individual-auth", person(IIN_A), /neither PEM nor DER/],
        ["truncated", der.subarray(0, der.length - 40), "individual-auth", person(IIN_A), /CSR is malformed/],
        ["wrong PEM label", toPem("PRIVATE KEY", der), "individual-auth", person(IIN_A), /expected PEM label CERTIFICATE REQUEST.*found PRIVATE KEY/],
        ["over 64 KiB", Buffer.concat([der, Buffer.alloc(65 * 1024)]), "individual-auth", person(IIN_A), /more than the 65536 allowed/],
        ["signed wrongly", badSignature, "individual-auth", person(IIN_A), /signature does not verify/],
        ["1024-bit key", weak.csr, "individual-auth", person(IIN_A), /1024 bits is too small/],
        ["e = 3", exponent3, "individual-auth", person(IIN_A), /exponent 3 is not allowed/],
        ["unknown profile", good.csr, "individual-admin", person(IIN_A), /unknown profile individual-admin/],
        ["IIN checksum", good.csr, "individual-auth", person(IIN_A.slice(0, 11) + ((Number(IIN_A[11]) + 1) % 10)), /fails its checksum/],
        ["NCA test IIN outside test mode", good.csr, "individual-auth", person("123456789011"), /IIN 123456789011/],
        ["missing surname", good.csr, "individual-auth", { ...person(IIN_A), surname: "" }, /surname is missing/],
      ];
      for (const [what, csr, profile, subject, message] of cases) {
        await assert.rejects(issuer.issueCertificate({ csr: csr as Buffer, profile, subject }), (error: Error) => {
          assert.equal(error.name, "InputError", `${what}: ${error.stack}`);
          assert.match(error.message, message, what);
          return true;
        });
      }
      assert.equal(await ca.store.countCertificates(), before.count);
      assert.deepEqual(await ca.store.auditHead(), before.head);
    });

    test("a key certified for one person is refused for another, and nothing is recorded", async () => {
      const shared = opensslCsr(work, "shared");
      await issuer.issueCertificate({ csr: shared.csr, profile: "individual-auth", subject: person(IIN_A) });
      const count = await ca.store.countCertificates();
      await assert.rejects(issuer.issueCertificate({ csr: shared.csr, profile: "individual-auth", subject: person(IIN_B) }), /already certified for someone else/);
      assert.equal(await ca.store.countCertificates(), count);
    });

    test("one new key requested for two people at once (one batch): exactly one gets it; twice for one person: both get it", async () => {
      const contested = opensslCsr(work, "contested").csr;
      const count = await ca.store.countCertificates();
      const results = await Promise.allSettled([IIN_A, IIN_B].map((iin) => issuer.issueCertificate({ csr: contested, profile: "individual-auth", subject: person(iin) })));
      const issued = results.filter((result) => result.status === "fulfilled");
      const refused = results.filter((result): result is PromiseRejectedResult => result.status === "rejected");
      assert.equal(issued.length, 1);
      assert.equal(refused.length, 1);
      assert.match((refused[0]!.reason as Error).message, /already certified for someone else/);
      assert.equal(await ca.store.countCertificates(), count + 1);
      const own = opensslCsr(work, "own").csr;
      const twice = await Promise.all([0, 1].map(() => issuer.issueCertificate({ csr: own, profile: "individual-auth", subject: person(IIN_B) })));
      assert.notEqual(twice[0]!.serial, twice[1]!.serial);
      assert.equal(await ca.store.countCertificates(), count + 3);
      const { problems } = await verifyAuditChain(ca.store.auditEntries(), await ca.store.auditHead());
      assert.deepEqual(problems, []);
    });

    test("concurrent issuance commits every certificate exactly once with unique serials", async () => {
      const csrs = Array.from({ length: 6 }, (_, index) => opensslCsr(work, `many${index}`).csr);
      const issued = await Promise.all(csrs.map((csr, index) => issuer.issueCertificate({ csr, profile: index % 2 ? "individual-sign" : "individual-auth", subject: person(IIN_A) })));
      assert.equal(new Set(issued.map((entry) => entry.serial)).size, issued.length);
      for (const entry of issued) assert.ok(await ca.store.certificate(entry.serial));
      const { problems } = await verifyAuditChain(ca.store.auditEntries(), await ca.store.auditHead());
      assert.deepEqual(problems, []);
    });

    test("the audit log detects a changed, a deleted and a reordered entry, and a cut-off end", async () => {
      const check = async () => (await verifyAuditChain(ca.store.auditEntries(), await ca.store.auditHead())).problems;
      assert.deepEqual(await check(), []);
      const db = ca.store.db;
      const original = await db.selectFrom("audit_log").selectAll().orderBy("seq").execute();
      assert.ok(original.length >= 6);
      const restore = async () => {
        await db.deleteFrom("audit_log").execute();
        await db.insertInto("audit_log").values(original).execute();
      };
      await db.updateTable("audit_log").set({ details: '{"key":"issuing","serial":"00"}' }).where("seq", "=", 3).execute();
      assert.deepEqual((await check()).map((problem) => problem.seq), [3]);
      await restore();
      await db.deleteFrom("audit_log").where("seq", "=", 4).execute();
      assert.match((await check()).map((problem) => `${problem.seq}: ${problem.problem}`).join("\n"), /^5: entries 4\.\.4 are missing/m);
      await restore();
      // Swap the contents of entries 2 and 3 (keeping their seq numbers).
      const [second, third] = [original[1]!, original[2]!];
      await db.updateTable("audit_log").set({ ...third, seq: 2 }).where("seq", "=", 2).execute();
      await db.updateTable("audit_log").set({ ...second, seq: 3 }).where("seq", "=", 3).execute();
      assert.ok((await check()).some((problem) => problem.seq === 2));
      await restore();
      await db.deleteFrom("audit_log").where("seq", "=", original.length).execute();
      assert.match((await check()).map((problem) => problem.problem).join(), /log ends at/);
      await restore();
      assert.deepEqual(await check(), []);
      // A head rewritten to another entry's place is caught; entries appended after the head was read
      // (a running CA writes while a verifier reads) are not a problem.
      const head = (await ca.store.auditHead())!;
      await ca.store.appendAudit([{ action: "crl", details: { key: "issuing", kind: "delta", number: 999 } }]);
      assert.deepEqual((await verifyAuditChain(ca.store.auditEntries(), head)).problems, []);
      assert.match(
        (await verifyAuditChain(ca.store.auditEntries(), { seq: head.seq, hash: "00".repeat(32) })).problems.map((problem) => problem.problem).join(),
        /the log head does not match entry/,
      );
    });
  });
}

