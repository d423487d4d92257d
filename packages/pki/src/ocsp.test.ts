import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { type HashName, localSigningKey } from "./algorithms.ts";
import { contextConstructed, octetString, oid, sequence } from "./der.ts";
import { InputError } from "./errors.ts";
import {
  type CertId,
  type CertStatus,
  buildBasicOcspResponse,
  buildOcspRequest,
  buildSingleResponse,
  certIdFor,
  certIdMatches,
  issuerHashes,
  ocspErrorResponse,
  parseOcspRequest,
  parseOcspResponse,
  responderKeyHash,
  verifyOcspResponse,
} from "./ocsp.ts";
import { OID } from "./oids.ts";
import { type IssuedCertificate, OpensslCa } from "./test-support/openssl-ca.ts";
import { encodeExtension } from "./x509-extensions.ts";

let ca: OpensslCa;
let responder: IssuedCertificate;
let leaves: IssuedCertificate[];

before(() => {
  ca = new OpensslCa();
  responder = ca.issue("responder", [
    "basicConstraints=CA:FALSE",
    "keyUsage=critical,digitalSignature",
    "extendedKeyUsage=OCSPSigning",
    "noCheck=ignored",
  ]);
  leaves = ["alpha", "bravo", "charlie"].map((name) => ca.issue(name));
});
after(() => ca.dispose());

const now = new Date(Math.floor(Date.now() / 1000) * 1000);
const thisUpdate = new Date(now.getTime() - 60_000);
const nextUpdate = new Date(now.getTime() + 24 * 3600_000);

/** An OCSP request made by `openssl ocsp`, and openssl's own reading of it. */
function opensslRequest(file: string, certificates: IssuedCertificate[], ...flags: string[]) {
  // openssl wants the digest flag before the certificates
  ca.openssl([
    "ocsp",
    "-issuer",
    "ca.pem",
    ...flags,
    ...certificates.flatMap((leaf) => ["-cert", leaf.path]),
    "-reqout",
    file,
  ]);
  return { der: readFileSync(ca.path(file)), text: ca.openssl(["ocsp", "-reqin", file, "-req_text"]) };
}

test("parseOcspRequest reads openssl's requests: SHA-1 and SHA-256 CertIDs, several certificates, nonce", () => {
  const cases: Array<{ file: string; certificates: IssuedCertificate[]; flags: string[]; hash: HashName }> = [
    { file: "one.der", certificates: [leaves[0]!], flags: [], hash: "sha1" },
    { file: "no-nonce.der", certificates: [leaves[1]!], flags: ["-no_nonce"], hash: "sha1" },
    { file: "sha256.der", certificates: [leaves[2]!], flags: ["-sha256"], hash: "sha256" },
    { file: "three.der", certificates: leaves, flags: [], hash: "sha1" },
  ];
  for (const { file, certificates, flags, hash } of cases) {
    const { der, text } = opensslRequest(file, certificates, ...flags);
    const request = parseOcspRequest(der);
    const issuer = issuerHashes(ca.der, hash);
    assert.equal(request.requests.length, certificates.length, file);
    request.requests.forEach(({ certId }, index) => {
      assert.equal(certId.hashAlgorithm, hash);
      assert.ok(certIdMatches(certId, issuer), `${file}: CertID names our CA`);
      assert.deepEqual(certId.serial, certificates[index]!.serial);
      assert.ok(text.includes(`Issuer Key Hash: ${certId.issuerKeyHash.toString("hex").toUpperCase()}`));
      assert.ok(text.includes(`Issuer Name Hash: ${certId.issuerNameHash.toString("hex").toUpperCase()}`));
    });
    assert.ok(
      !certIdMatches(request.requests[0]!.certId, issuerHashes(responder.der, hash)),
      "not the responder's",
    );
    if (flags.includes("-no_nonce")) {
      assert.equal(request.nonce, undefined);
    } else {
      // openssl prints the extension value: the Nonce OCTET STRING with its tag and length
      const printed = /OCSP Nonce: \n\s+([0-9A-F]+)/.exec(text)![1]!;
      assert.equal(request.nonce!.length, 16);
      assert.equal(printed, "0410" + request.nonce!.toString("hex").toUpperCase());
    }
    assert.equal(request.signed, false);
  }
});

