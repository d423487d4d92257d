import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { parseCertificate } from "./certificateInfo.ts";
import { OID } from "./oids.ts";
import { encodeName, formatName, namesMatch, readName } from "./name.ts";
import { allFromPemOrDer, fromPemDerOrBase64, toPem } from "./pem.ts";
import { InputError } from "./errors.ts";

test("formatName shows a name as `openssl -nameopt utf8` does, Kazakh letters and all", () => {
  const pem = execFileSync(
    "openssl",
    ["req", "-x509", "-utf8", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "/dev/null", "-days", "1", "-subj", "/CN=ӘБІЛҚАСЫМОВА АЙГЕРІМ/SN=ӘБІЛҚАСЫМОВА/serialNumber=IIN010203400421/C=KZ/O=АО \"ТЕСТ\"/OU=BIN123456789021/GN=НҰРЛАНҚЫЗЫ"],
    { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] },
  );
  const subject = execFileSync("openssl", ["x509", "-noout", "-subject", "-nameopt", "utf8"], { input: pem, encoding: "utf8" }).trim().replace(/^subject=/, "");
  const { subjectName } = parseCertificate(allFromPemOrDer(pem, ["CERTIFICATE"], "certificate")[0]!);
  assert.equal(formatName(subjectName), subject);
  assert.match(subject, /^CN=ӘБІЛҚАСЫМОВА АЙГЕРІМ, SN=ӘБІЛҚАСЫМОВА, serialNumber=IIN010203400421, C=KZ, O=АО "ТЕСТ", OU=BIN123456789021, GN=НҰРЛАНҚЫЗЫ$/);
});

test("namesMatch: byte-equal names, and names that differ only in string type, case or spacing", () => {
  const a = encodeName([{ type: OID.commonName, value: "ҰЛТТЫҚ  Орталық" }, { type: OID.countryName, value: "KZ" }]);
  const b = encodeName([{ type: OID.commonName, value: "ұлттық орталық" }, { type: OID.countryName, value: "kz" }]);
  const c = encodeName([{ type: OID.commonName, value: "ҰЛТТЫҚ ОРТАЛЫҚ" }]);
  assert.ok(namesMatch(a, a));
  assert.ok(namesMatch(a, b));
  assert.ok(!namesMatch(a, c));
  assert.deepEqual(readName(c), [[{ type: OID.commonName, value: "ҰЛТТЫҚ ОРТАЛЫҚ" }]]);
  assert.throws(() => readName(Buffer.from([0x30, 0x03, 0x02, 0x01, 0x00])), InputError);
});

test("PEM bundles give every certificate; CMS may be bare base64 as NCALayer returns it", () => {
  const one = Buffer.from([0x30, 0x03, 0x02, 0x01, 0x01]);
  const two = Buffer.from([0x30, 0x03, 0x02, 0x01, 0x02]);
  assert.deepEqual(allFromPemOrDer(toPem("CERTIFICATE", one) + "junk between\n" + toPem("CERTIFICATE", two), ["CERTIFICATE"], "bundle"), [one, two]);
  assert.deepEqual(allFromPemOrDer(one, ["CERTIFICATE"], "der"), [one]);
  assert.throws(() => allFromPemOrDer(toPem("X509 CRL", one), ["CERTIFICATE"], "bundle"), /no PEM block labelled CERTIFICATE/);
  assert.deepEqual(fromPemDerOrBase64(one.toString("base64").replace(/(.{4})/g, "$1\n"), ["CMS"], "cms"), one);
  assert.deepEqual(fromPemDerOrBase64(toPem("CMS", one), ["CMS"], "cms"), one);
  assert.deepEqual(fromPemDerOrBase64(one, ["CMS"], "cms"), one);
  assert.throws(() => fromPemDerOrBase64("aGVsbG8=", ["CMS"], "cms"), /base64 of something that is not DER/);
  assert.throws(() => fromPemDerOrBase64("not base64 at all!", ["CMS"], "cms"), /neither PEM nor DER/);
});
