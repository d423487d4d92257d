import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { localSigningKey } from "./algorithms.ts";
import { addTimestampToken, createSignedData, signatureValueOf } from "./cms.ts";
import { type IssuedCertificate, OpensslCa } from "./test-support/openssl-ca.ts";
import { issueRsaCertificate, keyPathOf } from "./test-support/rsa-certificate.ts";
import { mutate, seededRandom } from "./test-support/fuzz.ts";
import { verifySignedData } from "./cms-verify.ts";
import { InputError } from "./errors.ts";
import { OID } from "./oids.ts";

const SIGNER_EXTENSIONS = [
  "basicConstraints=critical,CA:FALSE",
  "keyUsage=critical,digitalSignature,nonRepudiation",
  "subjectKeyIdentifier=hash",
];

let ca: OpensslCa;
const signers = {} as Record<"rsa" | "ec", IssuedCertificate>;
let fileNumber = 0;
const freshName = (suffix: string) => `f${++fileNumber}.${suffix}`;

const read = (file: string) => readFileSync(ca.path(file));

before(() => {
  ca = new OpensslCa();
  signers.rsa = issueRsaCertificate(ca, "rsa-signer", SIGNER_EXTENSIONS);
  signers.ec = ca.issue("ec-signer", SIGNER_EXTENSIONS);
});
after(() => ca.dispose());

const content = Buffer.from(
  "Qoltanba: a document to sign, with bytes \x00\xff\r\n that must survive as they are",
);
const sha256 = (data: Buffer) => createHash("sha256").update(data).digest();
const signerOf = (identity: IssuedCertificate) => ({
  certificate: identity.der,
  key: localSigningKey(identity.key),
});

/** `openssl cms -verify` (with -cades: ESS signingCertificateV2 checked too); returns the content it verified. */
const opensslVerify = (cms: Buffer, detached?: Buffer) =>
  ca.verifyCms(cms, { content: detached, options: ["-cades"] });

function opensslSign(identity: IssuedCertificate, options: string[]): Buffer {
  const output = freshName("p7s");
  const input = ca.write(freshName("bin"), content);
  ca.openssl([
    "cms",
    "-sign",
    "-binary",
    "-in",
    input,
    "-signer",
    identity.path,
    "-inkey",
    keyPathOf(identity),
    "-outform",
    "DER",
    "-out",
    output,
    ...options,
  ]);
  return read(output);
}

for (const keyType of ["rsa", "ec"] as const) {
  describe(`CMS with an ${keyType.toUpperCase()} signer`, () => {
    test("attached: openssl cms -verify passes and returns the content; ours verifies too", async () => {
      const signingTime = new Date("2026-03-01T10:20:30Z");
      const cms = await createSignedData({
        content,
        encapsulate: true,
        signer: signerOf(signers[keyType]),
        signingTime,
      });
      assert.deepEqual(opensslVerify(cms), content);
      const result = verifySignedData(cms);
      assert.deepEqual(result.content, content);
      const [signer] = result.signers;
      assert.deepEqual(signer!.problems, []);
      assert.equal(signer!.valid, true);
      assert.equal(signer!.signingCertificateMatches, true);
      assert.deepEqual(signer!.certificate, signers[keyType].der);
      assert.deepEqual(signer!.signingTime, signingTime);
    });

    test("detached: openssl verifies with -content", async () => {
      const cms = await createSignedData({ content, encapsulate: false, signer: signerOf(signers[keyType]) });
      assert.deepEqual(opensslVerify(cms, content), content);
      assert.equal(verifySignedData(cms, { detachedContent: content }).signers[0]!.valid, true);
      assert.throws(() => verifySignedData(cms), { name: "InputError", code: "detached_content_missing" });
    });

    test("over a digest computed by the caller: openssl verifies it against the content", async () => {
      const cms = await createSignedData({
        contentDigest: sha256(content),
        encapsulate: false,
        signer: signerOf(signers[keyType]),
      });
      assert.deepEqual(opensslVerify(cms, content), content);
      assert.equal(verifySignedData(cms, { detachedDigest: sha256(content) }).signers[0]!.valid, true);
      assert.equal(verifySignedData(cms, { detachedContent: content }).signers[0]!.valid, true);
    });

    test("openssl-made CMS (-nodetach, -cades) verifies with ours", () => {
      for (const options of [
        ["-nodetach"],
        ["-nodetach", "-cades", "-md", "sha384"],
        ["-nodetach", "-keyid"],
      ]) {
        const result = verifySignedData(opensslSign(signers[keyType], options));
        assert.deepEqual(result.content, content, options.join(" "));
        assert.deepEqual(result.signers[0]!.problems, [], options.join(" "));
        assert.equal(result.signers[0]!.valid, true);
        assert.deepEqual(result.signers[0]!.certificate, signers[keyType].der);
        assert.equal(
          result.signers[0]!.signingCertificateMatches,
          options.includes("-cades") ? true : undefined,
        );
      }
    });
  });
}

