// Canonical XML 1.0 (https://www.w3.org/TR/xml-c14n) and Exclusive XML Canonicalization 1.0
// (https://www.w3.org/TR/xml-exc-c14n) of the node-sets XML signatures use: a whole document or
// one element's subtree, minus at most one excluded subtree (the enveloped signature).
import {
  type XmlAttribute,
  type XmlDocument,
  type XmlElement,
  type XmlNode,
  XML_NAMESPACE,
  XMLNS_NAMESPACE,
  inScopeNamespaces,
  lookupNamespace,
} from "./xml-tree.ts";

export interface C14nOptions {
  exclusive: boolean;
  withComments: boolean;
  /** A subtree left out of the node-set. */
  exclude?: XmlElement;
  /** Exclusive c14n's InclusiveNamespaces PrefixList ("" for #default). */
  inclusivePrefixes?: readonly string[];
}

export function canonicalize(apex: XmlDocument | XmlElement, options: C14nOptions): string {
  if (apex.type === "element") return canonicalSubtree(apex, options);
  let output = "";
  let beforeRoot = true;
  for (const node of apex.children) {
    if (node.type === "element") {
      output += canonicalSubtree(node, options);
      beforeRoot = false;
    } else if (node.type === "pi" || (node.type === "comment" && options.withComments)) {
      output += beforeRoot ? leafNode(node) + "\n" : "\n" + leafNode(node);
    }
  }
  return output;
}

interface Frame {
  element: XmlElement;
  /** The namespace declarations written on this element, by prefix. */
  declared: ReadonlyMap<string, string>;
  next: number;
}

function canonicalSubtree(apex: XmlElement, options: C14nOptions): string {
  if (apex === options.exclude) return "";
  let output = "";
  const stack: Frame[] = [];
  // Looked up through the open elements (at most XML_MAX_DEPTH) rather than copied into each frame.
  const renderedByAncestors = (prefix: string): string | undefined => {
    for (let i = stack.length - 1; i >= 0; i--) {
      const uri = stack[i]!.declared.get(prefix);
      if (uri !== undefined) return uri;
    }
    return undefined;
  };
  const open = (element: XmlElement, isApex: boolean): void => {
    const declarations = namespacesToRender(element, renderedByAncestors, isApex, options);
    output += `<${element.name}`;
    for (const [prefix, uri] of declarations) {
      output += ` ${prefix ? `xmlns:${prefix}` : "xmlns"}="${escapeAttribute(uri)}"`;
    }
    for (const attribute of attributesToRender(element, isApex && !options.exclusive)) {
      output += ` ${attribute.name}="${escapeAttribute(attribute.value)}"`;
    }
    output += ">";
    stack.push({ element, declared: new Map(declarations), next: 0 });
  };

  open(apex, true);
  while (stack.length > 0) {
    const frame = stack[stack.length - 1]!;
    const child = frame.element.children[frame.next++];
    if (child === undefined) {
      output += `</${frame.element.name}>`;
      stack.pop();
    } else if (child.type === "element") {
      if (child !== options.exclude) open(child, false);
    } else if (child.type === "text") {
      output += escapeText(child.value);
    } else if (child.type === "pi" || options.withComments) {
      output += leafNode(child);
    }
  }
  return output;
}

/** The namespace declarations to write on `element`, sorted by prefix (the default first). */
function namespacesToRender(
  element: XmlElement,
  renderedByAncestors: (prefix: string) => string | undefined,
  isApex: boolean,
  options: C14nOptions,
): [string, string][] {
  let candidates: Iterable<[string, string | undefined]>;
  if (!options.exclusive) {
    candidates = isApex ? inScopeNamespaces(element) : Object.entries(element.namespaces);
  } else {
    const used = new Set<string>([element.prefix]);
    for (const attribute of element.attributes) {
      if (attribute.prefix && attribute.uri !== XMLNS_NAMESPACE) used.add(attribute.prefix);
    }
    for (const prefix of options.inclusivePrefixes ?? []) used.add(prefix);
    candidates = [...used].map((prefix) => [prefix, lookupNamespace(element, prefix)]);
  }
  const declarations: [string, string][] = [];
  for (const [prefix, uri] of candidates) {
    if (prefix === "xml" || uri === undefined) continue;
    // An empty default namespace is rendered (as xmlns="") only to undo a rendered non-empty one.
    const current = renderedByAncestors(prefix) ?? (prefix === "" ? "" : undefined);
    if (current !== uri) declarations.push([prefix, uri]);
  }
  return declarations.sort(([a], [b]) => compareCodePoints(a, b));
}

/**
 * The attributes to write, sorted by namespace URI then local name. The apex of an inclusive
 * node-set also carries the xml:* attributes it inherits from ancestors outside the node-set.
 */
function attributesToRender(element: XmlElement, inheritXmlAttributes: boolean): XmlAttribute[] {
  const attributes = element.attributes.filter((attribute) => attribute.uri !== XMLNS_NAMESPACE);
  if (inheritXmlAttributes) {
    const present = new Set(attributes.filter((a) => a.uri === XML_NAMESPACE).map((a) => a.local));
    for (let node = element.parent; node.type === "element"; node = node.parent) {
      for (const attribute of node.attributes) {
        if (attribute.uri === XML_NAMESPACE && !present.has(attribute.local)) {
          present.add(attribute.local);
          attributes.push(attribute);
        }
      }
    }
  }
  return attributes.sort((a, b) => compareCodePoints(a.uri, b.uri) || compareCodePoints(a.local, b.local));
}

/** A text, comment or processing instruction node in its canonical form (also valid as plain XML). */
export function leafNode(node: Exclude<XmlNode, XmlElement>): string {
  if (node.type === "comment") return `<!--${node.value}-->`;
  if (node.type === "pi") return node.body ? `<?${node.target} ${node.body}?>` : `<?${node.target}?>`;
  return escapeText(node.value);
}

const TEXT_ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#xD;" };
const ATTRIBUTE_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  '"': "&quot;",
  "\t": "&#x9;",
  "\n": "&#xA;",
  "\r": "&#xD;",
};

const escapeText = (text: string): string => text.replace(/[&<>\r]/g, (c) => TEXT_ESCAPES[c]!);
export const escapeAttribute = (value: string): string =>
  value.replace(/[&<"\t\n\r]/g, (c) => ATTRIBUTE_ESCAPES[c]!);

/** Orders strings by Unicode code point (UTF-16 code unit order differs above U+FFFF). */
function compareCodePoints(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

// Surrogates (U+D800-DFFF) encode code points above every BMP character, so they rank last.
const codePointRank = (unit: number): number =>
  unit >= 0xd800 && unit <= 0xdfff ? unit + 0x2000 : unit >= 0xe000 ? unit - 0x800 : unit;
