import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { localSigningKey } from "./algorithms.ts";
import { type IssuedCertificate, OpensslCa } from "./test-support/openssl-ca.ts";
import { issueRsaCertificate } from "./test-support/rsa-certificate.ts";
import { mutate, seededRandom } from "./test-support/fuzz.ts";
import { verifySignedData } from "./cms-verify.ts";
import { contextConstructed, integer, octetString, oid, sequence } from "./der.ts";
import { InputError } from "./errors.ts";
import { OID } from "./oids.ts";
import { parseCertificate } from "./certificateInfo.ts";
import {
  createTimeStampRequest,
  createTimeStampToken,
  parseTimeStampRequest,
  parseTimeStampResponse,
  parseTimeStampToken,
  type TimeStampTokenOptions,
  timeStampFailure,
  timeStampResponse,
} from "./tsp.ts";

const TSA_EXTENSIONS = [
  "basicConstraints=critical,CA:FALSE",
  "keyUsage=critical,digitalSignature,nonRepudiation",
  "extendedKeyUsage=critical,timeStamping",
];
const POLICY = "1.2.398.3.3.2.6.1";
const data = Buffer.from("the document whose imprint is time-stamped");

let ca: OpensslCa;
let rsaTsa: IssuedCertificate;
let ecTsa: IssuedCertificate;
let fileNumber = 0;
const freshName = (suffix: string) => `t${++fileNumber}.${suffix}`;

const read = (file: string) => readFileSync(ca.path(file));

before(() => {
  ca = new OpensslCa();
  rsaTsa = issueRsaCertificate(ca, "tsa-rsa", TSA_EXTENSIONS);
  ecTsa = ca.issue("tsa-ec", TSA_EXTENSIONS);
  ca.write("data.bin", data);
});
after(() => ca.dispose());

/** `openssl ts -query -data data.bin ...`: the request file's name and its DER. */
function opensslQuery(options: string[]): { file: string; der: Buffer } {
  const file = freshName("tsq");
  ca.openssl(["ts", "-query", "-data", "data.bin", "-out", file, ...options]);
  return { file, der: read(file) };
}

function tokenOptions(
  requestDer: Buffer,
  tsa: IssuedCertificate,
  overrides: Partial<TimeStampTokenOptions> = {},
): TimeStampTokenOptions {
  const request = parseTimeStampRequest(requestDer);
  return {
    request,
    policy: POLICY,
    serial: Buffer.from("0a1b2c3d4e5f60718293", "hex"),
    genTime: new Date("2026-03-01T10:20:30.250Z"),
    accuracy: { seconds: 1, millis: 500 },
    tsa: { certificate: tsa.der, key: localSigningKey(tsa.key) },
    includeCertificate: request.certReq,
    tsaName: parseCertificate(tsa.der).subjectName,
    ...overrides,
  };
}

/** `openssl ts -verify` of a response against the query file, trusting the test CA. */
function opensslVerify(response: Buffer, queryFile: string, tsa: IssuedCertificate): void {
  const file = ca.write(freshName("tsr"), response);
  const output = ca.openssl([
    "ts",
    "-verify",
    "-in",
    file,
    "-queryfile",
    queryFile,
    "-CAfile",
    ca.certPath,
    "-untrusted",
    tsa.path,
  ]);
  assert.match(output, /Verification: OK/);
}

const opensslText = (response: Buffer, tokenIn = false): string =>
  ca.openssl([
    "ts",
    "-reply",
    "-in",
    ca.write(freshName("tsr"), response),
    "-text",
    ...(tokenIn ? ["-token_in"] : []),
  ]);

/** A field of `openssl ts ... -text` output. */
function textField(text: string, label: string): string {
  const match = new RegExp(`^${label}: (.*)$`, "m").exec(text);
  assert.ok(match, `openssl prints ${label}`);
  return match[1]!.trim();
}

/** The bytes of openssl's "Message data" hex dump. */
function messageData(text: string): Buffer {
  const dump = /Message data:\n((?:\s+[0-9a-f]{4} - .*\n)+)/.exec(text);
  assert.ok(dump, "openssl prints the message data");
  const hex = dump[1]!.split("\n").map((line) => line.slice(11, 58).replace(/[^0-9a-f]/g, ""));
  return Buffer.from(hex.join(""), "hex");
}

