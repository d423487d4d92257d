import { test } from "node:test";
import assert from "node:assert/strict";
import { keyIdTemplate, rsaKeyOf, rsaPublicKeyAttributes } from "./pkcs11.ts";
import { OpensslCa } from "./test-support/openssl-ca.ts";

test("rsaKeyOf: the token's modulus and exponent give openssl's SubjectPublicKeyInfo and the certificate's key identifier", (t) => {
  const ca = new OpensslCa();
  t.after(() => ca.dispose());
  const issued = ca.issue("token", ["subjectKeyIdentifier=hash"], ["rsa:2048"]);
  const modulus = /^Modulus=([0-9A-F]+)$/m.exec(
    ca.openssl(["rsa", "-in", "token.key", "-noout", "-modulus"]),
  );
  const [modulusType, exponentType] = rsaPublicKeyAttributes().map((attribute) => attribute.type);
  const key = rsaKeyOf([
    { type: exponentType!, value: Buffer.from([1, 0, 1]) },
    { type: modulusType!, value: Buffer.from(modulus![1]!, "hex") },
  ]);

  const spki = ca.opensslBytes(["pkey", "-in", "token.key", "-pubout", "-outform", "DER"]);
  assert.deepEqual(key.publicKeyInfo, spki);
  const ski = ca.openssl(["x509", "-in", issued.path, "-noout", "-ext", "subjectKeyIdentifier"]);
  assert.equal(
    key.id.toString("hex"),
    /\n\s+([0-9A-F:]+)\s*$/.exec(ski)![1]!.replaceAll(":", "").toLowerCase(),
  );
  assert.deepEqual(
    keyIdTemplate(key.id, "SIGN_1").map((attribute) => attribute.value),
    [key.id, "SIGN_1"],
  );
});

test("rsaKeyOf: a key object without a modulus is named as such", () => {
  const [, exponentType] = rsaPublicKeyAttributes().map((attribute) => attribute.type);
  assert.throws(() => rsaKeyOf([{ type: exponentType!, value: Buffer.from([1, 0, 1]) }]), /no modulus/);
});
