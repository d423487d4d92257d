import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createPublicKey, verify } from "node:crypto";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, renameSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import pkcs11js from "pkcs11js";
import { digest, makeIin, toPem } from "@qoltanba/pki";
import { openCertificateAuthority, type CertificateAuthority } from "../authority.ts";
import { certificatePath, readCaConfig } from "../caFolder.ts";
import { CrlPublisher, crlFilePath } from "../crl/crlPublisher.ts";
import { initCertificateAuthority } from "../init.ts";
import { CertificateIssuer } from "../issuance.ts";
import { opensslCsr, openssl, opensslResult, temporaryDirectory, TEST_PASSWORD, writePem } from "../testSupport.ts";
import { Pkcs11Module } from "./pkcs11Module.ts";
import { keysOnToken } from "./hsmConfig.ts";
import { openPkcs11Signer } from "./pkcs11Signer.ts";
import { createSoftHsmToken, pkcs11Tool, SOFTHSM_MODULE, TEST_PIN } from "../../../pki/src/test-support/softhsm.ts";

/** openssl crl -verify reports on stderr, with exit status 0 even for a bad signature: the words are what count. */
const verifyCrl = (crl: string, issuer: string) => {
  const run = spawnSync("openssl", ["crl", "-inform", "DER", "-in", crl, "-CAfile", issuer, "-noout", "-verify"], { encoding: "utf8" });
  return `${run.stdout}${run.stderr}`;
};

const person = { iin: makeIin(new Date(Date.UTC(1990, 0, 1)), "male", 1)!, surname: "ТЕСТОВ", givenName: "ТЕСТ" };

