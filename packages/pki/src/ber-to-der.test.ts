import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { berToDer } from "./ber-to-der.ts";
import { OpensslCa } from "./test-support/openssl-ca.ts";
import { issueRsaCertificate, keyPathOf } from "./test-support/rsa-certificate.ts";
import { DerError, octetString, sequence, tlv } from "./der.ts";

let ca: OpensslCa;
const read = (file: string) => readFileSync(ca.path(file));

before(() => (ca = new OpensslCa()));
after(() => ca.dispose());

test("DER comes back as the same buffer", () => {
  const der = sequence(octetString(Buffer.from("abc")));
  assert.equal(berToDer(der), der);
});

test("a streamed openssl CMS becomes definite-length DER that openssl still verifies", () => {
  const signer = issueRsaCertificate(ca, "signer", ["keyUsage=critical,digitalSignature"]);
  const content = Buffer.alloc(5000, "segmented content ");
  ca.write("content.bin", content);
  ca.openssl([
    "cms",
    "-sign",
    "-binary",
    "-nodetach",
    "-stream",
    "-in",
    "content.bin",
    "-signer",
    signer.path,
    "-inkey",
    keyPathOf(signer),
    "-outform",
    "DER",
    "-out",
    "ber.p7s",
  ]);
  const ber = read("ber.p7s");
  assert.match(ca.openssl(["asn1parse", "-inform", "DER", "-in", "ber.p7s"]), /l=inf/);

  const der = berToDer(ber);
  ca.write("der.p7s", der);
  const parsed = ca.openssl(["asn1parse", "-inform", "DER", "-in", "der.p7s"]);
  assert.doesNotMatch(parsed, /l=inf|EOC/);
  assert.ok(der.includes(content), "the content segments are joined into one OCTET STRING");
  assert.ok(der.includes(signer.der), "the certificate keeps its bytes");
  assert.deepEqual(ca.verifyCms(der), content);
});

test("constructed strings are joined, BIT STRING segments keep the last unused-bits count", () => {
  const indefiniteOctets = Buffer.concat([
    Buffer.from([0x24, 0x80]),
    octetString(Buffer.from("ab")),
    Buffer.from([0x24, 0x04]),
    octetString(Buffer.from("cd")),
    Buffer.from([0, 0]),
  ]);
  assert.deepEqual(berToDer(indefiniteOctets), octetString(Buffer.from("abcd")));
  const bits = tlv(0x23, tlv(0x03, Buffer.from([0, 0xaa])), tlv(0x03, Buffer.from([4, 0xb0])));
  assert.deepEqual(berToDer(bits), tlv(0x03, Buffer.from([4, 0xaa, 0xb0])));
});

test("what is not BER is a DerError", () => {
  for (const bad of [
    Buffer.from([0x30, 0x80, 0x02, 0x01]),
    Buffer.from([0x30, 0x05, 0x02]),
    Buffer.from("hello"),
    Buffer.from([0x30, 0x80, 0, 0, 0x05]),
  ]) {
    assert.throws(() => berToDer(bad), DerError, bad.toString("hex"));
  }
});