test("streamed openssl CMS (BER: indefinite lengths, content in segments) verifies", () => {
  for (const [identity, options] of [
    [signers.rsa, ["-nodetach", "-stream", "-cades"]],
    [signers.ec, ["-stream", "-md", "sha512"]],
  ] as const) {
    const cms = opensslSign(identity, [...options]);
    assert.equal(cms[1], 0x80, "openssl -stream writes an indefinite length");
    const result = verifySignedData(cms);
    assert.deepEqual(result.content, content);
    assert.deepEqual(result.signers[0]!.problems, []);
    assert.equal(result.signers[0]!.valid, true);
  }
});

test("a signature without signed attributes (openssl -noattr) is checked over the content", () => {
  const cms = opensslSign(signers.rsa, ["-nodetach", "-noattr"]);
  assert.equal(verifySignedData(cms).signers[0]!.valid, true);
});

test("tampered content and a tampered signature are detected, by ours and by openssl", async () => {
  const cms = await createSignedData({ content, encapsulate: true, signer: signerOf(signers.rsa) });
  const tampered = Buffer.from(cms);
  tampered[cms.indexOf(content) + 3]! ^= 0x01;
  const [contentChanged] = verifySignedData(tampered).signers;
  assert.equal(contentChanged!.digestValid, false);
  assert.equal(contentChanged!.signatureValid, true);
  assert.equal(contentChanged!.valid, false);
  assert.throws(() => opensslVerify(tampered), /digest failure|verification failure/i);

  const detached = await createSignedData({ content, encapsulate: false, signer: signerOf(signers.ec) });
  const other = Buffer.from(content);
  other[0]! ^= 0x20;
  assert.equal(verifySignedData(detached, { detachedContent: other }).signers[0]!.digestValid, false);
  assert.throws(() => opensslVerify(detached, other), /digest failure|verification failure/i);

  const badSignature = Buffer.from(cms);
  badSignature[cms.length - 10]! ^= 0x01; // the signature value is the SignerInfo's last field
  const [signatureChanged] = verifySignedData(badSignature).signers;
  assert.equal(signatureChanged!.digestValid, true);
  assert.equal(signatureChanged!.signatureValid, false);
  assert.throws(() => opensslVerify(badSignature), /verification failure/i);
});