const hexValue = (text: string) => BigInt(text.startsWith("0x") ? text : `0x${text}`);
const magnitudeValue = (bytes: Buffer) => BigInt("0x" + bytes.toString("hex"));

describe("parseTimeStampRequest", () => {
  test("reads openssl's requests: imprint, nonce, certReq, policy", () => {
    const plain = parseTimeStampRequest(opensslQuery(["-sha256", "-cert", "-no_nonce"]).der);
    assert.equal(plain.hash, "sha256");
    assert.deepEqual(plain.messageImprint, createHash("sha256").update(data).digest());
    assert.equal(plain.certReq, true);
    assert.equal(plain.nonce, undefined);
    assert.equal(plain.policy, undefined);

    const query = opensslQuery(["-sha512", "-tspolicy", "1.2.3.4.5"]);
    const full = parseTimeStampRequest(query.der);
    const text = ca.openssl(["ts", "-query", "-in", query.file, "-text"]);
    assert.equal(full.hash, "sha512");
    assert.deepEqual(full.messageImprint, createHash("sha512").update(data).digest());
    assert.equal(full.certReq, false);
    assert.equal(full.policy, textField(text, "Policy OID"));
    assert.equal(magnitudeValue(full.nonce!), hexValue(textField(text, "Nonce")));
  });

  test("SHA-1 and MD5 imprints are badAlg; garbage is badRequest", () => {
    for (const algorithm of ["-sha1", "-md5"]) {
      assert.throws(() => parseTimeStampRequest(opensslQuery([algorithm]).der), {
        name: "InputError",
        code: "badAlg",
      });
    }
    for (const garbage of [
      Buffer.alloc(0),
      Buffer.from("GET / HTTP/1.1\r\n"),
      Buffer.from([0x30, 0x80, 0, 0]),
      Buffer.from([0x30, 0x03, 2, 1, 1]),
    ]) {
      assert.throws(() => parseTimeStampRequest(garbage), { name: "InputError", code: "badRequest" });
    }
  });

  test("a wrong imprint length or version is badDataFormat; extensions are unacceptedExtension", () => {
    const imprint = (length: number) =>
      sequence(sequence(oid(OID.sha256)), octetString(Buffer.alloc(length, 1)));
    assert.throws(() => parseTimeStampRequest(sequence(integer(1), imprint(20))), { code: "badDataFormat" });
    assert.throws(() => parseTimeStampRequest(sequence(integer(2), imprint(32))), { code: "badDataFormat" });
    const withExtensions = sequence(integer(1), imprint(32), contextConstructed(0, sequence()));
    assert.throws(() => parseTimeStampRequest(withExtensions), { code: "unacceptedExtension" });
    assert.equal(parseTimeStampRequest(sequence(integer(1), imprint(32))).certReq, false);
  });

  test("fuzz: thousands of damaged requests give only badRequest/badAlg/badDataFormat InputErrors, fast", () => {
    const samples = [
      opensslQuery(["-sha256", "-cert"]).der,
      opensslQuery(["-sha384", "-tspolicy", "1.2.3.4"]).der,
    ];
    const random = seededRandom(3161);
    const codes = new Map<string, number>();
    for (let round = 0; round < 5000; round++) {
      const mutant = mutate(samples[round % samples.length]!, random);
      try {
        parseTimeStampRequest(mutant);
        codes.set("parsed", (codes.get("parsed") ?? 0) + 1);
      } catch (error) {
        if (!(error instanceof InputError))
          throw new Error(`round ${round}: ${String(error)} for ${mutant.toString("hex")}`);
        assert.ok(
          ["badRequest", "badAlg", "badDataFormat", "unacceptedExtension"].includes(error.code),
          error.code,
        );
        codes.set(error.code, (codes.get(error.code) ?? 0) + 1);
      }
    }
    assert.ok((codes.get("badRequest") ?? 0) > 1000, JSON.stringify([...codes]));
    assert.ok((codes.get("parsed") ?? 0) > 0, JSON.stringify([...codes]));
  });
});