const STATUSES: Array<{ status: CertStatus; expected: RegExp[] }> = [
  { status: { kind: "good" }, expected: [/Cert Status: good/] },
  {
    status: { kind: "revoked", revokedAt: new Date("2026-01-02T03:04:05Z"), reason: "keyCompromise" },
    expected: [
      /Cert Status: revoked/,
      /Revocation Time: Jan {2}2 03:04:05 2026 GMT/,
      /Revocation Reason: keyCompromise \(0x1\)/,
    ],
  },
  { status: { kind: "unknown" }, expected: [/Cert Status: unknown/] },
];

async function respond(
  request: ReturnType<typeof parseOcspRequest>,
  statuses: CertStatus[],
  nonce = request.nonce,
) {
  return buildBasicOcspResponse(
    {
      responderKeyHash: responderKeyHash(responder.der),
      producedAt: now,
      singleResponses: request.requests.map(({ certId }, index) =>
        buildSingleResponse(certId, statuses[index]!, thisUpdate, nextUpdate),
      ),
      ...(nonce ? { nonce } : {}),
      certificates: [responder.der],
    },
    localSigningKey(responder.key),
  );
}

/** `openssl ocsp` reading a response file, with the test CA as issuer and trust anchor. */
const opensslOcsp = (responseFile: string, ...options: string[]) =>
  ca.tryOpenssl(["ocsp", "-respin", responseFile, "-issuer", "ca.pem", "-CAfile", "ca.pem", ...options]);

const checkWithOpenssl = (responseFile: string, requestFile: string, ...flags: string[]) =>
  opensslOcsp(responseFile, ...flags, "-reqin", requestFile, "-resp_text");

/** openssl's summary of a response for the certificates given (-cert): "alpha.pem: good" … */
const statusesByOpenssl = (responseFile: string, certificates: IssuedCertificate[], ...flags: string[]) =>
  opensslOcsp(
    responseFile,
    "-no_nonce",
    ...flags,
    ...certificates.flatMap((certificate) => ["-cert", certificate.path]),
  );

test("buildOcspRequest makes requests openssl reads: CertIDs for several certificates and the nonce", () => {
  const issuer = issuerHashes(ca.der, "sha1");
  const nonce = Buffer.from("0123456789abcdef0123456789abcdef", "hex");
  const request = buildOcspRequest(leaves.slice(0, 2).map((leaf) => certIdFor(issuer, leaf.serial)), nonce);
  ca.write("built.req", request);
  const text = ca.openssl(["ocsp", "-reqin", "built.req", "-req_text"]);
  const openssls = opensslRequest("same.req", leaves.slice(0, 2), "-no_nonce");
  const certIds = (requestText: string) => requestText.match(/Certificate ID:[\s\S]*?Serial Number: \w+/g);
  assert.deepEqual(certIds(text), certIds(openssls.text), "the same CertIDs openssl makes for these certificates");
  assert.match(text, new RegExp(`OCSP Nonce: \\n\\s+0410${nonce.toString("hex").toUpperCase()}`));
  const parsed = parseOcspRequest(request);
  assert.deepEqual(parsed.nonce, nonce);
  assert.deepEqual(parsed.requests.map((one) => one.certId.serial), leaves.slice(0, 2).map((leaf) => leaf.serial));
  assert.equal(parseOcspRequest(buildOcspRequest([certIdFor(issuer, leaves[0]!.serial)])).nonce, undefined);
  assert.throws(() => buildOcspRequest([]), InputError);
  assert.throws(() => buildOcspRequest([certIdFor(issuer, leaves[0]!.serial)], Buffer.alloc(33)), InputError);
});

test("a delegated responder's good, revoked and unknown answers verify with openssl, nonce echoed", async () => {
  for (const [index, { status, expected }] of STATUSES.entries()) {
    const { der } = opensslRequest(`status-${index}.req`, [leaves[index]!]);
    const request = parseOcspRequest(der);
    ca.write(`status-${index}.resp`, await respond(request, [status]));
    for (const flags of [["-VAfile", "responder.pem"], []]) {
      const result = checkWithOpenssl(`status-${index}.resp`, `status-${index}.req`, ...flags);
      assert.equal(result.status, 0, result.output);
      assert.match(result.output, /Response verify OK/);
      assert.doesNotMatch(result.output, /WARNING|error/i);
      for (const pattern of expected) assert.match(result.output, pattern);
      assert.match(result.output, /Responder Id: [0-9A-F]{40}/);
      assert.ok(
        result.output.includes("0410" + request.nonce!.toString("hex").toUpperCase()),
        "nonce echoed",
      );
    }
  }
});

