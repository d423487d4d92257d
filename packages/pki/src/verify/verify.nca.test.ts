// Interop: the real NCA RK material. The RSA items verify (chains checked against `openssl verify`,
// CRL and OCSP answers against openssl's reading); every GOST item is read and reported as
// "GOST signature: not supported yet" with the verdict unsupported.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { fromPemOrDer, toPem } from "../pem.ts";
import { GOST_UNSUPPORTED } from "./signature-check.ts";
import type { Verdict } from "./verdict.ts";
import { verifyCertificate, type VerifyOptions } from "./verify-certificate.ts";
import { verifyCrlFile } from "./verify-crl.ts";
import { verifyOcspResponseFile } from "./verify-ocsp.ts";
import { verifyTimeStamp } from "./verify-timestamp.ts";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../../..");
const fixtures = resolve(repoRoot, "../shared/fixtures/nca");
const P12_PASSWORD = "Qwerty12"; // the published password of NCA's test key files

const file = (path: string) => readFileSync(join(fixtures, path));
const certificate = (path: string) => fromPemOrDer(file(path), ["CERTIFICATE"], path);
const openssl = (args: string[], input?: Buffer) =>
  execFileSync("openssl", args, { input: input ?? "", env: { ...process.env, P12_PASSWORD }, stdio: ["pipe", "pipe", "ignore"] });
/** The key file's own certificate, as OpenSSL extracts it (no code of ours reads the file). */
const p12Certificate = (path: string) =>
  openssl(["x509", "-outform", "DER"], openssl(["pkcs12", "-legacy", "-in", join(fixtures, path), "-nokeys", "-clcerts", "-passin", "env:P12_PASSWORD"]));
const subjectByOpenssl = (der: Buffer) =>
  openssl(["x509", "-inform", "DER", "-noout", "-subject", "-nameopt", "utf8"], der).toString().trim().replace(/^subject=/, "");
const unixTime = (iso: string) => String(Date.parse(iso) / 1000);

function assertUnsupported(verdict: Verdict, what: string) {
  assert.equal(verdict.verdict, "unsupported", `${what}: ${verdict.reasons.join("; ")}`);
  assert.deepEqual(verdict.reasons, [GOST_UNSUPPORTED], what);
}

function skipWithoutFixtures(t: { diagnostic(message: string): void }): boolean {
  if (existsSync(fixtures)) return false;
  t.diagnostic(`NCA fixtures folder ${fixtures} is absent: interop not checked`);
  return true;
}

test("NCA RSA certificates of 2018 verify to the production root while they were valid, as openssl verify says", async (t) => {
  if (skipWithoutFixtures(t)) return;
  const root = certificate("rsa-2018/root_rsa.crt");
  const nca = certificate("rsa-2018/nca_rsa.crt");
  const work = mkdtempSync(join(tmpdir(), "qoltanba-nca-verify-"));
  const options: VerifyOptions = { trusted: [root], untrusted: [nca], at: new Date("2019-01-01T00:00:00Z"), revocation: "none" };
  for (const key of ["rsa-2018/AUTH_RSA256_6b361b864c679601b652fe387f61fcd9303c0327.p12", "rsa-2018/RSA256_8426360556902ce4ac33977836f873e1dc190976.p12"]) {
    const leaf = p12Certificate(key);
    const verdict = await verifyCertificate(leaf, options);
    assert.equal(verdict.verdict, "valid", verdict.reasons.join("; "));
    assert.deepEqual(verdict.chain, [leaf, nca, root].map(subjectByOpenssl));
    const leafPath = join(work, "leaf.pem");
    writeFileSync(leafPath, toPem("CERTIFICATE", leaf));
    const pems = ["root_rsa", "nca_rsa"].map((name) => {
      const path = join(work, `${name}.pem`);
      writeFileSync(path, openssl(["x509", "-inform", "DER", "-in", join(fixtures, `rsa-2018/${name}.crt`)]));
      return path;
    });
    const byOpenssl = openssl(["verify", "-attime", unixTime("2019-01-01T00:00:00Z"), "-CAfile", pems[0]!, "-untrusted", pems[1]!, leafPath]);
    assert.match(byOpenssl.toString(), /: OK/);
    const expired = await verifyCertificate(leaf, { ...options, at: new Date("2020-01-01T00:00:00Z") });
    assert.equal(expired.verdict, "invalid");
    assert.match(expired.reasons.join("\n"), /expired on 2019-08-22T12:11:36.000Z/);
  }
  assert.equal((await verifyCertificate(nca, options)).verdict, "valid");
  assert.deepEqual((await verifyCertificate(root, options)).chain, [subjectByOpenssl(root)]);
});

