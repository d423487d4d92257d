// A small namespace-aware XML tree built from saxes' events, just what XML signatures need:
// strict XML 1.0 parsing with no DOCTYPE (so no entity expansion: XXE and billion laughs are
// refused up front), size limits, and iterative walks, so no input can exhaust the stack.
import { SaxesParser, type SaxesTagNS } from "saxes";
import { InputError } from "./errors.ts";

export const XML_MAX_LENGTH = 10 * 1024 * 1024;
export const XML_MAX_NODES = 250_000;
/** libxml2's default limit too; saxes resolves namespaces through a chain as long as the nesting. */
export const XML_MAX_DEPTH = 256;

export const XML_NAMESPACE = "http://www.w3.org/XML/1998/namespace";
export const XMLNS_NAMESPACE = "http://www.w3.org/2000/xmlns/";

export interface XmlAttribute {
  /** The qualified name as written (`p:local`, `local`, `xmlns:p`). */
  readonly name: string;
  readonly prefix: string;
  readonly local: string;
  /** The namespace URI; XMLNS_NAMESPACE for namespace declarations. */
  readonly uri: string;
  readonly value: string;
}

export interface XmlElement {
  readonly type: "element";
  readonly name: string;
  readonly prefix: string;
  readonly local: string;
  readonly uri: string;
  /** In source order, namespace declarations included. */
  readonly attributes: readonly XmlAttribute[];
  /** The namespaces declared on this element, by prefix ("" for the default namespace). */
  readonly namespaces: Readonly<Record<string, string>>;
  readonly children: XmlNode[];
  readonly parent: XmlElement | XmlDocument;
}

export interface XmlText {
  readonly type: "text";
  readonly value: string;
  readonly cdata: boolean;
}

export interface XmlComment {
  readonly type: "comment";
  readonly value: string;
}

export interface XmlProcessingInstruction {
  readonly type: "pi";
  readonly target: string;
  readonly body: string;
}

export type XmlNode = XmlElement | XmlText | XmlComment | XmlProcessingInstruction;

export interface XmlDocument {
  readonly type: "document";
  /** The document element with the comments and processing instructions around it. */
  readonly children: XmlNode[];
  readonly root: XmlElement;
}

/** Parses `xml` strictly; every problem is an InputError naming `what` and, from the parser, where. */
export function parseXml(xml: string, what = "XML"): XmlDocument {
  if (xml.length > XML_MAX_LENGTH) {
    throw new InputError(
      "xml_too_large",
      `${what} is ${xml.length} characters, more than the ${XML_MAX_LENGTH} allowed`,
    );
  }
  const document = { type: "document", children: [] as XmlNode[] } as {
    type: "document";
    children: XmlNode[];
    root?: XmlElement;
  };
  const stack: XmlElement[] = [];
  let nodes = 0;
  const append = (node: XmlNode) => {
    if (++nodes > XML_MAX_NODES)
      throw new InputError("xml_too_large", `${what} has more than ${XML_MAX_NODES} nodes`);
    (stack.length > 0 ? stack[stack.length - 1]!.children : document.children).push(node);
  };

  const parser = new SaxesParser({ xmlns: true, position: true });
  parser.on("xmldecl", (declaration) => {
    if (declaration.version !== "1.0") {
      throw new InputError("xml_version", `${what}: only XML 1.0 is accepted, not ${declaration.version}`);
    }
  });
  parser.on("doctype", () => {
    throw new InputError(
      "xml_doctype",
      `${what} has a DOCTYPE: document type declarations are refused (entities, XXE)`,
    );
  });
  parser.on("opentag", (tag: SaxesTagNS) => {
    const element: XmlElement = {
      type: "element",
      name: tag.name,
      prefix: tag.prefix,
      local: tag.local,
      uri: tag.uri,
      attributes: Object.values(tag.attributes).map(({ name, prefix, local, uri, value }) => ({
        name,
        prefix,
        local,
        uri,
        value,
      })),
      namespaces: { ...tag.ns },
      children: [],
      parent: stack.length > 0 ? stack[stack.length - 1]! : (document as XmlDocument),
    };
    append(element);
    if (stack.length === XML_MAX_DEPTH) {
      throw new InputError("xml_too_deep", `${what} nests elements more than ${XML_MAX_DEPTH} deep`);
    }
    if (stack.length === 0) document.root = element;
    stack.push(element);
  });
  parser.on("closetag", () => void stack.pop());
  parser.on("text", (value) => {
    if (stack.length > 0) append({ type: "text", value, cdata: false });
  });
  parser.on("cdata", (value) => append({ type: "text", value, cdata: true }));
  parser.on("comment", (value) => append({ type: "comment", value }));
  parser.on("processinginstruction", ({ target, body }) => append({ type: "pi", target, body }));

  try {
    parser.write(xml).close();
  } catch (error) {
    if (error instanceof InputError) throw error;
    throw new InputError("xml_malformed", `${what} is not well-formed XML: ${(error as Error).message}`);
  }
  if (!document.root) throw new InputError("xml_malformed", `${what} has no document element`);
  return document as XmlDocument;
}