test("openssl notices a wrong nonce, a missing responder certificate and a response for another request", async () => {
  const { der } = opensslRequest("checks.req", [leaves[0]!]);
  const request = parseOcspRequest(der);
  ca.write("wrong-nonce.resp", await respond(request, [{ kind: "good" }], Buffer.alloc(16, 7)));
  const wrongNonce = checkWithOpenssl("wrong-nonce.resp", "checks.req");
  assert.notEqual(wrongNonce.status, 0);
  assert.match(wrongNonce.output, /Nonce Verify error/);

  const withoutCertificate = await buildBasicOcspResponse(
    {
      responderKeyHash: responderKeyHash(responder.der),
      producedAt: now,
      singleResponses: [
        buildSingleResponse(request.requests[0]!.certId, { kind: "good" }, thisUpdate, nextUpdate),
      ],
      nonce: request.nonce!,
    },
    localSigningKey(responder.key),
  );
  ca.write("no-cert.resp", withoutCertificate);
  const unknownSigner = checkWithOpenssl("no-cert.resp", "checks.req");
  assert.notEqual(unknownSigner.status, 0);
  assert.match(unknownSigner.output, /Response Verify Failure|signer certificate not found/i);

  ca.write("other.resp", await respond(request, [{ kind: "good" }]));
  const otherCertificate = statusesByOpenssl("other.resp", [leaves[1]!]);
  assert.match(otherCertificate.output, /bravo\.pem: ERROR: No Status found/);
  const sameCertificate = statusesByOpenssl("other.resp", [leaves[0]!]);
  assert.match(sameCertificate.output, /alpha\.pem: good/);
});

test("the CA itself can answer for several certificates at once", async () => {
  const { der } = opensslRequest("multi.req", leaves, "-sha256");
  const request = parseOcspRequest(der);
  const response = await buildBasicOcspResponse(
    {
      responderKeyHash: responderKeyHash(ca.der),
      producedAt: now,
      singleResponses: request.requests.map(({ certId }, index) =>
        buildSingleResponse(certId, STATUSES[index]!.status, thisUpdate, nextUpdate),
      ),
      nonce: request.nonce!,
    },
    localSigningKey(ca.key),
  );
  ca.write("multi.resp", response);
  const result = checkWithOpenssl("multi.resp", "multi.req");
  assert.equal(result.status, 0, result.output);
  assert.match(result.output, /Response verify OK/);
  assert.equal(result.output.match(/Hash Algorithm: sha256/g)?.length, 3);
  for (const { expected } of STATUSES) for (const pattern of expected) assert.match(result.output, pattern);

  // and with -issuer/-cert, openssl matches each answer to its certificate
  const summary = statusesByOpenssl("multi.resp", leaves, "-sha256");
  assert.equal(summary.status, 0, summary.output);
  assert.match(summary.output, /alpha\.pem: good/);
  assert.match(summary.output, /bravo\.pem: revoked\n[\s\S]*Reason: keyCompromise/);
  assert.match(summary.output, /charlie\.pem: unknown/);
});

test("parseOcspResponse reads back what was built, and its signature verifies", async () => {
  const { der } = opensslRequest("roundtrip.req", [leaves[1]!]);
  const request = parseOcspRequest(der);
  const revoked: CertStatus = {
    kind: "revoked",
    revokedAt: new Date("2025-05-05T05:05:05Z"),
    reason: "certificateHold",
  };
  const response = parseOcspResponse(await respond(request, [revoked]));
  assert.equal(response.status, "successful");
  if (response.status !== "successful") return;
  assert.deepEqual(response.responderId, { byKey: responderKeyHash(responder.der) });
  assert.deepEqual(response.producedAt, now);
  assert.deepEqual(response.nonce, request.nonce);
  assert.deepEqual(response.certificates, [responder.der]);
  assert.deepEqual(response.responses, [
    { certId: request.requests[0]!.certId, status: revoked, thisUpdate, nextUpdate },
  ]);
  assert.equal(response.signatureAlgorithm, OID.ecdsaWithSHA256);
  assert.ok(verifyOcspResponse(response, new X509Certificate(responder.der).publicKey));
  assert.ok(!verifyOcspResponse(response, new X509Certificate(ca.der).publicKey));
});