test("NCA RSA test certificates of 2022 verify with the shipped CRL; the CRL and the RSA OCSP response verify", async (t) => {
  if (skipWithoutFixtures(t)) return;
  // The test CA's root is not published with it: the issuing CA is the trust anchor (openssl -partial_chain).
  const anchor = certificate("test-ca-2022/nca_rsa_test.crt");
  const crl = file("test-ca-2022/nca_rsa_test.crl");
  const at = new Date("2022-06-01T00:00:00Z");
  const crlPem = join(mkdtempSync(join(tmpdir(), "qoltanba-nca-verify-")), "nca_rsa_test.crl.pem");
  writeFileSync(crlPem, openssl(["crl", "-inform", "DER"], crl));
  for (const name of ["individual_valid_sign_2004_rsa.cer", "individual_valid_sign_2004_rsa_auth.cer"]) {
    const verdict = await verifyCertificate(certificate(`test-ca-2022/${name}`), { trusted: [anchor], at, revocation: "crl", sources: { crls: [crl] } });
    assert.equal(verdict.verdict, "valid", `${name}: ${verdict.reasons.join("; ")}`);
    assert.equal(verdict.revocation?.status, "good");
    assert.match(verdict.revocation!.checks[0]!.detail!, /^not listed in CRL #9 of 2022-03-29T04:18:29.000Z$/);
    const byOpenssl = openssl(["verify", "-crl_check", "-partial_chain", "-attime", unixTime(at.toISOString()), "-CAfile", join(fixtures, "test-ca-2022/nca_rsa_test.crt"), "-CRLfile", crlPem, join(fixtures, `test-ca-2022/${name}`)]);
    assert.match(byOpenssl.toString(), /: OK/);
  }

  const crlVerdict = await verifyCrlFile(crl, { trusted: [anchor], at, revocation: "none" });
  assert.equal(crlVerdict.verdict, "valid", crlVerdict.reasons.join("; "));
  const crlText = openssl(["crl", "-inform", "DER", "-noout", "-text"], crl).toString();
  assert.equal(crlVerdict.entries, crlText.match(/Serial Number:/g)!.length);
  assert.equal(crlVerdict.crlNumber, /CRL Number: \n\s+(\d+)/.exec(crlText)![1]);
  const stale = await verifyCrlFile(crl, { trusted: [anchor], at: new Date("2023-01-01T00:00:00Z"), revocation: "none" });
  assert.equal(stale.verdict, "invalid");
  assert.match(stale.reasons.join("\n"), /out of date: its next update was due 2022-09-25T04:18:29.000Z/);

  const responsePath = join(fixtures, "ocsp/ocsp_response_individual_sign_2004.bin");
  const ocsp = await verifyOcspResponseFile(readFileSync(responsePath), { trusted: [anchor], revocation: "none" });
  assert.equal(ocsp.verdict, "valid", ocsp.reasons.join("; "));
  const text = execFileSync("openssl", ["ocsp", "-respin", responsePath, "-CAfile", join(fixtures, "test-ca-2022/nca_rsa_test.crt"), "-partial_chain", "-attime", unixTime(ocsp.producedAt!.toISOString()), "-resp_text"], { stdio: ["ignore", "pipe", "pipe"] }).toString();
  assert.equal(ocsp.responses.length, 1);
  assert.equal(ocsp.responses[0]!.status, /Cert Status: (\w+)/.exec(text)![1]);
  assert.ok(ocsp.responses[0]!.subject.startsWith(`serial ${/Serial Number: ([0-9A-F]+)/.exec(text)![1]!.toLowerCase()} `));
  assert.match(ocsp.responder!, /СЕРВИС ПРОВЕРКИ ОНЛАЙН СТАТУСА СЕРТИФИКАТА/);
  assert.equal(ocsp.chain.length, 2, "the delegated responder, then the issuing CA");
  const tooLate = await verifyOcspResponseFile(readFileSync(responsePath), { trusted: [anchor], revocation: "none", at: new Date("2024-06-01T00:00:00Z") });
  assert.equal(tooLate.verdict, "invalid", "the issuing CA expired in March 2024");
});

test("every NCA GOST item is read and reported as GOST signature: not supported yet", async (t) => {
  if (skipWithoutFixtures(t)) return;
  let checked = 0;
  const expectUnsupported = async (what: string, verdict: Promise<Verdict>) => {
    assertUnsupported(await verdict, what);
    checked++;
  };

  const root2004 = certificate("gost-2004-2018/root_gost.crt");
  const nca2004 = certificate("gost-2004-2018/nca_gost.crt");
  const at2019 = { trusted: [root2004], untrusted: [nca2004], at: new Date("2019-01-01T00:00:00Z"), revocation: "none" } as const;
  await expectUnsupported("GOST 2004 key file's certificate", verifyCertificate(p12Certificate("gost-2004-2018/GOSTKNCA_f8a422238209b6e753116431b69b09178f14e9d7.p12"), at2019));
  await expectUnsupported("GOST 2004 NCA", verifyCertificate(nca2004, at2019));
  await expectUnsupported("GOST 2004 root", verifyCertificate(root2004, at2019));

  const root2022 = certificate("gost2015-test-2026/root_test_gost_2022.cer");
  const nca2022 = certificate("gost2015-test-2026/nca_gost2022_test.cer");
  const crl2026 = file("gost2015-test-2026/nca_gost2022_test.crl");
  const at2026 = { trusted: [root2022], untrusted: [nca2022], at: new Date("2026-09-01T00:00:00Z"), revocation: "crl", sources: { crls: [crl2026] } } as const;
  const keyFiles = ["individual/individual_valid", "individual/individual_revoked", ...["employee", "employee_signright", "head", "infosystem", "treasury_client"].flatMap((role) => [`legal/${role}_valid`, `legal/${role}_revoked`])];
  for (const name of keyFiles) {
    const verdict = verifyCertificate(p12Certificate(`gost2015-test-2026/${name}.p12`), at2026);
    await expectUnsupported(name, verdict);
    assert.equal((await verdict).chain.length, 3, `${name}: the chain is built by names and key identifiers`);
  }
  await expectUnsupported("GOST 2015 NCA", verifyCertificate(nca2022, at2026));
  await expectUnsupported("GOST 2015 root", verifyCertificate(root2022, at2026));
  await expectUnsupported("GOST 2015 CRL of 2026", verifyCrlFile(crl2026, at2026));

  const nca2019 = certificate("test-ca-2022/nca_gost_test.crt");
  const at2022 = { trusted: [nca2019, root2022], untrusted: [certificate("test-ca-2022/nca_gost2015_test.cer")], at: new Date("2022-09-01T00:00:00Z"), revocation: "none" } as const;
  await expectUnsupported("GOST 2004 test certificate", verifyCertificate(certificate("test-ca-2022/ceo_valid_sign_2004_gost.cer"), at2022));
  await expectUnsupported("GOST 2015 test NCA", verifyCertificate(certificate("test-ca-2022/nca_gost2015_test.cer"), at2022));
  await expectUnsupported("GOST 2004 test CRL", verifyCrlFile(file("test-ca-2022/nca_gost_test.crl"), { ...at2022, at: new Date("2022-06-01T00:00:00Z") }));
  await expectUnsupported("GOST 2015 test CRL of 2022", verifyCrlFile(file("test-ca-2022/nca_gost2022_test.crl"), at2022));

  for (const name of ["ocsp_response_ceo_2015_revoked.bin", "ocsp_response_ceo_sign_2004_revoked.bin", "ocsp_response_individual_2015.bin"]) {
    // at: each response's own production time
    const verdict = verifyOcspResponseFile(file(`ocsp/${name}`), { trusted: at2022.trusted, untrusted: [nca2022], revocation: "none" });
    await expectUnsupported(name, verdict);
    const read = await verdict;
    assert.equal(read.revocation, undefined, `${name}: what an unchecked response says decides nothing`);
    const text = execFileSync("openssl", ["ocsp", "-respin", join(fixtures, "ocsp", name), "-resp_text", "-noverify"], { stdio: ["ignore", "pipe", "ignore"] }).toString();
    assert.equal(read.responses[0]!.status, /Cert Status: (\w+)/.exec(text)![1], `${name} is read as openssl reads it`);
  }
  for (const name of ["tsp_response.bin", "tsp_token.bin"]) {
    const verdict = verifyTimeStamp(file(`tsp/${name}`), { trusted: [nca2019], revocation: "none" });
    await expectUnsupported(name, verdict);
    const text = execFileSync("openssl", ["ts", "-reply", "-in", join(fixtures, "tsp", name), ...(name === "tsp_token.bin" ? ["-token_in"] : []), "-text"], { stdio: ["ignore", "pipe", "ignore"] }).toString();
    assert.equal((await verdict).serial, /Serial number: 0x([0-9A-F]+)/.exec(text)![1]!.toLowerCase());
    assert.equal((await verdict).genTime?.getTime(), new Date(/Time stamp: (.+)/.exec(text)![1]!).getTime());
  }
  assert.equal(checked, 27);
});
