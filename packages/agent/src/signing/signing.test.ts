import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { fromPemOrDer, signatureValueOf, verifySignedData, verifyXmlSignature } from "@qoltanba/pki";
import { connect, type ProtocolClient, startTestAgent, type TestAgent } from "../testing/testAgent.ts";
import { AUTH_EXTENSIONS, type IssuedKey, SIGN_EXTENSIONS, TestPki } from "../testing/testPki.ts";
import { startTestTsa, type TestTsa } from "../testing/testTsa.ts";

const PASSWORD = "Test12345";
const PERSON_IIN = "880101300014";
const COMPANY_BIN = "120340012345";
const COMMON = "kz.gov.pki.knca.commonUtils";
const BASICS = "kz.gov.pki.knca.basics";

let pki: TestPki;
let tsa: TestTsa;
/** Holds the person's two keys; `companyAgent` holds the company's signing key as well. */
let agent: TestAgent;
let client: ProtocolClient;
let companyAgent: TestAgent;
let companyClient: ProtocolClient;
const keys: Record<"personAuth" | "personSign" | "companySign", IssuedKey> = {} as never;

before(async () => {
  pki = new TestPki();
  keys.personAuth = pki.issue(
    "person-auth",
    `/CN=ТЕСТОВ ТЕСТ/SN=ТЕСТОВ/serialNumber=IIN${PERSON_IIN}/C=KZ/GN=ТЕСТОВИЧ`,
    AUTH_EXTENSIONS,
    PASSWORD,
  );
  keys.personSign = pki.issue(
    "person-sign",
    `/CN=ТЕСТОВ ТЕСТ/SN=ТЕСТОВ/serialNumber=IIN${PERSON_IIN}/C=KZ/GN=ТЕСТОВИЧ`,
    SIGN_EXTENSIONS,
    PASSWORD,
  );
  keys.companySign = pki.issue(
    "company-sign",
    `/CN=ДИРЕКТОР/serialNumber=IIN${PERSON_IIN}/C=KZ/O=ТОО ТЕСТ/OU=BIN${COMPANY_BIN}`,
    SIGN_EXTENSIONS.map((line) =>
      line.startsWith("extendedKeyUsage")
        ? "extendedKeyUsage=emailProtection,1.2.398.3.3.4.1.2,1.2.398.3.3.4.1.2.1"
        : line,
    ),
    PASSWORD,
  );
  tsa = await startTestTsa(pki);
  const keyFile = (key: IssuedKey) => ({ path: key.p12Path, password: PASSWORD });
  agent = await startTestAgent(
    { origins: ["local"], pkcs12: [keyFile(keys.personAuth), keyFile(keys.personSign)] },
    { tsaUrl: tsa.url },
  );
  client = await connect(agent);
  companyAgent = await startTestAgent(
    { origins: ["local"], pkcs12: Object.values(keys).map(keyFile) },
    { tsaUrl: tsa.url },
  );
  companyClient = await connect(companyAgent);
});

after(async () => {
  client.close();
  companyClient.close();
  await agent.dispose();
  await companyAgent.dispose();
  await tsa.close();
  pki.dispose();
});

interface CommonReply {
  code: string;
  responseObject?: unknown;
  message?: string;
}

async function common(method: string, args: unknown[]): Promise<CommonReply> {
  return (await client.request({ module: COMMON, method, args })) as CommonReply;
}

const signerCertificate = (cms: Buffer, detachedContent?: Buffer) =>
  verifySignedData(cms, detachedContent ? { detachedContent } : {}).signers[0]!.certificate!;
const derOf = (key: IssuedKey) => fromPemOrDer(key.certificatePem, ["CERTIFICATE"], "certificate");