test("a signature time-stamp from openssl's TSA makes CAdES-T that openssl and ours accept", async () => {
  const tsa = issueRsaCertificate(ca, "tsa", [
    "basicConstraints=critical,CA:FALSE",
    "keyUsage=critical,digitalSignature",
    "extendedKeyUsage=critical,timeStamping",
  ]);
  ca.write("tsaserial", "01\n");
  const config = ca.write(
    "ts.cnf",
    [
      "[ tsa ]",
      "default_tsa = tsa_config",
      "[ tsa_config ]",
      "serial = tsaserial",
      "crypto_device = builtin",
      `signer_cert = ${tsa.path}`,
      `signer_key = ${keyPathOf(tsa)}`,
      "signer_digest = sha256",
      "default_policy = 1.2.3.4.1",
      "digests = sha256",
      "ess_cert_id_alg = sha256",
      "ess_cert_id_chain = no",
      "accuracy = secs:1",
    ].join("\n"),
  );
  const cms = await createSignedData({ content, encapsulate: true, signer: signerOf(signers.ec) });
  const imprint = sha256(signatureValueOf(cms)).toString("hex");
  ca.openssl(["ts", "-query", "-digest", imprint, "-sha256", "-cert", "-out", "sig.tsq"]);
  ca.openssl(["ts", "-reply", "-config", config, "-queryfile", "sig.tsq", "-token_out", "-out", "sig.tst"]);
  const token = read("sig.tst");

  const cadesT = addTimestampToken(cms, token);
  assert.deepEqual(opensslVerify(cadesT), content);
  assert.match(
    ca.openssl(["cms", "-cmsout", "-print", "-inform", "DER", "-in", ca.write("t.p7s", cadesT)]),
    /unsignedAttrs:\s+object: id-smime-aa-timeStampToken/,
  );
  const [signer] = verifySignedData(cadesT).signers;
  assert.equal(signer!.valid, true);
  assert.deepEqual(signer!.timestampTokens, [token]);
  // The token is over the signature value still in the CAdES-T signature.
  const imprintNow = sha256(signatureValueOf(cadesT)).toString("hex");
  ca.openssl([
    "ts",
    "-verify",
    "-digest",
    imprintNow,
    "-in",
    "sig.tst",
    "-token_in",
    "-CAfile",
    ca.certPath,
    "-untrusted",
    tsa.path,
  ]);

  const otherCms = await createSignedData({ content, encapsulate: true, signer: signerOf(signers.rsa) });
  assert.throws(() => addTimestampToken(otherCms, token), {
    name: "InputError",
    code: "bad_timestamp_token",
  });
  const misplaced = await createSignedData({
    content,
    encapsulate: true,
    signer: signerOf(signers.rsa),
    unsignedAttributes: [{ type: OID.signatureTimeStampToken, values: [token] }],
  });
  assert.deepEqual(opensslVerify(misplaced), content, "openssl does not look at unsigned attributes");
  const [misplacedSigner] = verifySignedData(misplaced).signers;
  assert.equal(misplacedSigner!.valid, false);
  assert.deepEqual(misplacedSigner!.problems, [
    "signature time-stamp #1: its imprint is not over this signature value",
  ]);
  assert.throws(() => signatureValueOf(cms, 1), { name: "InputError", code: "no_such_signer" });
});

test("bad options and bad input are InputErrors", async () => {
  const signer = signerOf(signers.rsa);
  await assert.rejects(createSignedData({ encapsulate: true, signer }), { code: "bad_cms_request" });
  await assert.rejects(createSignedData({ contentDigest: sha256(content), encapsulate: true, signer }), {
    code: "bad_cms_request",
  });
  await assert.rejects(createSignedData({ contentDigest: Buffer.alloc(20), encapsulate: false, signer }), {
    code: "bad_digest_length",
  });
  await assert.rejects(
    createSignedData({ content, encapsulate: true, signer: { ...signer, certificate: Buffer.from("nope") } }),
    {
      code: "bad_certificate",
    },
  );
  assert.throws(() => verifySignedData(Buffer.from("not a CMS at all")), {
    name: "InputError",
    code: "bad_cms",
  });
  assert.throws(() => verifySignedData(signers.rsa.der), { name: "InputError", code: "bad_cms" });
});

test("fuzz: a thousand damaged CMS (DER and BER) give results or InputErrors, nothing else", async () => {
  const samples = [
    await createSignedData({ content, encapsulate: true, signer: signerOf(signers.ec) }),
    opensslSign(signers.rsa, ["-nodetach", "-stream", "-cades"]),
  ];
  const random = seededRandom(20260301);
  let inputErrors = 0;
  for (let round = 0; round < 1000; round++) {
    const mutant = mutate(samples[round % samples.length]!, random);
    try {
      verifySignedData(mutant, { detachedContent: mutant.includes(content) ? undefined : content });
    } catch (error) {
      if (!(error instanceof InputError))
        throw new Error(`round ${round}: ${String(error)} for ${mutant.toString("hex")}`);
      inputErrors++;
    }
  }
  assert.ok(inputErrors > 0);
});