test("error responses are the constant DER openssl expects", () => {
  for (const status of [
    "malformedRequest",
    "internalError",
    "tryLater",
    "sigRequired",
    "unauthorized",
  ] as const) {
    const der = ocspErrorResponse(status);
    assert.deepEqual(parseOcspResponse(der), { status });
    ca.write(`${status}.resp`, der);
    const result = ca.tryOpenssl(["ocsp", "-respin", `${status}.resp`, "-resp_text", "-noverify"]);
    assert.match(result.output, new RegExp(`Responder Error: ${status} \\(\\d\\)`, "i"));
  }
  assert.deepEqual(ocspErrorResponse("malformedRequest"), Buffer.from("30030a0101", "hex"));
  assert.throws(() => ocspErrorResponse("successful" as never), InputError);
});

function handMadeRequest(certIds: Buffer[], extensions: Buffer[] = []): Buffer {
  const requestList = sequence(...certIds.map((certId) => sequence(certId)));
  const tbs = extensions.length
    ? sequence(requestList, contextConstructed(2, sequence(...extensions)))
    : sequence(requestList);
  return sequence(tbs);
}

test("requests that break the rules are malformed, with InputErrors that say why", () => {
  const issuer = issuerHashes(ca.der, "sha1");
  const certId = (overrides: Partial<CertId> = {}) => {
    const { hashAlgorithm, issuerNameHash, issuerKeyHash, serial } = {
      ...certIdFor(issuer, Buffer.from([1])),
      ...overrides,
    };
    return sequence(
      sequence(oid(hashAlgorithm === "sha1" ? OID.sha1 : "1.2.398.3.10.1.3.1")),
      octetString(issuerNameHash),
      octetString(issuerKeyHash),
      Buffer.from([2, serial.length, ...serial]),
    );
  };
  const nonce = (bytes: Buffer) => encodeExtension(OID.ocspNonce, false, octetString(bytes));
  const malformed = (der: Buffer, pattern: RegExp) =>
    assert.throws(
      () => parseOcspRequest(der),
      (error: unknown) => error instanceof InputError && pattern.test(error.message),
    );
  assert.equal(parseOcspRequest(handMadeRequest([certId()], [nonce(Buffer.alloc(32, 1))])).nonce?.length, 32);
  malformed(handMadeRequest([certId()], [nonce(Buffer.alloc(33, 1))]), /nonce must be 1 to 32 octets/);
  malformed(handMadeRequest([certId()], [nonce(Buffer.alloc(0))]), /nonce must be 1 to 32 octets/);
  malformed(
    handMadeRequest([certId()], [encodeExtension("1.2.3.4", true, Buffer.from([5, 0]))]),
    /critical extension 1\.2\.3\.4/,
  );
  malformed(handMadeRequest([]), /requestList is empty/);
  malformed(handMadeRequest([certId({ serial: Buffer.from([0x80]) })]), /serialNumber is negative/);
  malformed(handMadeRequest([certId({ issuerKeyHash: Buffer.alloc(19) })]), /not 20 bytes long/);
  malformed(
    handMadeRequest([certId({ hashAlgorithm: "gost" as HashName })]),
    /unsupported CertID hash algorithm 1\.2\.398/,
  );
  malformed(Buffer.alloc(0), /truncated/);
  malformed(Buffer.from("3080", "hex"), /indefinite length/);
});

test("response parts that break the rules are refused", async () => {
  const certId = certIdFor(issuerHashes(ca.der, "sha1"), Buffer.from([9]));
  assert.throws(
    () =>
      buildSingleResponse(
        certId,
        { kind: "revoked", revokedAt: now, reason: "removeFromCRL" },
        thisUpdate,
        nextUpdate,
      ),
    /not a revocation reason for OCSP/,
  );
  assert.throws(
    () => buildSingleResponse(certId, { kind: "good" }, nextUpdate, thisUpdate),
    /nextUpdate must be after/,
  );
  assert.throws(
    () =>
      buildSingleResponse(
        { ...certId, issuerKeyHash: Buffer.alloc(3) },
        { kind: "good" },
        thisUpdate,
        nextUpdate,
      ),
    /must be 20 bytes/,
  );
  const parts = { responderKeyHash: Buffer.alloc(20), producedAt: now, singleResponses: [] };
  await assert.rejects(buildBasicOcspResponse(parts, localSigningKey(ca.key)), /at least one SingleResponse/);
  await assert.rejects(
    buildBasicOcspResponse({ ...parts, responderKeyHash: Buffer.alloc(32) }, localSigningKey(ca.key)),
    /20-byte SHA-1/,
  );
});