test("createCAdESFromBase64: attached with the SIGNATURE key, detached with the AUTHENTICATION key", async () => {
  const data = Buffer.from("Құжат мәтіні — document text");
  const attached = await common("createCAdESFromBase64", [
    "PKCS12",
    "SIGNATURE",
    data.toString("base64"),
    true,
  ]);
  assert.equal(attached.code, "200", attached.message);
  const cms = Buffer.from(attached.responseObject as string, "base64");
  assert.deepEqual(pki.verifyCms(cms), data);
  const verification = verifySignedData(cms);
  assert.equal(verification.signers[0]!.valid, true, verification.signers[0]!.problems.join("; "));
  assert.deepEqual(verification.content, data);
  assert.ok(signerCertificate(cms).equals(derOf(keys.personSign)));

  const detached = await common("createCAdESFromBase64", [
    "PKCS12",
    "AUTHENTICATION",
    data.toString("base64"),
    false,
  ]);
  assert.equal(detached.code, "200", detached.message);
  const detachedCms = Buffer.from(detached.responseObject as string, "base64");
  pki.verifyCms(detachedCms, { content: data });
  assert.equal(verifySignedData(detachedCms, { detachedContent: data }).signers[0]!.valid, true);
  assert.ok(signerCertificate(detachedCms, data).equals(derOf(keys.personAuth)));
});

test("createCAdESFromBase64Hash signs a digest computed by the page; openssl checks it against the data", async () => {
  const data = Buffer.from("a large document hashed by the page");
  const digest = createHash("sha256").update(data).digest();
  const reply = await common("createCAdESFromBase64Hash", ["PKCS12", "SIGNATURE", digest.toString("base64")]);
  assert.equal(reply.code, "200", reply.message);
  const cms = Buffer.from(reply.responseObject as string, "base64");
  pki.verifyCms(cms, { content: data });
  assert.equal(verifySignedData(cms, { detachedDigest: digest }).signers[0]!.valid, true);
  const short = await common("createCAdESFromBase64Hash", ["PKCS12", "SIGNATURE", "MTEK"]);
  assert.equal(short.code, "500");
  assert.match(short.message!, /SHA-256 digest/);
});

/** Checks the CAdES-T time-stamp: openssl ts -verify over the signature value, and pki's imprint check. */
function checkTimestamp(cms: Buffer, detachedContent?: Buffer): void {
  const verification = verifySignedData(cms, detachedContent ? { detachedContent } : {});
  const signer = verification.signers[0]!;
  assert.equal(signer.valid, true, signer.problems.join("; "));
  assert.equal(signer.timestampTokens.length, 1);
  const tokenPath = writeTemporary(signer.timestampTokens[0]!);
  // What the time-stamp covers: the SignerInfo's signature value.
  const signatureValue = writeTemporary(signatureValueOf(cms));
  const ts = pki.tryOpenssl([
    "ts",
    "-verify",
    "-token_in",
    "-in",
    tokenPath,
    "-data",
    signatureValue,
    "-CAfile",
    pki.caPath,
    "-untrusted",
    tsa.certificatePath,
  ]);
  assert.equal(ts.status, 0, ts.output);
  assert.match(ts.output, /Verification: OK/);
}

function writeTemporary(data: Buffer): string {
  const path = pki.path(`tmp-${Math.random().toString(36).slice(2)}`);
  writeFileSync(path, data);
  return path;
}

test("createCMSSignatureFromBase64 adds a signature time-stamp from the TSA (CAdES-T); applyCAdEST adds one to a CAdES-BES", async () => {
  const data = Buffer.from("signed with a time-stamp");
  const requestsBefore = tsa.requests;
  const reply = await common("createCMSSignatureFromBase64", [
    "PKCS12",
    "SIGNATURE",
    data.toString("base64"),
    true,
  ]);
  assert.equal(reply.code, "200", reply.message);
  const cms = Buffer.from(reply.responseObject as string, "base64");
  assert.deepEqual(pki.verifyCms(cms), data);
  checkTimestamp(cms);
  assert.equal(tsa.requests, requestsBefore + 1);

  const bes = await common("createCAdESFromBase64", ["PKCS12", "SIGNATURE", data.toString("base64"), false]);
  assert.equal(
    verifySignedData(Buffer.from(bes.responseObject as string, "base64"), { detachedContent: data })
      .signers[0]!.timestampTokens.length,
    0,
  );
  const t = await common("applyCAdEST", ["PKCS12", "SIGNATURE", bes.responseObject]);
  assert.equal(t.code, "200", t.message);
  const withTimestamp = Buffer.from(t.responseObject as string, "base64");
  pki.verifyCms(withTimestamp, { content: data });
  checkTimestamp(withTimestamp, data);
});

interface BasicsReply {
  status: boolean;
  body?: { result?: unknown };
  code?: string;
  message?: string;
  details?: string;
}

