// Our canonicalization against xmlsec1's (libxml2's): xmlsec1 signs tricky documents with every
// c14n transform and reference form, and our digests over our canonical XML must match its own.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { canonicalize } from "./xml-c14n.ts";
import { parseXml } from "./xml-tree.ts";
import { Xmlsec1Lab, signatureTemplate } from "./test-support/xmlsec1.ts";
import { elementById } from "./xmldsig-reference.ts";
import { C14N, verifyXmlSignature } from "./xmldsig.ts";

let lab: Xmlsec1Lab;
before(() => {
  lab = new Xmlsec1Lab();
});
after(() => lab.dispose());

const ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";
const RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256";

/** Documents with a {SIG} placeholder, the Id of an element to reference and the nodes whose Id xmlsec1 must know. */
const DOCUMENTS = [
  {
    name: "namespaces: inherited, superfluous, undeclared default",
    xml:
      `<r:root xmlns:r="urn:r" xmlns="urn:d" xmlns:unused="urn:u"><child xmlns:r="urn:r" a="1" r:b="2" xmlns:z="urn:z">` +
      `<z:x z:y="1" r:q="t"/><plain xmlns=""><deep xmlns="urn:d"/></plain></child>` +
      `<r:item Id="it" xmlns:r2="urn:r2" b="2" a="1" r2:c="3" r:c="4"><inner/><e xmlns=""/></r:item>{SIG}</r:root>`,
    id: "it",
    idNodes: ["urn:r:item"],
  },
  {
    name: "escaping in text and attributes, CDATA, characters beyond the BMP",
    xml:
      `<root Id="top" attr="tab&#9;nl&#10;cr&#13;quote&quot;lt&lt;gt>amp&amp;apos'" b="  spaced\tvalue\n">` +
      `<t Id="t">cr&#13;lf\r\nx &amp; &lt; &gt; " ' Қазақ 𝄞 &#x10400;</t><![CDATA[ <cdata> & ]]>{SIG}</root>`,
    id: "t",
    idNodes: ["root", "t"],
  },
  {
    name: "comments and processing instructions in and around the document element",
    xml:
      `<?xml version="1.0"?>\n<?top-pi data?>\n<!-- top comment -->\n<root Id="r"><!-- c1 --><?pi-in x  y ?><?empty?>` +
      `<a Id="a"><!--c2-->t<!---->u</a>{SIG}</root>\n<!-- trailing --><?after?>\n`,
    id: "a",
    idNodes: ["root", "a"],
  },
  {
    name: "xml:* attributes inherited by the apex of inclusive c14n",
    xml:
      `<root xml:lang="kk" xml:space="preserve" xmlns:p="urn:p"><p:mid xml:lang="ru">` +
      `<p:item Id="i" a="1"><x xml:lang="en"/></p:item></p:mid>{SIG}</root>`,
    id: "i",
    idNodes: ["urn:p:item"],
  },
  {
    name: "default namespaces under exclusive c14n",
    xml: `<root xmlns="urn:a" xmlns:x="urn:x"><x:child Id="c"><inner/><x:leaf xmlns=""><y/></x:leaf></x:child>{SIG}</root>`,
    id: "c",
    idNodes: ["urn:x:child"],
  },
  {
    name: "attributes sorted by namespace URI, then local name",
    xml: `<root xmlns:b="urn:a" xmlns:a="urn:b"><e Id="e" a:z="1" b:z="2" z="3" a:a="4" xmlns:a="urn:b" b:a="5"/>{SIG}</root>`,
    id: "e",
    idNodes: ["e"],
  },
];

const METHODS = Object.values(C14N);

test("our canonical XML digests as xmlsec1's for every c14n transform and reference form", () => {
  let signatures = 0;
  for (const [index, document] of DOCUMENTS.entries()) {
    const uris = ["", "#xpointer(/)", `#${document.id}`, `#xpointer(id('${document.id}'))`];
    for (const uri of uris) {
      for (const [methodIndex, method] of METHODS.entries()) {
        const template = signatureTemplate({
          signatureMethod: RSA_SHA256,
          signedInfoC14n: METHODS[(index + methodIndex) % METHODS.length]!,
          uri,
          transforms: [ENVELOPED, method],
          inclusivePrefixes: index === 0 && method.includes("exc-c14n") ? "r2 #default" : undefined,
        });
        const { status, output, signed } = lab.sign(
          document.xml.replace("{SIG}", template),
          lab.rsa,
          document.idNodes,
        );
        assert.equal(status, 0, `${document.name} ${uri} ${method}: ${output}`);
        const result = verifyXmlSignature(signed!);
        assert.equal(
          result.referencesValid,
          true,
          `${document.name}, URI="${uri}", ${method}:\n${result.references[0]!.signedXml}`,
        );
        assert.equal(result.valid, true, `${document.name}, URI="${uri}", ${method}: SignedInfo`);
        signatures++;
      }
    }
  }
  assert.equal(signatures, DOCUMENTS.length * 4 * METHODS.length);
});

test("the canonical forms of a subtree, inclusive and exclusive", () => {
  const document = parseXml(DOCUMENTS[0]!.xml.replace("{SIG}", ""));
  const item = elementById(document, "it");
  assert.equal(
    canonicalize(item, { exclusive: false, withComments: false }),
    `<r:item xmlns="urn:d" xmlns:r="urn:r" xmlns:r2="urn:r2" xmlns:unused="urn:u" Id="it" a="1" b="2" r:c="4" r2:c="3">` +
      `<inner></inner><e xmlns=""></e></r:item>`,
  );
  assert.equal(
    canonicalize(item, { exclusive: true, withComments: false }),
    `<r:item xmlns:r="urn:r" xmlns:r2="urn:r2" Id="it" a="1" b="2" r:c="4" r2:c="3"><inner xmlns="urn:d"></inner><e></e></r:item>`,
  );
  const inherited = parseXml(DOCUMENTS[3]!.xml.replace("{SIG}", ""));
  assert.equal(
    canonicalize(elementById(inherited, "i"), { exclusive: false, withComments: false }),
    `<p:item xmlns:p="urn:p" Id="i" a="1" xml:lang="ru" xml:space="preserve"><x xml:lang="en"></x></p:item>`,
  );
});

test("document-level comments and processing instructions are placed around the document element", () => {
  const document = parseXml(DOCUMENTS[2]!.xml.replace("{SIG}", ""));
  assert.equal(
    canonicalize(document, { exclusive: false, withComments: true }),
    `<?top-pi data?>\n<!-- top comment -->\n<root Id="r"><!-- c1 --><?pi-in x  y ?><?empty?><a Id="a"><!--c2-->t<!---->u</a></root>` +
      `\n<!-- trailing -->\n<?after?>`,
  );
  assert.equal(
    canonicalize(document, { exclusive: false, withComments: false }),
    `<?top-pi data?>\n<root Id="r"><?pi-in x  y ?><?empty?><a Id="a">tu</a></root>\n<?after?>`,
  );
});
