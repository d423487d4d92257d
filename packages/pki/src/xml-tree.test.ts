import { test } from "node:test";
import assert from "node:assert/strict";
import { InputError } from "./errors.ts";
import { canonicalize } from "./xml-c14n.ts";
import { serializeXml } from "./xml-serialize.ts";
import { XML_MAX_DEPTH, XML_MAX_LENGTH, XML_MAX_NODES, parseXml } from "./xml-tree.ts";
import { selectElement } from "./xml-xpath.ts";

const isInputError = (code: string, message?: RegExp) => (error: unknown) => {
  assert.ok(error instanceof InputError, `expected an InputError, got ${String(error)}`);
  assert.equal(error.code, code, error.message);
  if (message) assert.match(error.message, message);
  return true;
};

/**
 * Runs `work` and fails if it takes longer than `milliseconds`: generous bounds that a loaded
 * machine meets and a quadratic blow-up on these sizes does not.
 */
function fast<T>(milliseconds: number, work: () => T): T {
  const started = performance.now();
  const result = work();
  const elapsed = performance.now() - started;
  assert.ok(elapsed < milliseconds, `took ${elapsed.toFixed(0)} ms, more than ${milliseconds}`);
  return result;
}

test("malformed XML is an InputError saying where", () => {
  const cases: [string, string, RegExp][] = [
    ["<a><b></a>", "xml_malformed", /not well-formed XML: 1:\d+: unexpected close tag/],
    ["", "xml_malformed", /root element/],
    ["just text", "xml_malformed", /not well-formed/],
    ["<a/><b/>", "xml_malformed", /only one root/],
    ["<p:a/>", "xml_malformed", /unbound namespace prefix/],
    ['<a x="1" x="2"/>', "xml_malformed", /duplicate attribute/],
    ["<a>\u0001</a>", "xml_malformed", /disallowed character/],
    ["<a>&#0;</a>", "xml_malformed", /character entity/],
    ["<a>&nbsp;</a>", "xml_malformed", /undefined entity/],
    ["<a><!-- a -- b --></a>", "xml_malformed", /not well-formed/],
    ["<?xml version='1.1'?><a/>", "xml_version", /only XML 1.0/],
  ];
  for (const [xml, code, message] of cases)
    assert.throws(() => parseXml(xml), isInputError(code, message), xml);
});

test("a DOCTYPE is refused before any entity is expanded: XXE and billion laughs", () => {
  const xxe = `<?xml version="1.0"?><!DOCTYPE a [<!ENTITY secret SYSTEM "file:///etc/passwd">]><a>&secret;</a>`;
  assert.throws(() => parseXml(xxe), isInputError("xml_doctype", /DOCTYPE/));
  const entities = ['<!ENTITY lol "lol">'];
  for (let level = 1; level <= 9; level++)
    entities.push(`<!ENTITY lol${level} "${`&lol${level === 1 ? "" : level - 1};`.repeat(10)}">`);
  const laughs = `<!DOCTYPE lolz [${entities.join("")}]><lolz>&lol9;</lolz>`;
  fast(20_000, () => assert.throws(() => parseXml(laughs), isInputError("xml_doctype")));
  assert.throws(
    () => parseXml(`<!DOCTYPE a SYSTEM "http://127.0.0.1:1/a.dtd"><a/>`),
    isInputError("xml_doctype"),
  );
});

test("too large, too many nodes or too deep is an InputError, quickly", () => {
  assert.throws(
    () => parseXml(`<a>${"x".repeat(XML_MAX_LENGTH)}</a>`),
    isInputError("xml_too_large", /characters/),
  );
  fast(20_000, () =>
    assert.throws(
      () => parseXml(`<a>${"<b/>".repeat(XML_MAX_NODES)}</a>`),
      isInputError("xml_too_large", /nodes/),
    ),
  );
  const depth = 1_000_000;
  fast(20_000, () =>
    assert.throws(() => parseXml("<a>".repeat(depth) + "</a>".repeat(depth)), isInputError("xml_too_deep")),
  );
  const deepest = "<a>".repeat(XML_MAX_DEPTH) + "</a>".repeat(XML_MAX_DEPTH);
  assert.equal(canonicalize(parseXml(deepest), { exclusive: false, withComments: false }), deepest);
});