async function basicsSign(on: ProtocolClient, args: Record<string, unknown>): Promise<BasicsReply> {
  return (await on.request({
    module: BASICS,
    method: "sign",
    args: { allowedStorages: null, locale: "ru", ...args },
  })) as BasicsReply;
}

const cmsFromPem = (pem: string) => fromPemOrDer(pem, ["CMS"], "CMS");

test("basics sign, cms: several documents at once, PEM results, attached and detached, outputCert", async () => {
  const documents = [
    "MTEK",
    Buffer.from("second").toString("base64"),
    Buffer.alloc(3000, 7).toString("base64"),
  ];
  const attached = await basicsSign(client, {
    format: "cms",
    data: documents,
    signingParams: { decode: true, encapsulate: true, digested: false },
    signerParams: { extKeyUsageOids: ["1.3.6.1.5.5.7.3.4"] },
  });
  assert.equal(attached.status, true, attached.details);
  const results = attached.body!.result as string[];
  assert.equal(results.length, 3);
  results.forEach((pem, index) => {
    assert.match(pem, /^-----BEGIN CMS-----\n/);
    assert.deepEqual(pki.verifyCms(cmsFromPem(pem)), Buffer.from(documents[index]!, "base64"));
  });

  const single = await basicsSign(client, {
    format: "cms",
    data: "MTEK",
    signingParams: { decode: true, encapsulate: false, digested: false, outputCert: true },
    signerParams: { extKeyUsageOids: ["1.3.6.1.5.5.7.3.2"] },
  });
  const { signatures, certificate } = single.body!.result as { signatures: string; certificate: string };
  assert.equal(typeof signatures, "string");
  assert.deepEqual(fromPemOrDer(certificate, ["CERTIFICATE"], "certificate"), derOf(keys.personAuth));
  pki.verifyCms(cmsFromPem(signatures), { content: Buffer.from("MTEK", "base64") });
});

test("basics sign, cms: digested data, a time-stamp with tsaProfile, and text data with decode false", async () => {
  const data = Buffer.from("hashed elsewhere");
  const digested = await basicsSign(client, {
    format: "cms",
    data: createHash("sha256").update(data).digest("base64"),
    signingParams: { decode: true, encapsulate: false, digested: true, tsaProfile: {} },
    signerParams: { extKeyUsageOids: ["1.3.6.1.5.5.7.3.4"] },
  });
  assert.equal(digested.status, true, digested.details);
  const cms = cmsFromPem(digested.body!.result as string);
  pki.verifyCms(cms, { content: data });
  checkTimestamp(cms, data);

  const text = await basicsSign(client, {
    format: "cms",
    data: "Қазақ мәтіні",
    signingParams: { decode: false, encapsulate: true },
    signerParams: { extKeyUsageOids: [], iin: PERSON_IIN },
  });
  // Two keys of the person fit (no EKU asked): unattended mode cannot choose, so it is cancelled.
  assert.deepEqual(text, { status: true, body: {} });
});

test("basics sign, raw: a bare signature over data and over a digest, checked with openssl dgst", async () => {
  const data = Buffer.from("raw signature data");
  const publicKey = pki.openssl(["x509", "-pubkey", "-noout", "-in", keys.personSign.certificatePath]);
  const publicKeyPath = writeTemporary(publicKey);
  for (const [payload, digested] of [
    [data.toString("base64"), false],
    [createHash("sha256").update(data).digest("base64"), true],
  ] as const) {
    const reply = await basicsSign(client, {
      format: "raw",
      data: payload,
      signingParams: { decode: true, digested },
      signerParams: { extKeyUsageOids: ["1.3.6.1.5.5.7.3.4"] },
    });
    assert.equal(reply.status, true, reply.details);
    const signature = writeTemporary(Buffer.from(reply.body!.result as string, "base64"));
    const check = pki.tryOpenssl([
      "dgst",
      "-sha256",
      "-verify",
      publicKeyPath,
      "-signature",
      signature,
      writeTemporary(data),
    ]);
    assert.match(check.output, /Verified OK/);
  }
});

