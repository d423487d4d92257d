// Verifies XML signatures: each ds:Reference's digest, and the SignatureValue over the canonical
// SignedInfo with the certificate from KeyInfo. Whether that certificate is trusted (chain,
// revocation, validity) is the caller's decision.
import { createHash, createPublicKey, type KeyObject, timingSafeEqual, verify } from "node:crypto";
import { parseCertificate } from "./certificateInfo.ts";
import { InputError } from "./errors.ts";
import { canonicalize } from "./xml-c14n.ts";
import {
  type XmlDocument,
  type XmlElement,
  childElements,
  descendantElements,
  elementPath,
  parseXml,
  textContent,
} from "./xml-tree.ts";
import { type Transform, dereference, referenceOctets } from "./xmldsig-reference.ts";
import {
  EXC_C14N_NAMESPACE,
  type XmlSignatureMethod,
  XMLDSIG_NAMESPACE,
  canonicalizationByUri,
  digestMethodByUri,
  signatureMethodByUri,
} from "./xmldsig-uris.ts";

export interface XmlReferenceVerification {
  uri: string;
  digestValid: boolean;
  /** The path of the element the reference covers (the document element for URI=""). */
  element: string;
  /**
   * The canonical XML that was digested. Read signed data from here, not from the document: a
   * document can carry unsigned look-alikes of signed elements (signature wrapping).
   */
  signedXml: string;
}

export interface XmlSignatureVerification {
  /** signatureValid and referencesValid. */
  valid: boolean;
  signatureValid: boolean;
  referencesValid: boolean;
  /** The signer's certificate (DER) from KeyInfo: the one whose key verifies the signature, else the first. */
  certificate: Buffer;
  signatureMethod: string;
  references: XmlReferenceVerification[];
}

/**
 * Each Reference canonicalizes up to the whole document, so their number is bounded: NCALayer
 * writes one per signature.
 */
export const XML_MAX_REFERENCES = 16;

/** Verifies the one ds:Signature of `xml`; a document with none or several is an InputError. */
export function verifyXmlSignature(xml: string): XmlSignatureVerification {
  const document = parseXml(xml, "signed XML");
  const signatures = signaturesIn(document);
  if (signatures.length !== 1) {
    throw new InputError(
      "xml_signature_count",
      `the XML has ${signatures.length} signatures where one is expected`,
    );
  }
  return verifySignatureElement(document, signatures[0]!);
}

/** Verifies every ds:Signature of `xml`, in document order. */
export function verifyXmlSignatures(xml: string): XmlSignatureVerification[] {
  const document = parseXml(xml, "signed XML");
  const signatures = signaturesIn(document);
  if (signatures.length === 0) throw new InputError("xml_signature_count", "the XML has no ds:Signature");
  return signatures.map((signature) => verifySignatureElement(document, signature));
}

function signaturesIn(document: XmlDocument): XmlElement[] {
  const signatures: XmlElement[] = [];
  let references = 0;
  for (const element of descendantElements(document.root)) {
    if (isDs(element, "Signature")) signatures.push(element);
    else if (isDs(element, "Reference") && ++references > XML_MAX_REFERENCES) {
      throw new InputError(
        "xml_too_many_references",
        `the XML has more than ${XML_MAX_REFERENCES} ds:Reference elements`,
      );
    }
  }
  return signatures;
}

function verifySignatureElement(document: XmlDocument, signature: XmlElement): XmlSignatureVerification {
  const signedInfo = dsChild(signature, 0, "SignedInfo");
  const signatureValue = base64(textContent(dsChild(signature, 1, "SignatureValue")), "SignatureValue");
  const c14nMethod = dsChild(signedInfo, 0, "CanonicalizationMethod");
  const method = signatureMethodByUri(algorithmOf(dsChild(signedInfo, 1, "SignatureMethod")));
  dsChild(signedInfo, 2, "Reference");
  const references = childElements(signedInfo)
    .slice(2)
    .map((_, index) => verifyReference(document, signature, dsChild(signedInfo, index + 2, "Reference")));

  const canonicalSignedInfo = canonicalize(signedInfo, {
    ...canonicalizationByUri(algorithmOf(c14nMethod)),
    inclusivePrefixes: inclusivePrefixesOf(c14nMethod),
  });
  const signer = signerOf(signature, method, Buffer.from(canonicalSignedInfo, "utf8"), signatureValue);
  const referencesValid = references.every((reference) => reference.digestValid);
  return {
    valid: signer.valid && referencesValid,
    signatureValid: signer.valid,
    referencesValid,
    certificate: signer.certificate,
    signatureMethod: method.uri,
    references,
  };
}