describe("createTimeStampToken", () => {
  for (const hash of ["sha256", "sha384", "sha512"]) {
    test(`openssl ts -verify accepts our response to a -${hash} query, with and without a nonce`, async () => {
      for (const nonce of ["-nonce", "-no_nonce"] as const) {
        const query = opensslQuery([`-${hash}`, "-cert", ...(nonce === "-nonce" ? [] : [nonce])]);
        const response = timeStampResponse(await createTimeStampToken(tokenOptions(query.der, rsaTsa)));
        opensslVerify(response, query.file, rsaTsa);
      }
    });
  }

  test("with an ECDSA P-256 TSA key too", async () => {
    const query = opensslQuery(["-sha256", "-cert"]);
    opensslVerify(
      timeStampResponse(await createTimeStampToken(tokenOptions(query.der, ecTsa))),
      query.file,
      ecTsa,
    );
  });

  test("the token's fields, as openssl prints them and as we read them back", async () => {
    const query = opensslQuery(["-sha384", "-cert"]);
    const options = tokenOptions(query.der, rsaTsa);
    const response = timeStampResponse(await createTimeStampToken(options));
    const text = opensslText(response);
    assert.equal(textField(text, "Status"), "Granted.");
    assert.equal(textField(text, "Policy OID"), POLICY);
    assert.equal(textField(text, "Hash Algorithm"), "sha384");
    assert.equal(hexValue(textField(text, "Serial number")), magnitudeValue(options.serial));
    assert.equal(textField(text, "Time stamp"), "Mar  1 10:20:30.25 2026 GMT");
    assert.equal(textField(text, "Accuracy"), "0x01 seconds, 0x01F4 millis, unspecified micros");
    assert.equal(hexValue(textField(text, "Nonce")), magnitudeValue(options.request.nonce!));
    assert.equal(textField(text, "TSA"), "DirName:/C=KZ/CN=tsa-rsa");
    assert.deepEqual(messageData(text), options.request.messageImprint);

    const parsed = parseTimeStampResponse(response);
    assert.equal(parsed.status, "granted");
    assert.deepEqual(parsed.tstInfo, {
      policy: POLICY,
      hashAlgorithm: OID.sha384,
      hash: "sha384",
      messageImprint: options.request.messageImprint,
      serialNumber: options.serial,
      genTime: options.genTime,
      accuracy: options.accuracy,
      ordering: false,
      nonce: options.request.nonce,
      tsa: contextConstructed(4, options.tsaName!),
    });
    const [signer] = verifySignedData(parsed.token!).signers;
    assert.deepEqual(signer!.problems, []);
    assert.equal(signer!.signingCertificateMatches, true);
    assert.deepEqual(signer!.certificate, rsaTsa.der);
  });

  test("the requested policy is honoured, another one is unacceptedPolicy", async () => {
    const query = opensslQuery(["-sha256", "-cert", "-tspolicy", POLICY]);
    const response = timeStampResponse(await createTimeStampToken(tokenOptions(query.der, rsaTsa)));
    opensslVerify(response, query.file, rsaTsa);
    assert.equal(parseTimeStampResponse(response).tstInfo!.policy, POLICY);
    const other = opensslQuery(["-sha256", "-tspolicy", "1.2.3.4.5"]);
    await assert.rejects(createTimeStampToken(tokenOptions(other.der, rsaTsa)), {
      name: "InputError",
      code: "unacceptedPolicy",
    });
  });

  test("without certReq the token carries no certificate and still verifies against the TSA's", async () => {
    const query = opensslQuery(["-sha256"]);
    const options = tokenOptions(query.der, rsaTsa);
    assert.equal(options.includeCertificate, false);
    const token = await createTimeStampToken(options);
    opensslVerify(timeStampResponse(token), query.file, rsaTsa);
    assert.deepEqual(verifySignedData(token).certificates, []);
    assert.equal(verifySignedData(token, { certificates: [rsaTsa.der] }).signers[0]!.valid, true);
  });

  test("createTimeStampRequest makes a request that openssl reads and that our TSA answers", async () => {
    const imprint = createHash("sha256").update(data).digest();
    const nonce = Buffer.from("00ff0102030405060708", "hex");
    const der = createTimeStampRequest({
      hash: "sha256",
      messageImprint: imprint,
      nonce,
      certReq: true,
      policy: POLICY,
    });
    const file = ca.write(freshName("tsq"), der);
    const text = ca.openssl(["ts", "-query", "-in", file, "-text"]);
    assert.equal(textField(text, "Policy OID"), POLICY);
    assert.equal(hexValue(textField(text, "Nonce")), magnitudeValue(nonce));
    assert.equal(textField(text, "Certificate required"), "yes");
    assert.deepEqual(messageData(text), imprint);
    opensslVerify(timeStampResponse(await createTimeStampToken(tokenOptions(der, ecTsa))), file, ecTsa);
  });
});