test("key selection: extKeyUsageOids, iin, bin, serialNumber and chain narrow the keys as NCALayer does", async () => {
  const sign = (signerParams: Record<string, unknown>) =>
    basicsSign(companyClient, {
      format: "cms",
      data: "MTEK",
      signingParams: { encapsulate: true },
      signerParams,
    });
  const signerOf = (reply: BasicsReply) => {
    assert.equal(reply.status, true, `${reply.code} ${reply.details}`);
    return verifySignedData(cmsFromPem(reply.body!.result as string)).signers[0]!.certificate!;
  };
  // Both the person's and the company's signing keys have emailProtection: a choice, so cancelled.
  assert.deepEqual(await sign({ extKeyUsageOids: ["1.3.6.1.5.5.7.3.4"] }), { status: true, body: {} });
  assert.ok(
    signerOf(await sign({ extKeyUsageOids: ["1.3.6.1.5.5.7.3.4", "1.2.398.3.3.4.1.2"] })).equals(
      derOf(keys.companySign),
    ),
  );
  assert.ok(
    signerOf(await sign({ extKeyUsageOids: ["1.3.6.1.5.5.7.3.4"], bin: COMPANY_BIN })).equals(
      derOf(keys.companySign),
    ),
  );
  assert.ok(
    signerOf(
      await sign({ extKeyUsageOids: ["1.3.6.1.5.5.7.3.4", "1.2.398.3.3.4.1.1"], iin: PERSON_IIN }),
    ).equals(derOf(keys.personSign)),
  );
  const serial = pki
    .openssl(["x509", "-serial", "-noout", "-in", keys.personSign.certificatePath])
    .toString()
    .trim()
    .split("=")[1]!;
  assert.ok(
    signerOf(await sign({ extKeyUsageOids: [], serialNumber: serial.toLowerCase() })).equals(
      derOf(keys.personSign),
    ),
  );
  assert.ok(
    signerOf(await sign({ extKeyUsageOids: ["1.2.398.3.3.4.1.2"], chain: [pki.caPem] })).equals(
      derOf(keys.companySign),
    ),
  );

  const otherCa = new TestPki("/CN=Another CA");
  try {
    const none = await sign({ extKeyUsageOids: ["1.2.398.3.3.4.1.2"], chain: [otherCa.caPem] });
    assert.equal(none.status, false);
    assert.equal(none.code, "SIGNING_FAILURE");
    assert.equal(none.details, "no_suitable_key");
  } finally {
    otherCa.dispose();
  }
  const noMatch = await sign({ extKeyUsageOids: ["1.3.6.1.5.5.7.3.4"], iin: "990101300011" });
  assert.equal(noMatch.details, "no_suitable_key");
  const badOid = await sign({ extKeyUsageOids: ["not-an-oid"] });
  assert.deepEqual([badOid.status, badOid.code], [false, "INVALID_SIGNING_PARAMS"]);
  const missing = await basicsSign(companyClient, {
    format: "cms",
    data: "MTEK",
    signingParams: {},
    signerParams: {},
  });
  assert.match(missing.details!, /extKeyUsageOids is required/);
});

test("getKeyInfo describes the chosen key's certificate", async (t) => {
  const single = await startTestAgent({
    origins: ["local"],
    pkcs12: [{ path: keys.personSign.p12Path, password: PASSWORD }],
  });
  t.after(() => single.dispose());
  const singleClient = await connect(single);
  const reply = (await singleClient.request({ module: COMMON, method: "getKeyInfo", args: ["PKCS12"] })) as {
    code: string;
    responseObject: Record<string, string>;
  };
  singleClient.close();
  assert.equal(reply.code, "200");
  const info = reply.responseObject;
  assert.equal(info.subjectCn, "ТЕСТОВ ТЕСТ");
  assert.equal(info.subjectDn, `CN=ТЕСТОВ ТЕСТ,SURNAME=ТЕСТОВ,SERIALNUMBER=IIN${PERSON_IIN},C=KZ,G=ТЕСТОВИЧ`);
  assert.equal(info.issuerCn, "Qoltanba agent test issuing CA");
  assert.equal(info.algorithm, "RSA");
  assert.deepEqual(fromPemOrDer(info.pem!, ["CERTIFICATE"], "pem"), derOf(keys.personSign));
  const text = pki
    .openssl([
      "x509",
      "-noout",
      "-serial",
      "-enddate",
      "-ext",
      "subjectKeyIdentifier,authorityKeyIdentifier",
      "-in",
      keys.personSign.certificatePath,
    ])
    .toString();
  assert.equal(info.serialNumber, /serial=([0-9A-F]+)/.exec(text)![1]!.toLowerCase());
  assert.equal(Number(info.certNotAfter), new Date(/notAfter=(.+)/.exec(text)![1]!).getTime());
  const [ski, aki] = [...text.matchAll(/\n\s+((?:[0-9A-F]{2}:)+[0-9A-F]{2})/g)].map((match) =>
    match[1]!.replaceAll(":", "").toLowerCase(),
  );
  assert.equal(info.keyId, ski);
  assert.equal(info.authorityKeyIdentifier, aki);
});

