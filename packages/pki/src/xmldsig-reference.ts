// What one ds:Reference covers and the octets its digest is computed over: same-document URIs
// (XML Signature 4.4.3.3) followed by the enveloped-signature and canonicalization transforms.
import { InputError } from "./errors.ts";
import { canonicalize } from "./xml-c14n.ts";
import { type XmlDocument, type XmlElement, descendantElements } from "./xml-tree.ts";
import { ENVELOPED_SIGNATURE, canonicalizationByUri } from "./xmldsig-uris.ts";

export interface NodeSet {
  apex: XmlDocument | XmlElement;
  /** URI="" and "#id" leave comments out whatever the canonicalization; XPointer URIs keep them. */
  withComments: boolean;
}

export interface Transform {
  algorithm: string;
  /** Exclusive canonicalization's InclusiveNamespaces PrefixList ("" for #default). */
  inclusivePrefixes?: readonly string[];
}

export function dereference(document: XmlDocument, uri: string): NodeSet {
  if (uri === "") return { apex: document, withComments: false };
  if (uri === "#xpointer(/)") return { apex: document, withComments: true };
  const xpointer = /^#xpointer\(id\((?:'([^']*)'|"([^"]*)")\)\)$/.exec(uri);
  if (xpointer) return { apex: elementById(document, xpointer[1] ?? xpointer[2]!), withComments: true };
  if (/^#[^#()]+$/.test(uri)) return { apex: elementById(document, uri.slice(1)), withComments: false };
  throw new InputError(
    "unsupported_xml_reference",
    `Reference URI ${JSON.stringify(uri)}: only same-document references are supported`,
  );
}

const ID_ATTRIBUTES = ["Id", "ID", "id"];

/** The element's identifier: its Id, ID or id attribute (in any namespace, as wsu:Id). */
export function idOf(element: XmlElement): string | undefined {
  for (const name of ID_ATTRIBUTES) {
    const found = element.attributes.find((attribute) => attribute.local === name);
    if (found) return found.value;
  }
  return undefined;
}

/** The one element with identifier `id`; two would let a forged element stand in for the signed one. */
export function elementById(document: XmlDocument, id: string): XmlElement {
  const found: XmlElement[] = [];
  for (const element of descendantElements(document.root)) {
    if (
      element.attributes.some(
        (attribute) => ID_ATTRIBUTES.includes(attribute.local) && attribute.value === id,
      )
    ) {
      found.push(element);
    }
  }
  if (found.length === 0)
    throw new InputError("xml_reference_not_found", `no element has the Id ${JSON.stringify(id)}`);
  if (found.length > 1)
    throw new InputError("xml_duplicate_id", `${found.length} elements have the Id ${JSON.stringify(id)}`);
  return found[0]!;
}

/** Applies `transforms` to the node-set and returns the canonical XML to digest. */
export function referenceOctets(
  nodeSet: NodeSet,
  transforms: readonly Transform[],
  signature: XmlElement,
): string {
  let exclude: XmlElement | undefined;
  for (const [index, { algorithm, inclusivePrefixes }] of transforms.entries()) {
    if (algorithm === ENVELOPED_SIGNATURE) {
      exclude = signature;
      continue;
    }
    const method = canonicalizationByUri(algorithm);
    const next = transforms[index + 1];
    if (next)
      throw new InputError(
        "unsupported_xml_transform",
        `transform ${next.algorithm} after canonicalization is not supported`,
      );
    return canonicalize(nodeSet.apex, {
      exclusive: method.exclusive,
      withComments: method.withComments && nodeSet.withComments,
      exclude,
      inclusivePrefixes,
    });
  }
  return canonicalize(nodeSet.apex, { exclusive: false, withComments: false, exclude });
}