test("timeStampFailure: openssl reads the rejection and its failure info", () => {
  const cases = [
    ["badAlg", /unrecognized or unsupported algorithm identifier/],
    ["badRequest", /transaction not permitted or supported/],
    ["badDataFormat", /the data submitted has the wrong format/],
    ["unacceptedPolicy", /the requested TSA policy is not supported/],
    ["systemFailure", /the request cannot be handled due to system failure/],
  ] as const;
  for (const [failure, description] of cases) {
    const response = timeStampFailure(failure, `refused: ${failure}`);
    const text = opensslText(response);
    assert.equal(textField(text, "Status"), "Rejected.");
    assert.match(textField(text, "Failure info"), description);
    assert.match(text, new RegExp(`refused: ${failure}`));
    assert.deepEqual(parseTimeStampResponse(response), {
      status: "rejection",
      statusText: [`refused: ${failure}`],
      failures: [failure],
      token: undefined,
      tstInfo: undefined,
    });
  }
  assert.throws(() => parseTimeStampResponse(Buffer.from("garbage")), {
    name: "InputError",
    code: "bad_timestamp_response",
  });
});

test("interop: the real NCA response and token parse as openssl reads them; their GOST signature is reported", (t) => {
  const repoRoot = resolve(import.meta.dirname, "../../..");
  const folder = resolve(repoRoot, "../shared/fixtures/nca", "tsp");
  if (!existsSync(folder)) {
    t.diagnostic(`NCA fixtures not found at ${folder}: interop not checked`);
    return;
  }
  const responseDer = readFileSync(resolve(folder, "tsp_response.bin"));
  const tokenDer = readFileSync(resolve(folder, "tsp_token.bin"));
  const text = ca.openssl(["ts", "-reply", "-in", resolve(folder, "tsp_response.bin"), "-text"]);
  const response = parseTimeStampResponse(responseDer);
  assert.equal(response.status, "granted");
  assert.equal(textField(text, "Status"), "Granted.");
  assert.deepEqual(response.tstInfo, parseTimeStampToken(tokenDer));
  const info = parseTimeStampToken(tokenDer);
  assert.equal(info.policy, textField(text, "Policy OID"));
  assert.equal(info.hash, textField(text, "Hash Algorithm"));
  assert.deepEqual(info.messageImprint, messageData(text));
  assert.equal(magnitudeValue(info.serialNumber), hexValue(textField(text, "Serial number")));
  assert.equal(magnitudeValue(info.nonce!), hexValue(textField(text, "Nonce")));
  assert.equal(info.genTime.getTime(), Date.parse(textField(text, "Time stamp")));
  assert.equal(textField(text, "TSA"), "unspecified");
  assert.equal(info.tsa, undefined);
  assert.match(
    ca.openssl(["ts", "-reply", "-in", resolve(folder, "tsp_token.bin"), "-token_in", "-text"]),
    new RegExp(`Policy OID: ${info.policy}`),
  );

  const verification = verifySignedData(tokenDer);
  assert.equal(verification.contentType, OID.tstInfo);
  const [signer] = verification.signers;
  assert.equal(signer!.signatureValid, false);
  assert.ok(signer!.problems.includes("GOST signature: not supported yet"), signer!.problems.join("; "));
  assert.deepEqual(signer!.certificate, verification.certificates[0]);
});
