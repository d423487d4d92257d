import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { InputError } from "./errors.ts";
import { type TestSigner, Xmlsec1Lab, signatureTemplate } from "./test-support/xmlsec1.ts";
import { XML_MAX_REFERENCES } from "./xmldsig-verify.ts";
import { C14N, signXml, verifyXmlSignature, verifyXmlSignatures } from "./xmldsig.ts";

let lab: Xmlsec1Lab;
before(() => {
  lab = new Xmlsec1Lab();
});
after(() => lab.dispose());

const KAZAKH = "Қолтаңба ұлттық куәландырушы орталық";
const RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";
const ECDSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256";
const ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";

const isInputError = (code: string, message?: RegExp) => (error: unknown) => {
  assert.ok(error instanceof InputError, `expected an InputError, got ${String(error)}`);
  assert.equal(error.code, code, error.message);
  if (message) assert.match(error.message, message);
  return true;
};

function assertXmlsecVerifies(xml: string, idAttributes: string[] = []): void {
  const result = lab.verify(xml, idAttributes);
  assert.equal(result.status, 0, result.output);
  assert.match(result.output, /^OK$/m);
}

function assertXmlsecRejects(xml: string, idAttributes: string[] = []): void {
  const result = lab.verify(xml, idAttributes);
  assert.notEqual(result.status, 0, result.output);
  assert.doesNotMatch(result.output, /^OK$/m);
}

const signers = (): TestSigner[] => [lab.rsa, lab.ec];