/** The namespace URI `prefix` ("" for the default) is bound to at `element`, if any. */
export function lookupNamespace(element: XmlElement, prefix: string): string | undefined {
  if (prefix === "xml") return XML_NAMESPACE;
  for (let node: XmlElement | XmlDocument = element; node.type === "element"; node = node.parent) {
    const uri = node.namespaces[prefix];
    if (uri !== undefined) return uri;
  }
  return undefined;
}

/** Every namespace binding in scope at `element`, nearest declaration first ("" for the default). */
export function inScopeNamespaces(element: XmlElement): Map<string, string> {
  const scope = new Map<string, string>();
  for (let node: XmlElement | XmlDocument = element; node.type === "element"; node = node.parent) {
    for (const [prefix, uri] of Object.entries(node.namespaces)) {
      if (!scope.has(prefix)) scope.set(prefix, uri);
    }
  }
  return scope;
}

export function childElements(element: XmlElement): XmlElement[] {
  return element.children.filter((child): child is XmlElement => child.type === "element");
}

/** Every element of the subtree at `top` (itself included) in document order, without recursion. */
export function* descendantElements(top: XmlElement): Generator<XmlElement> {
  const pending: XmlElement[] = [top];
  while (pending.length > 0) {
    const element = pending.pop()!;
    yield element;
    for (let i = element.children.length - 1; i >= 0; i--) {
      const child = element.children[i]!;
      if (child.type === "element") pending.push(child);
    }
  }
}

/** The concatenated text of the subtree at `element` (comments and processing instructions left out). */
export function textContent(element: XmlElement): string {
  let text = "";
  const pending: XmlNode[] = [element];
  while (pending.length > 0) {
    const node = pending.pop()!;
    if (node.type === "text") text += node.value;
    else if (node.type === "element")
      for (let i = node.children.length - 1; i >= 0; i--) pending.push(node.children[i]!);
  }
  return text;
}

export function isInside(element: XmlElement, ancestor: XmlElement): boolean {
  for (let node: XmlElement | XmlDocument = element; node.type === "element"; node = node.parent) {
    if (node === ancestor) return true;
  }
  return false;
}

/** An absolute path naming `element` for people, such as `/root/item[2]`. */
export function elementPath(element: XmlElement): string {
  const steps: string[] = [];
  for (let node: XmlElement | XmlDocument = element; node.type === "element"; node = node.parent) {
    const current: XmlElement = node;
    const siblings = current.parent.children.filter(
      (sibling) => sibling.type === "element" && sibling.name === current.name,
    );
    steps.push(siblings.length > 1 ? `${current.name}[${siblings.indexOf(current) + 1}]` : current.name);
  }
  return "/" + steps.reverse().join("/");
}

/** Builds an element to insert under `parent` (the caller appends it). */
export function createElement(
  parent: XmlElement,
  prefix: string,
  local: string,
  uri: string,
  attributes: Record<string, string> = {},
  namespaces: Record<string, string> = {},
): XmlElement {
  const declarations = Object.entries(namespaces).map(([declared, value]) =>
    declared === ""
      ? { name: "xmlns", prefix: "", local: "xmlns", uri: XMLNS_NAMESPACE, value }
      : { name: `xmlns:${declared}`, prefix: "xmlns", local: declared, uri: XMLNS_NAMESPACE, value },
  );
  const plain = Object.entries(attributes).map(([name, value]) => ({
    name,
    prefix: "",
    local: name,
    uri: "",
    value,
  }));
  return {
    type: "element",
    name: prefix ? `${prefix}:${local}` : local,
    prefix,
    local,
    uri,
    attributes: [...declarations, ...plain],
    namespaces: { ...namespaces },
    children: [],
    parent,
  };
}