/** xmlsec1 --verify against the test CA (the signer's certificate comes from KeyInfo). */
function xmlsecVerify(xml: string, idAttributes: string[] = []): void {
  const path = writeTemporary(Buffer.from(xml));
  const result = spawnSync(
    "xmlsec1",
    [
      "--verify",
      "--trusted-pem",
      pki.caPath,
      ...idAttributes.flatMap((node) => ["--id-attr:Id", node]),
      path,
    ],
    { encoding: "utf8" },
  );
  assert.equal(result.status, 0, result.stdout + result.stderr);
}

test("signXml and signXmls: enveloped XMLDSig verified by xmlsec1 and verifyXmlSignature; bad XML is refused before any key is used", async () => {
  const xml = `<?xml version="1.0" encoding="UTF-8"?><login><timeTicket>1700000000000</timeTicket><text>Қазақша мәтін</text></login>`;
  const reply = await common("signXml", ["PKCS12", "SIGNATURE", xml, "", ""]);
  assert.equal(reply.code, "200", reply.message);
  const signed = reply.responseObject as string;
  assert.match(signed, /^<\?xml version="1\.0" encoding="UTF-8" standalone="no"\?><login>/);
  assert.match(
    signed,
    /<ds:SignatureMethod Algorithm="http:\/\/www\.w3\.org\/2001\/04\/xmldsig-more#rsa-sha256"\/>/,
  );
  xmlsecVerify(signed);
  const verification = verifyXmlSignature(signed);
  assert.equal(verification.valid, true);
  assert.deepEqual(verification.certificate, derOf(keys.personSign));

  const element = `<root><data Id="part1"><amount>100</amount></data><signatures/></root>`;
  const partial = await common("signXml", [
    "PKCS12",
    "AUTHENTICATION",
    element,
    "/root/data",
    "/root/signatures",
  ]);
  assert.equal(partial.code, "200", partial.message);
  assert.match(partial.responseObject as string, /<signatures><ds:Signature/);
  xmlsecVerify(partial.responseObject as string, ["data"]);
  assert.deepEqual(verifyXmlSignature(partial.responseObject as string).certificate, derOf(keys.personAuth));

  const several = await common("signXmls", ["PKCS12", "SIGNATURE", ["<a>1</a>", "<b>2</b>"], "", ""]);
  assert.equal(several.code, "200", several.message);
  for (const document of several.responseObject as string[]) xmlsecVerify(document);

  const broken = await common("signXml", ["PKCS12", "SIGNATURE", "<this>is not a valid XML", "", ""]);
  assert.equal(broken.code, "500");
  assert.match(broken.message!, /not well-formed XML/);
  const wrongType = await common("signXml", ["PKCS12", "SIGNATURE", 555, "", ""]);
  assert.match(wrongType.message!, /^argument type mismatch\. Method: signXml/);
});

test("basics sign, xml: always a list of signed documents, checked by xmlsec1", async () => {
  for (const data of ["<tag>data</tag>", ["<first>1</first>", "<second>2</second>"]]) {
    const reply = await basicsSign(client, {
      format: "xml",
      data,
      signingParams: {},
      signerParams: { extKeyUsageOids: ["1.3.6.1.5.5.7.3.4"] },
    });
    assert.equal(reply.status, true, reply.details);
    const documents = reply.body!.result as string[];
    assert.ok(Array.isArray(documents));
    assert.equal(documents.length, Array.isArray(data) ? 2 : 1);
    for (const document of documents) {
      xmlsecVerify(document);
      assert.equal(verifyXmlSignature(document).valid, true);
    }
  }
  const bad = await basicsSign(client, {
    format: "xml",
    data: "<unclosed>",
    signingParams: {},
    signerParams: { extKeyUsageOids: [] },
  });
  assert.deepEqual([bad.status, bad.code, bad.details], [false, "SIGNING_FAILURE", "xml_malformed"]);
});