function verifyReference(
  document: XmlDocument,
  signature: XmlElement,
  reference: XmlElement,
): XmlReferenceVerification {
  const uri = reference.attributes.find((attribute) => attribute.name === "URI")?.value;
  if (uri === undefined)
    throw new InputError("unsupported_xml_reference", "a ds:Reference without a URI is not supported");
  const [first] = childElements(reference);
  const transforms: Transform[] = [];
  const hasTransforms = first !== undefined && isDs(first, "Transforms");
  if (hasTransforms) {
    for (const [index, transform] of childElements(first).entries()) {
      dsChild(first, index, "Transform");
      transforms.push({
        algorithm: algorithmOf(transform),
        inclusivePrefixes: inclusivePrefixesOf(transform),
      });
    }
  }
  const next = hasTransforms ? 1 : 0;
  const hash = digestMethodByUri(algorithmOf(dsChild(reference, next, "DigestMethod")));
  const expected = base64(textContent(dsChild(reference, next + 1, "DigestValue")), "DigestValue");
  const nodeSet = dereference(document, uri);
  const signedXml = referenceOctets(nodeSet, transforms, signature);
  const actual = createHash(hash).update(signedXml, "utf8").digest();
  return {
    uri,
    digestValid: actual.length === expected.length && timingSafeEqual(actual, expected),
    element: elementPath(nodeSet.apex.type === "document" ? nodeSet.apex.root : nodeSet.apex),
    signedXml,
  };
}

/** KeyInfo's certificates, and which one verifies the signature over the canonical SignedInfo. */
function signerOf(signature: XmlElement, method: XmlSignatureMethod, signedInfo: Buffer, value: Buffer) {
  const keyInfo = childElements(signature)[2];
  const certificates: Buffer[] = [];
  if (keyInfo && isDs(keyInfo, "KeyInfo")) {
    for (const data of childElements(keyInfo).filter((element) => isDs(element, "X509Data"))) {
      for (const certificate of childElements(data).filter((element) => isDs(element, "X509Certificate"))) {
        certificates.push(base64(textContent(certificate), "X509Certificate"));
      }
    }
  }
  if (certificates.length === 0)
    throw new InputError("xml_no_certificate", "the signature's KeyInfo has no X509Certificate");
  for (const certificate of certificates) {
    if (verifiesWith(method, certificatePublicKey(certificate), signedInfo, value))
      return { certificate, valid: true };
  }
  return { certificate: certificates[0]!, valid: false };
}

function verifiesWith(method: XmlSignatureMethod, key: KeyObject, data: Buffer, signature: Buffer): boolean {
  if (key.asymmetricKeyType !== method.keyType) return false;
  try {
    return verify(
      method.hash,
      data,
      method.keyType === "ec" ? { key, dsaEncoding: "ieee-p1363" } : key,
      signature,
    );
  } catch {
    return false;
  }
}

export function certificatePublicKey(certificate: Buffer): KeyObject {
  const { publicKeyInfo } = parseCertificate(certificate);
  try {
    return createPublicKey({ key: publicKeyInfo, format: "der", type: "spki" });
  } catch (error) {
    throw new InputError(
      "unsupported_key",
      `the certificate's public key is not supported: ${(error as Error).message}`,
    );
  }
}

const isDs = (element: XmlElement, local: string) =>
  element.uri === XMLDSIG_NAMESPACE && element.local === local;

/** The child element at `index`, which must be ds:`local`. */
function dsChild(parent: XmlElement, index: number, local: string): XmlElement {
  const child = childElements(parent)[index];
  if (!child || !isDs(child, local)) {
    throw new InputError(
      "malformed_xml_signature",
      `${elementPath(parent)}: ds:${local} expected as child element ${index + 1}`,
    );
  }
  return child;
}

function algorithmOf(element: XmlElement): string {
  const algorithm = element.attributes.find((attribute) => attribute.name === "Algorithm")?.value;
  if (algorithm === undefined)
    throw new InputError("malformed_xml_signature", `${elementPath(element)} has no Algorithm`);
  return algorithm;
}

/** Exclusive canonicalization's InclusiveNamespaces PrefixList, "" standing for #default. */
function inclusivePrefixesOf(method: XmlElement): string[] | undefined {
  const list = childElements(method).find(
    (element) => element.uri === EXC_C14N_NAMESPACE && element.local === "InclusiveNamespaces",
  );
  const prefixes = list?.attributes.find((attribute) => attribute.name === "PrefixList")?.value;
  return prefixes
    ?.split(/\s+/)
    .filter(Boolean)
    .map((prefix) => (prefix === "#default" ? "" : prefix));
}

function base64(text: string, what: string): Buffer {
  const compact = text.replace(/\s+/g, "");
  if (compact.length === 0 || compact.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) {
    throw new InputError("malformed_xml_signature", `${what} is not base64`);
  }
  return Buffer.from(compact, "base64");
}