test("NCALayer's enveloped signature, RSA-2048 and P-256: verified by xmlsec1 and by verifyXmlSignature", async () => {
  for (const signer of signers()) {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<login><timeTicket>1700000000000</timeTicket><iin>123456789012</iin></login>`;
    const signed = await signXml({ xml, signer });
    assert.ok(
      signed.startsWith('<?xml version="1.0" encoding="UTF-8" standalone="no"?><login><timeTicket>'),
      signed,
    );
    assert.ok(signed.endsWith("</ds:Signature></login>"));
    assert.ok(
      signed.includes('<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#">\n<ds:SignedInfo>\n'),
    );
    assert.ok(signed.includes(`<ds:CanonicalizationMethod Algorithm="${C14N.inclusive}"/>`));
    assert.ok(
      signed.includes(`<ds:SignatureMethod Algorithm="${signer === lab.rsa ? RSA_SHA256 : ECDSA_SHA256}"/>`),
    );
    assert.ok(
      signed.includes(
        `<ds:Reference URI="">\n<ds:Transforms>\n<ds:Transform Algorithm="${ENVELOPED}"/>\n` +
          `<ds:Transform Algorithm="${C14N.inclusiveWithComments}"/>\n</ds:Transforms>\n` +
          `<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>\n<ds:DigestValue>`,
      ),
    );
    const certificateText = /<ds:X509Certificate>\n([^<]*)\n<\/ds:X509Certificate>/.exec(signed)![1]!;
    assert.ok(certificateText.split("\n").every((line) => line.length <= 76));
    assert.deepEqual(Buffer.from(certificateText, "base64"), signer.certificate);

    assertXmlsecVerifies(signed);
    const result = verifyXmlSignature(signed);
    assert.equal(result.valid, true);
    assert.equal(result.signatureValid, true);
    assert.equal(result.referencesValid, true);
    assert.deepEqual(result.certificate, signer.certificate);
    assert.equal(result.references.length, 1);
    assert.equal(result.references[0]!.uri, "");
    assert.equal(result.references[0]!.element, "/login");
    assert.equal(
      result.references[0]!.signedXml,
      "<login><timeTicket>1700000000000</timeTicket><iin>123456789012</iin></login>",
    );
  }
});

test("Kazakh UTF-8 text survives signing and verifies with xmlsec1", async () => {
  const xml = `<document title="${KAZAKH}"><text>${KAZAKH}</text><note>әғқңөұүһі ӘҒҚҢӨҰҮҺІ</note></document>`;
  for (const signer of signers()) {
    const signed = await signXml({ xml, signer });
    assert.ok(
      signed.includes(`<document title="${KAZAKH}"><text>${KAZAKH}</text><note>әғқңөұүһі ӘҒҚҢӨҰҮҺІ</note>`),
    );
    assertXmlsecVerifies(signed);
    const result = verifyXmlSignature(signed);
    assert.equal(result.valid, true);
    assert.ok(result.references[0]!.signedXml.includes(`<text>${KAZAKH}</text>`));
  }
});

test("tampered content, signature or certificate fails xmlsec1 and verifyXmlSignature", async () => {
  for (const signer of signers()) {
    const signed = await signXml({
      xml: `<payment><amount>1000</amount><to>${KAZAKH}</to></payment>`,
      signer,
    });
    const content = signed.replace("<amount>1000</amount>", "<amount>9000</amount>");
    assertXmlsecRejects(content);
    assert.deepEqual(pick(verifyXmlSignature(content)), {
      valid: false,
      signatureValid: true,
      referencesValid: false,
    });

    const value = /<ds:SignatureValue>\n([^<]*)\n<\/ds:SignatureValue>/.exec(signed)![1]!.replace(/\n/g, "");
    const flipped = Buffer.from(value, "base64");
    flipped[flipped.length - 5]! ^= 0x01;
    const signature = signed.replace(
      /<ds:SignatureValue>[^<]*</,
      `<ds:SignatureValue>${flipped.toString("base64")}<`,
    );
    assertXmlsecRejects(signature);
    assert.deepEqual(pick(verifyXmlSignature(signature)), {
      valid: false,
      signatureValid: false,
      referencesValid: true,
    });

    const digest = signed.replace(
      /<ds:DigestValue>[^<]*</,
      `<ds:DigestValue>${Buffer.alloc(32, 7).toString("base64")}<`,
    );
    assertXmlsecRejects(digest);
    assert.deepEqual(pick(verifyXmlSignature(digest)), {
      valid: false,
      signatureValid: false,
      referencesValid: false,
    });

    const other = signer === lab.rsa ? lab.ec : lab.rsa;
    const swapped = signed.replace(
      /<ds:X509Certificate>[^<]*</,
      `<ds:X509Certificate>${other.certificate.toString("base64")}<`,
    );
    assertXmlsecRejects(swapped);
    const result = verifyXmlSignature(swapped);
    assert.equal(result.signatureValid, false);
    assert.deepEqual(result.certificate, other.certificate);
  }
});

const pick = ({ valid, signatureValid, referencesValid }: ReturnType<typeof verifyXmlSignature>) => ({
  valid,
  signatureValid,
  referencesValid,
});

test("documents signed by xmlsec1 from templates verify with verifyXmlSignature, tampered ones do not", () => {
  const cases = [
    {
      signer: lab.rsa,
      method: RSA_SHA256,
      signedInfo: C14N.inclusive,
      uri: "",
      transforms: [ENVELOPED, C14N.inclusive],
    },
    {
      signer: lab.ec,
      method: ECDSA_SHA256,
      signedInfo: C14N.exclusive,
      uri: "",
      transforms: [ENVELOPED, C14N.exclusiveWithComments],
    },
    {
      signer: lab.rsa,
      method: RSA_SHA256,
      signedInfo: C14N.inclusiveWithComments,
      uri: "#part",
      transforms: [C14N.exclusive],
    },
    {
      signer: lab.ec,
      method: ECDSA_SHA256,
      signedInfo: C14N.exclusive,
      uri: "#part",
      transforms: [ENVELOPED],
    },
  ];
  for (const { signer, method, signedInfo, uri, transforms } of cases) {
    const template = signatureTemplate({
      signatureMethod: method,
      signedInfoC14n: signedInfo,
      uri,
      transforms,
    });
    const document = `<r:root xmlns:r="urn:root" xmlns="urn:default"><!-- note --><r:part Id="part" r:kind="x">${KAZAKH}</r:part>${template}</r:root>`;
    const { status, output, signed } = lab.sign(document, signer, ["urn:root:part"]);
    assert.equal(status, 0, output);
    const result = verifyXmlSignature(signed!);
    assert.equal(result.valid, true, `${signer.name} ${uri} ${transforms.join(" ")}`);
    assert.deepEqual(result.certificate, signer.certificate);
    assert.equal(result.references[0]!.element, uri === "" ? "/r:root" : "/r:root/r:part");
    const tampered = signed!.replace('r:kind="x"', 'r:kind="y"');
    assert.notEqual(tampered, signed);
    assert.equal(verifyXmlSignature(tampered).referencesValid, false);
  }
});

test("tbsElementXPath signs the named element by its Id, as Kalkan does; signatureParentElementXPath places the signature", async () => {
  const xml =
    `<?xml version="1.0" encoding="UTF-8"?><p:request xmlns:p="urn:request">` +
    `<p:header><p:id>42</p:id></p:header>` +
    `<p:body Id="body-1"><p:item>${KAZAKH}</p:item><p:item>second</p:item></p:body>` +
    `<p:signatures/></p:request>`;
  for (const signer of signers()) {
    for (const tbsElementXPath of [
      "/p:request/p:body",
      "//p:body",
      "/*/*[2]",
      "//p:body[@Id='body-1']",
      "//*[@Id]",
    ]) {
      const signed = await signXml({
        xml,
        signer,
        tbsElementXPath,
        signatureParentElementXPath: "/p:request/p:signatures",
      });
      assert.ok(signed.includes("<p:signatures><ds:Signature"), tbsElementXPath);
      assert.ok(signed.includes(`<ds:CanonicalizationMethod Algorithm="${C14N.exclusive}"/>`));
      assert.ok(
        signed.includes(
          `<ds:Reference URI="#body-1">\n<ds:Transforms>\n<ds:Transform Algorithm="${C14N.inclusiveWithComments}"/>\n</ds:Transforms>`,
        ),
      );
      assertXmlsecVerifies(signed, ["urn:request:body"]);
      const result = verifyXmlSignature(signed);
      assert.equal(result.valid, true);
      assert.equal(result.references[0]!.element, "/p:request/p:body");
      assert.equal(
        result.references[0]!.signedXml,
        `<p:body xmlns:p="urn:request" Id="body-1"><p:item>${KAZAKH}</p:item><p:item>second</p:item></p:body>`,
      );
      const outside = signed.replace("<p:id>42</p:id>", "<p:id>43</p:id>");
      assert.equal(verifyXmlSignature(outside).valid, true, "the header is not signed");
      assert.equal(verifyXmlSignature(signed.replace("second", "changed")).valid, false);
    }
  }
});

test("a signature placed inside the element it signs gets the enveloped transform; the document element may be named", async () => {
  const xml = `<root Id="whole"><data Id="d"><value>1</value></data></root>`;
  const inside = await signXml({
    xml,
    signer: lab.ec,
    tbsElementXPath: "/root/data",
    signatureParentElementXPath: "//data",
  });
  assert.ok(
    inside.includes(`<ds:Reference URI="#d">\n<ds:Transforms>\n<ds:Transform Algorithm="${ENVELOPED}"/>`),
  );
  assert.ok(inside.includes("</ds:Signature></data></root>"));
  assertXmlsecVerifies(inside, ["data"]);
  assert.equal(verifyXmlSignature(inside).valid, true);

  const named = await signXml({ xml, signer: lab.rsa, tbsElementXPath: "/root" });
  assert.ok(
    named.includes(`<ds:Reference URI="#whole">\n<ds:Transforms>\n<ds:Transform Algorithm="${ENVELOPED}"/>`),
  );
  assertXmlsecVerifies(named, ["root"]);
  assert.equal(verifyXmlSignature(named).valid, true);

  for (const tbsElementXPath of ["", "/", undefined]) {
    const whole = await signXml({ xml, signer: lab.rsa, tbsElementXPath, signatureParentElementXPath: "/" });
    assert.ok(whole.includes('<ds:Reference URI="">'));
    assert.ok(whole.endsWith("</ds:Signature></root>"));
  }
});

test("unprefixed XPath names match elements in a default namespace, as page authors expect", async () => {
  const xml = `<root xmlns="urn:default"><item Id="i">1</item><sigs/></root>`;
  const signed = await signXml({
    xml,
    signer: lab.ec,
    tbsElementXPath: "/root/item",
    signatureParentElementXPath: "//sigs",
  });
  assert.ok(signed.includes('<sigs><ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#">'));
  assertXmlsecVerifies(signed, ["urn:default:item"]);
  assert.equal(
    verifyXmlSignature(signed).references[0]!.signedXml,
    `<item xmlns="urn:default" Id="i">1</item>`,
  );
});

test("XPaths that match nothing, are not supported, or name an element without a unique Id are InputErrors", async () => {
  const xml = `<root xmlns:a="urn:a"><item/><item Id="x"/><other Id="x"/><a:thing Id="t"/></root>`;
  const sign = (tbsElementXPath: string, signatureParentElementXPath?: string) =>
    signXml({ xml, signer: lab.rsa, tbsElementXPath, signatureParentElementXPath });
  await assert.rejects(
    sign("/root/missing"),
    isInputError("xpath_no_match", /tbsElementXPath \/root\/missing matches no element/),
  );
  await assert.rejects(
    sign("", "//nowhere"),
    isInputError("xpath_no_match", /signatureParentElementXPath \/\/nowhere/),
  );
  await assert.rejects(sign("//item[1]"), isInputError("xml_no_id", /\/root\/item\[1\] has no Id/));
  await assert.rejects(sign("//item[2]"), isInputError("xml_duplicate_id", /2 elements have the Id "x"/));
  await assert.rejects(sign("//b:thing"), isInputError("xpath_prefix", /prefix b is not declared/));
  for (const unsupported of [
    "root/item",
    "//item[last()]",
    "//item | //other",
    "//item/@Id",
    "/root/item[0]",
    "x".repeat(2000),
    "/*".repeat(33),
  ]) {
    await assert.rejects(sign(unsupported), isInputError("xpath_unsupported"), unsupported);
  }
  const signed = await sign("//a:thing");
  assert.ok(signed.includes('URI="#t"'));
  assert.equal(verifyXmlSignature(signed).valid, true);
});

test("signXmls-style: several documents are signed by repeated calls", async () => {
  const documents = ["<a>1</a>", `<b>${KAZAKH}</b>`, "<c><d/></c>"];
  const signed = await Promise.all(documents.map((xml) => signXml({ xml, signer: lab.ec })));
  for (const [index, xml] of signed.entries()) {
    assertXmlsecVerifies(xml);
    assert.equal(
      verifyXmlSignature(xml).references[0]!.signedXml,
      documents[index]!.replace("<d/>", "<d></d>"),
    );
  }
});

test("each signature of a document is verified; verifyXmlSignature wants exactly one", async () => {
  const xml = `<root><first Id="one">1</first><second Id="two">2</second></root>`;
  const once = await signXml({ xml, signer: lab.rsa, tbsElementXPath: "/root/first" });
  const twice = await signXml({ xml: once, signer: lab.ec, tbsElementXPath: "/root/second" });
  const results = verifyXmlSignatures(twice);
  assert.deepEqual(
    results.map((result) => [result.valid, result.references[0]!.uri]),
    [
      [true, "#one"],
      [true, "#two"],
    ],
  );
  assert.deepEqual(results[1]!.certificate, lab.ec.certificate);
  assert.throws(() => verifyXmlSignature(twice), isInputError("xml_signature_count", /2 signatures/));
  assert.throws(() => verifyXmlSignatures(xml), isInputError("xml_signature_count"));
});

test("an element with a duplicated Id (signature wrapping) is refused", async () => {
  const signed = await signXml({
    xml: `<root><order Id="o">100</order></root>`,
    signer: lab.rsa,
    tbsElementXPath: "//order",
  });
  const wrapped = signed.replace("<root>", `<root><order Id="o">999999</order>`);
  assert.throws(() => verifyXmlSignature(wrapped), isInputError("xml_duplicate_id"));
});

test("every canonicalization can be chosen, and xmlsec1 verifies each combination", async () => {
  const xml = `<r:root xmlns:r="urn:r" xmlns="urn:d" xmlns:unused="urn:u"><!-- c --><child a="1" r:b="2">t&#13;</child></r:root>`;
  for (const signedInfo of Object.values(C14N)) {
    for (const reference of Object.values(C14N)) {
      const signed = await signXml({ xml, signer: lab.rsa, canonicalization: { signedInfo, reference } });
      assert.ok(signed.includes(`<ds:CanonicalizationMethod Algorithm="${signedInfo}"/>`));
      assert.ok(signed.includes(`<ds:Transform Algorithm="${reference}"/>`));
      assertXmlsecVerifies(signed);
      assert.equal(verifyXmlSignature(signed).valid, true, `${signedInfo} ${reference}`);
    }
  }
});

test("GOST, SHA-1 and unknown algorithms are InputErrors", () => {
  const withMethods = (signatureMethod: string, digestMethod = "http://www.w3.org/2001/04/xmlenc#sha256") =>
    `<a><ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo>` +
    `<ds:CanonicalizationMethod Algorithm="${C14N.inclusive}"/><ds:SignatureMethod Algorithm="${signatureMethod}"/>` +
    `<ds:Reference URI=""><ds:Transforms><ds:Transform Algorithm="${ENVELOPED}"/></ds:Transforms>` +
    `<ds:DigestMethod Algorithm="${digestMethod}"/><ds:DigestValue>AAAA</ds:DigestValue></ds:Reference></ds:SignedInfo>` +
    `<ds:SignatureValue>AAAA</ds:SignatureValue></ds:Signature></a>`;
  const gost = /^GOST signature: not supported yet$/;
  for (const method of [
    "urn:ietf:params:xml:ns:pkigovkz:xmlsec:algorithms:gostr34102015-gostr34112015-512",
    "http://www.w3.org/2001/04/xmldsig-more#gost34310-gost34311",
  ]) {
    assert.throws(() => verifyXmlSignature(withMethods(method)), isInputError("gost_unsupported", gost));
  }
  assert.throws(
    () =>
      verifyXmlSignature(
        withMethods(RSA_SHA256, "urn:ietf:params:xml:ns:pkigovkz:xmlsec:algorithms:gostr34112015-512"),
      ),
    isInputError("gost_unsupported", gost),
  );
  assert.throws(
    () => verifyXmlSignature(withMethods("http://www.w3.org/2000/09/xmldsig#rsa-sha1")),
    isInputError("weak_xml_signature"),
  );
  assert.throws(
    () => verifyXmlSignature(withMethods(RSA_SHA256, "http://www.w3.org/2000/09/xmldsig#sha1")),
    isInputError("weak_xml_signature"),
  );
  assert.throws(
    () => verifyXmlSignature(withMethods("http://www.w3.org/2000/09/xmldsig#hmac-sha1")),
    isInputError("unsupported_xml_algorithm"),
  );
});

test("malformed or unsupported signatures are InputErrors", async () => {
  const signed = await signXml({ xml: "<a>text</a>", signer: lab.rsa });
  const cases: [string, string][] = [
    [signed.replace(/<ds:KeyInfo>[\s\S]*<\/ds:KeyInfo>/, ""), "xml_no_certificate"],
    [signed.replace('URI=""', 'URI="http://example.com/doc.xml"'), "unsupported_xml_reference"],
    [signed.replace('URI=""', 'URI="#nothing"'), "xml_reference_not_found"],
    [signed.replace(' URI=""', ""), "unsupported_xml_reference"],
    [signed.replace(ENVELOPED, "http://www.w3.org/TR/1999/REC-xpath-19991116"), "unsupported_xml_algorithm"],
    [signed.replace(/<ds:SignatureValue>[^<]*/, "<ds:SignatureValue>not base64!"), "malformed_xml_signature"],
    [signed.replace(/<ds:DigestValue>[^<]*/, "<ds:DigestValue>"), "malformed_xml_signature"],
    [signed.replace(/<ds:SignedInfo>/, "<ds:Other/><ds:SignedInfo>"), "malformed_xml_signature"],
    [signed.replace(/<ds:X509Certificate>[^<]*/, "<ds:X509Certificate>AAAA"), "bad_certificate"],
  ];
  for (const [xml, code] of cases) assert.throws(() => verifyXmlSignature(xml), isInputError(code), code);
  const reference = /<ds:Reference[\s\S]*<\/ds:Reference>/.exec(signed)![0];
  const manyReferences = signed.replace(reference, reference.repeat(XML_MAX_REFERENCES + 1));
  assert.throws(() => verifyXmlSignatures(manyReferences), isInputError("xml_too_many_references"));
});

test("the signer's certificate must match its key", async () => {
  await assert.rejects(
    signXml({ xml: "<a/>", signer: { certificate: lab.ec.certificate, key: lab.rsa.key } }),
    isInputError("xml_signer_mismatch"),
  );
  const otherEc = lab.ca.issue("other");
  await assert.rejects(
    signXml({ xml: "<a/>", signer: { certificate: otherEc.der, key: lab.ec.key } }),
    isInputError("xml_signer_mismatch", /does not match/),
  );
});