describe("CA with its keys in SoftHSM2, root offline", () => {
  let dir: string;
  let rootDir: string;
  let work: string;
  let token: { label: string; folder: string };
  let ca: CertificateAuthority;

  before(async () => {
    token = createSoftHsmToken("ca");
    work = temporaryDirectory();
    dir = join(work, "ca");
    rootDir = join(work, "offline-root");
    await initCertificateAuthority({
      dir,
      password: TEST_PASSWORD,
      hsm: { module: SOFTHSM_MODULE, slotLabel: token.label, pin: TEST_PIN },
      rootOffline: rootDir,
    });
    ca = await openCertificateAuthority(dir, { hsmPins: new Map([[token.label, TEST_PIN]]) });
  });
  after(async () => ca.close());

  const verifyChain = (path: string) =>
    opensslResult(["verify", "-x509_strict", "-CAfile", certificatePath(dir, "root"), "-untrusted", certificatePath(dir, "issuing"), path]);

  test("init keeps no key in the CA folder: the online keys are on the token, the root in the offline folder", async () => {
    assert.equal(existsSync(join(dir, "keys")), false);
    assert.deepEqual(readdirSync(rootDir).sort(), ["root.json", "root.key.pem", "root.pem"]);
    assert.match(readFileSync(join(rootDir, "root.key.pem"), "utf8"), /^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
    const config = await readCaConfig(dir);
    assert.deepEqual(config.hsm, {
      module: SOFTHSM_MODULE,
      keys: {
        issuing: { token: token.label, label: "qoltanba-issuing" },
        ocsp: { token: token.label, label: "qoltanba-ocsp" },
        tsa: { token: token.label, label: "qoltanba-tsa" },
      },
    });
    assert.equal(JSON.stringify(config).includes(TEST_PIN), false);
    for (const name of ["issuing", "ocsp", "tsa"] as const) {
      const result = verifyChain(certificatePath(dir, name));
      assert.equal(result.status, 0, result.output);
    }
    assert.match(verifyCrl(crlFilePath(dir, "root"), certificatePath(dir, "root")), /verify OK/);
  });

  test("pkcs11-tool sees sensitive, never-extractable private keys whose ID is the certificate's key identifier", () => {
    const listing = pkcs11Tool(token.label, ["--list-objects", "--type", "privkey"]);
    assert.equal(listing.status, 0, listing.output);
    for (const name of ["issuing", "ocsp", "tsa"] as const) {
      const object = listing.output.split(/(?=Private Key Object)/).find((block) => block.includes(`label:      qoltanba-${name}`));
      assert.ok(object, `private key qoltanba-${name} listed:\n${listing.output}`);
      assert.match(object, /Usage:\s+sign\s*\n/);
      assert.match(object, /Access:\s+sensitive, always sensitive, never extractable, local/);
      const ski = openssl(["x509", "-in", certificatePath(dir, name), "-noout", "-ext", "subjectKeyIdentifier"]).toString();
      const id = /ID:\s+([0-9a-f]+)/.exec(object)![1]!;
      assert.equal(id.toUpperCase(), /\n\s+([0-9A-F:]+)/.exec(ski)![1]!.replaceAll(":", ""));
    }
    assert.equal(listing.output.includes("qoltanba-root"), false, "the root key is offline, not on the token");
  });

  test("certificates issued with the HSM key verify with openssl -x509_strict", async () => {
    const issuer = new CertificateIssuer(ca);
    const csr = opensslCsr(work, "person");
    const issued = await issuer.issueCertificate({ csr: csr.csr, profile: "individual-sign", subject: person });
    const result = verifyChain(writePem(work, "leaf.pem", toPem("CERTIFICATE", issued.certificate)));
    assert.equal(result.status, 0, result.output);
  });

  test("signDigest: a CRL streamed and signed by the HSM key verifies with openssl crl -verify", async () => {
    await new CrlPublisher(ca).generate("full");
    assert.match(verifyCrl(crlFilePath(dir, "full"), certificatePath(dir, "issuing")), /verify OK/);
  });

  test("200 concurrent signatures through the session pool all succeed and verify", async () => {
    const publicKey = createPublicKey(toPem("CERTIFICATE", ca.certificates.issuing));
    const messages = Array.from({ length: 200 }, (_, index) => Buffer.from(`message ${index}`));
    const signatures = await Promise.all(messages.map((message) => ca.signer!.key("issuing").sign(message)));
    messages.forEach((message, index) => assert.ok(verify("sha256", message, publicKey, signatures[index]!), `signature ${index}`));
  });

  test("raw session: one shared session fails with CKR_OPERATION_ACTIVE; the key's secret parts cannot be read or unlocked", () => {
    // The library is loaded and initialised once per process; this borrows it beside the CA's pool.
    const module = Pkcs11Module.open(SOFTHSM_MODULE);
    const lib = module.lib;
    const slot = lib.C_GetSlotList(true).find((candidate) => lib.C_GetTokenInfo(candidate).label.trim() === token.label)!;
    const session = lib.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
    try {
      lib.C_FindObjectsInit(session, [{ type: pkcs11js.CKA_LABEL, value: "qoltanba-issuing" }, { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY }]);
      const [key] = lib.C_FindObjects(session, 1);
      lib.C_FindObjectsFinal(session);
      lib.C_SignInit(session, { mechanism: pkcs11js.CKM_SHA256_RSA_PKCS }, key!);
      assert.throws(() => lib.C_SignInit(session, { mechanism: pkcs11js.CKM_SHA256_RSA_PKCS }, key!), /CKR_OPERATION_ACTIVE/);
      assert.throws(() => lib.C_GetAttributeValue(session, key!, [{ type: pkcs11js.CKA_PRIVATE_EXPONENT }]), /CKR_ATTRIBUTE_SENSITIVE/);
      assert.throws(() => lib.C_SetAttributeValue(session, key!, [{ type: pkcs11js.CKA_EXTRACTABLE, value: true }]), /CKR_ATTRIBUTE_READ_ONLY/);
    } finally {
      lib.C_CloseSession(session);
      module.close();
    }
  });
});

describe("the HSM going away and coming back", () => {
  test("signing fails with a clear error while the token is gone and works again without reopening", async () => {
    const token = createSoftHsmToken("away");
    const dir = join(temporaryDirectory(), "ca");
    await initCertificateAuthority({ dir, hsm: { module: SOFTHSM_MODULE, slotLabel: token.label, pin: TEST_PIN } });
    const signer = await openPkcs11Signer({ module: SOFTHSM_MODULE, slotLabel: token.label, pin: TEST_PIN, retryIntervalMs: 50 }, keysOnToken((await readCaConfig(dir)).hsm!, token.label));
    try {
      const key = signer.key("issuing");
      const publicKey = createPublicKey(readFileSync(certificatePath(dir, "issuing")));
      assert.ok(verify("sha256", Buffer.from("before"), publicKey, await key.sign(Buffer.from("before"))));
      // The token's storage vanishes under the loaded library (as a network HSM's partition or a
      // pulled device would): SoftHSM2 then answers CKR_OBJECT_HANDLE_INVALID / CKR_GENERAL_ERROR.
      // Out of the token folder: SoftHSM2 would find a token renamed inside it.
      const away = join(dirname(dirname(token.folder)), `${basename(token.folder)}.away`);
      renameSync(token.folder, away);
      await assert.rejects(key.sign(Buffer.from("during")), (error: Error & { code?: string }) => {
        assert.equal(error.code, "hsm_unavailable");
        assert.match(error.message, /^the HSM is not available: /);
        return true;
      });
      await new Promise((resolve) => setTimeout(resolve, 60));
      await assert.rejects(key.signDigest(digest("sha256", Buffer.from("during"))), /the HSM is not available: no token labelled/);
      renameSync(away, token.folder);
      await new Promise((resolve) => setTimeout(resolve, 60));
      const results = await Promise.all(Array.from({ length: 20 }, (_, index) => key.sign(Buffer.from(`after ${index}`))));
      results.forEach((signature, index) => assert.ok(verify("sha256", Buffer.from(`after ${index}`), publicKey, signature)));
    } finally {
      await signer.close?.();
    }
  });

  test("a wrong PIN is reported and never retried on its own", async () => {
    const token = createSoftHsmToken("pin");
    const options = { module: SOFTHSM_MODULE, slotLabel: token.label, pin: "wrong-pin-0000" };
    await assert.rejects(openPkcs11Signer(options, {}), /refused the PIN \(CKR_PIN_INCORRECT/);
  });
});
