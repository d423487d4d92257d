// Certificate login against a real CA, with signatures made by OpenSSL (`openssl cms -sign`).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { toPem } from "@qoltanba/pki";
import {
  openssl,
  issuePersonKeys,
  opensslSign,
  PERSON,
  startTestPortal,
  testDatabases,
  type TestKey,
  type TestPortal,
} from "../testSupport.ts";
import { CertificateLogin, SignatureRefused } from "./certificateLogin.ts";

const refused = (code: string) => (error: unknown) =>
  error instanceof SignatureRefused && error.code === code;

for (const makeDatabase of testDatabases()) {
  const database = makeDatabase();
  describe(`certificate login on ${database.engine}`, () => {
    let env: TestPortal;
    let keys: { auth: TestKey; sign: TestKey };
    let login: CertificateLogin;

    before(async () => {
      env = await startTestPortal(database);
      keys = await issuePersonKeys(env.portal.ca, PERSON);
      login = new CertificateLogin(env.portal.consoleStore, env.portal.ca, "test-site");
    });
    after(() => env?.close());

    const signed = async (key: TestKey, now?: Date) => {
      const challenge = await login.challenge(now);
      return { challenge, signature: opensslSign(Buffer.from(challenge.data, "base64"), key) };
    };

    test("an AUTH signature over a fresh nonce names the person and the certificate", async () => {
      const { challenge, signature } = await signed(keys.auth);
      assert.match(
        challenge.document,
        /^\{"audience":"test-site","issuedAt":"[^"]+","nonce":"[^"]+","type":"qoltanba-login"\}$/,
      );
      const identity = await login.verify(signature);
      assert.equal(identity.iin, PERSON.iin);
      assert.equal(identity.serial, keys.auth.serial);
      const printed = openssl(["x509", "-noout", "-serial"], toPem("CERTIFICATE", identity.certificate))
        .toString()
        .trim()
        .replace(/^serial=/, "")
        .toLowerCase()
        .replace(/^0+/, "");
      assert.equal(printed, keys.auth.serial.replace(/^0+/, ""));
    });

    test("the same signature a second time is refused", async () => {
      const { signature } = await signed(keys.auth);
      await login.verify(signature);
      await assert.rejects(login.verify(signature), refused("nonce_used"));
    });

    test("a SIGN key cannot log in (no clientAuth)", async () => {
      const { signature } = await signed(keys.sign);
      await assert.rejects(login.verify(signature), refused("certificate_invalid"));
    });

    test("a nonce of another site, an unknown nonce and a changed signature are refused", async () => {
      const other = new CertificateLogin(env.portal.consoleStore, env.portal.ca, "other-site");
      const challenge = await other.challenge();
      const signature = opensslSign(Buffer.from(challenge.data, "base64"), keys.auth);
      await assert.rejects(login.verify(signature), refused("bad_login_document"));
      const forged = Buffer.from(
        JSON.stringify({ type: "qoltanba-login", audience: "test-site", nonce: "made-up" }, null, 1),
      );
      await assert.rejects(login.verify(opensslSign(forged, keys.auth)), refused("bad_login_document"));
      const canonicalForged = Buffer.from(
        `{"audience":"test-site","issuedAt":"${new Date().toISOString()}","nonce":"made-up","type":"qoltanba-login"}`,
      );
      await assert.rejects(login.verify(opensslSign(canonicalForged, keys.auth)), refused("nonce_unknown"));
      const good = await signed(keys.auth);
      const der = Buffer.from(good.signature, "base64");
      der[der.length - 10]! ^= 0x01;
      await assert.rejects(login.verify(der.toString("base64")), refused("bad_signature"));
      await assert.rejects(login.verify("not a signature!"), refused("bad_signature"));
    });

    test("an expired nonce is refused", async () => {
      const past = new Date(Date.now() - 3_600_000);
      const { signature } = await signed(keys.auth, past);
      await assert.rejects(login.verify(signature), refused("nonce_expired"));
    });

    test("an expired certificate is refused, whatever the nonce", async () => {
      const later = new Date(Date.now() + 2 * 366 * 86_400_000);
      const { signature } = await signed(keys.auth, later);
      await assert.rejects(
        login.verify(signature, later),
        (error: unknown) =>
          refused("certificate_invalid")(error) && /expired|notAfter|valid/i.test((error as Error).message),
      );
    });

    test("a revoked certificate is refused", async () => {
      const person = await issuePersonKeys(env.portal.ca, PERSON);
      await env.portal.ca.revoke(person.auth.serial, "keyCompromise");
      const { signature } = await signed(person.auth);
      await assert.rejects(login.verify(signature), refused("certificate_revoked"));
    });
  });
}