test("the tree keeps what canonicalization and serialization need, and serializes back to the same tree", () => {
  const xml =
    `<?xml version="1.0" encoding="windows-1251"?>\n<!--before--><?pi x?>\n` +
    `<r:root xmlns:r="urn:r" r:a="tab&#9;nl&#10;cr&#13;&quot;&lt;&amp;" b='single "quoted"'>` +
    `text&#13;\r\nline &amp; &lt; &gt; Қазақ<![CDATA[<keep> & ]]><empty/><!-- inside --></r:root><!--after-->`;
  const document = parseXml(xml);
  const serialized = serializeXml(document);
  assert.equal(
    serialized,
    `<?xml version="1.0" encoding="UTF-8" standalone="no"?><!--before--><?pi x?>` +
      `<r:root xmlns:r="urn:r" r:a="tab&#x9;nl&#xA;cr&#xD;&quot;&lt;&amp;" b="single &quot;quoted&quot;">` +
      `text&#xD;\nline &amp; &lt; &gt; Қазақ<![CDATA[<keep> & ]]><empty/><!-- inside --></r:root><!--after-->`,
  );
  const options = { exclusive: false, withComments: true };
  assert.equal(canonicalize(parseXml(serialized), options), canonicalize(document, options));
});

test("hostile documents stay linear: many namespaces, many attributes, wide trees with descendant XPaths", () => {
  const count = 20_000;
  let declarations = "";
  for (let i = 0; i < count; i++) declarations += ` xmlns:p${i}="urn:${i}"`;
  let children = "";
  for (let i = 0; i < count; i++) children += `<p${i}:c xmlns:q${i}="urn:q${i}" q${i}:a="1"/>`;
  const namespaces = fast(20_000, () => parseXml(`<root${declarations}>${children}</root>`));
  fast(20_000, () => canonicalize(namespaces, { exclusive: false, withComments: false }));
  fast(20_000, () => canonicalize(namespaces, { exclusive: true, withComments: false }));

  const wide = fast(20_000, () => parseXml(`<r>${"<a><b><c/></b></a>".repeat(50_000)}</r>`));
  assert.throws(
    () => fast(20_000, () => selectElement(wide, "//a//b//*//a[1]//*//b[@x='1']//c", "tbsElementXPath")),
    isInputError("xpath_no_match"),
  );
  assert.equal(fast(20_000, () => selectElement(wide, "//a[50000]//c", "tbsElementXPath")).local, "c");
});

test("XPath steps select as XPath does, first match in document order", () => {
  const document = parseXml(
    `<root xmlns:k="urn:k"><list><item n="1"/><item n="2"/></list><list><item n="3"/><k:item n="4"/></list></root>`,
  );
  const n = (xpath: string) =>
    selectElement(document, xpath, "tbsElementXPath").attributes.find((a) => a.name === "n")?.value;
  assert.equal(n("//item"), "1");
  assert.equal(n("/root/list[2]/item"), "3");
  assert.equal(n("//list/item[2]"), "2");
  assert.equal(n("//k:item"), "4");
  assert.equal(n("/root/list[2]/*[2]"), "4");
  assert.equal(n("//k:*"), "4");
  assert.equal(n(`//item[@n="3"]`), "3");
  assert.equal(n("//list[2]/*[@n][1]"), "3");
  assert.throws(() => n("//*[@n][3]"), isInputError("xpath_no_match"), "positions count per parent");
  assert.equal(selectElement(document, " /root ", "tbsElementXPath").local, "root");
});
