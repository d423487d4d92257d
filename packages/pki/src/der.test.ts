import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { children, decodeOid, generalizedTime, integer, namedBits, oid, readElement, readSingle, readTime, sequence, time, unsignedInteger, utf8String } from "./der.ts";

const asn1parse = (der: Buffer) => execFileSync("openssl", ["asn1parse", "-inform", "DER"], { input: der }).toString();

test("encodings agree with openssl asn1parse", () => {
  const der = sequence(oid("1.2.398.3.3.4.1.1"), integer(65537), unsignedInteger(Buffer.from([0x80, 1])), utf8String("ҰЛТТЫҚ"), time(new Date(Date.UTC(2026, 10, 25, 1, 2, 3))), time(new Date(Date.UTC(2051, 0, 1))));
  const text = asn1parse(der);
  assert.match(text, /OBJECT\s+:1\.2\.398\.3\.3\.4\.1\.1/);
  assert.match(text, /INTEGER\s+:010001/);
  assert.match(text, /INTEGER\s+:8001/);
  assert.match(text, /UTCTIME\s+:261125010203Z/);
  assert.match(text, /GENERALIZEDTIME\s+:20510101000000Z/);
  assert.equal(decodeOid(children(readSingle(der))[0]!.content), "1.2.398.3.3.4.1.1");
  assert.equal(decodeOid(oid("2.5.29.32.0").subarray(2)), "2.5.29.32.0");
});

test("times and named bits round-trip", () => {
  const date = new Date(Date.UTC(2030, 0, 2, 3, 4, 5, 678));
  assert.equal(readTime(readSingle(generalizedTime(date, true))).getTime(), date.getTime());
  assert.equal(readTime(readSingle(time(date))).getTime(), Math.floor(date.getTime() / 1000) * 1000);
  assert.equal(namedBits([0, 2]).toString("hex"), "030205a0", "digitalSignature + keyEncipherment, as NCA encodes it");
  assert.equal(namedBits([0, 1]).toString("hex"), "030206c0");
});

test("the reader rejects truncation, indefinite lengths and trailing bytes", () => {
  const der = sequence(integer(5));
  assert.throws(() => readSingle(der.subarray(0, 3)), /past the end/);
  assert.throws(() => readElement(Buffer.from([0x30, 0x80, 0, 0])), /indefinite length/);
  assert.throws(() => readSingle(Buffer.concat([der, Buffer.from([0])])), /trailing bytes/);
  assert.throws(() => readElement(Buffer.from([0x30, 0x84, 0xff, 0xff, 0xff, 0xff])), /truncated|past the end/);
});
