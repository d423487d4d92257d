// Enveloped XML signatures as NCALayer's signXml writes them (Kalkan's XMLUtil over Apache
// Santuario): RSA-SHA256 (ECDSA for EC keys), SignedInfo in inclusive c14n, one Reference URI=""
// with the enveloped-signature and c14n#WithComments transforms, the signer's certificate in
// KeyInfo, line breaks as Santuario puts them. When the page names an element to sign, the
// Reference is "#Id" and SignedInfo uses exclusive c14n, as Kalkan does.
import { createHash, type KeyObject, verify } from "node:crypto";
import type { SigningKey } from "./algorithms.ts";
import { Tag, children, expectTag, readSingle } from "./der.ts";
import { parsingAs } from "./der-parsing.ts";
import { InputError } from "./errors.ts";
import { fromPemOrDer } from "./pem.ts";
import { canonicalize } from "./xml-c14n.ts";
import { serializeXml } from "./xml-serialize.ts";
import {
  type XmlDocument,
  type XmlElement,
  createElement,
  elementPath,
  isInside,
  parseXml,
} from "./xml-tree.ts";
import { selectElement } from "./xml-xpath.ts";
import { dereference, elementById, idOf, referenceOctets, type Transform } from "./xmldsig-reference.ts";
import {
  C14N,
  DIGEST_METHODS,
  ENVELOPED_SIGNATURE,
  type XmlCanonicalization,
  type XmlSignatureMethod,
  XMLDSIG_NAMESPACE,
  canonicalizationByUri,
  signatureMethodFor,
} from "./xmldsig-uris.ts";
import { certificatePublicKey } from "./xmldsig-verify.ts";

export { C14N, type XmlCanonicalization } from "./xmldsig-uris.ts";
export {
  type XmlReferenceVerification,
  type XmlSignatureVerification,
  verifyXmlSignature,
  verifyXmlSignatures,
} from "./xmldsig-verify.ts";

export interface XmlSigner {
  /** The signer's certificate, DER or PEM; it goes into KeyInfo. */
  certificate: Buffer;
  key: SigningKey;
}

export interface SignXmlOptions {
  xml: string;
  signer: XmlSigner;
  /** NCALayer's tbsElementXPath: the element to sign; empty or "/" for the whole document. */
  tbsElementXPath?: string;
  /** NCALayer's signatureParentElementXPath: where ds:Signature goes (as last child); default the document element. */
  signatureParentElementXPath?: string;
  /** Defaults to NCALayer's choices (see the file comment). */
  canonicalization?: { signedInfo?: XmlCanonicalization; reference?: XmlCanonicalization };
}

/** Signs `xml` and returns the signed document with NCALayer's XML declaration. signXmls is one call per document. */
export async function signXml(options: SignXmlOptions): Promise<string> {
  const { key } = options.signer;
  const certificate = fromPemOrDer(options.signer.certificate, ["CERTIFICATE"], "signer certificate");
  const publicKey = certificatePublicKey(certificate);
  if (publicKey.asymmetricKeyType !== key.algorithm.keyType) {
    throw new InputError(
      "xml_signer_mismatch",
      `the signer's certificate holds a ${publicKey.asymmetricKeyType} key, the signing key is ${key.algorithm.keyType}`,
    );
  }
  const method = signatureMethodFor(key.algorithm.keyType, key.algorithm.hash);

  const document = parseXml(options.xml);
  const signed = pickElement(document, options.tbsElementXPath, "tbsElementXPath");
  const parent = pickElement(document, options.signatureParentElementXPath, "signatureParentElementXPath");
  const reference = referenceTo(document, signed, parent, options.tbsElementXPath);
  const signedInfoC14n =
    options.canonicalization?.signedInfo ?? (reference.uri === "" ? C14N.inclusive : C14N.exclusive);
  const transforms: Transform[] = [
    ...(reference.enveloped ? [{ algorithm: ENVELOPED_SIGNATURE }] : []),
    { algorithm: options.canonicalization?.reference ?? C14N.inclusiveWithComments },
  ];

  const signature = signatureTemplate(parent, method, signedInfoC14n, reference.uri, transforms);
  parent.children.push(signature.element);
  const octets = referenceOctets(dereference(document, reference.uri), transforms, signature.element);
  signature.digestValue.children.push(text(createHash(method.hash).update(octets, "utf8").digest("base64")));

  const signedInfo = Buffer.from(
    canonicalize(signature.signedInfo, canonicalizationByUri(signedInfoC14n)),
    "utf8",
  );
  const signatureValue = await signatureValueOf(key, method, publicKey, signedInfo);
  signature.signatureValue.children.push(text(`\n${base64Lines(signatureValue)}\n`));
  signature.certificate.children.push(text(`\n${base64Lines(certificate)}\n`));
  return serializeXml(document);
}

const namesElement = (xpath: string | undefined): xpath is string =>
  xpath !== undefined && !["", "/"].includes(xpath.trim());

function pickElement(document: XmlDocument, xpath: string | undefined, what: string): XmlElement {
  return namesElement(xpath) ? selectElement(document, xpath.trim(), what) : document.root;
}

/**
 * URI="" for the document element (unless the page named it and it has an Id); "#Id" for any
 * other element, which must have one, with the enveloped transform only when the signature
 * lands inside it.
 */
function referenceTo(
  document: XmlDocument,
  signed: XmlElement,
  parent: XmlElement,
  xpath: string | undefined,
) {
  const id = idOf(signed);
  if (signed === document.root && !(namesElement(xpath) && id !== undefined))
    return { uri: "", enveloped: true };
  if (id === undefined) {
    throw new InputError(
      "xml_no_id",
      `tbsElementXPath ${xpath}: the element ${elementPath(signed)} has no Id attribute to reference`,
    );
  }
  if (!/^[\p{L}_][\p{L}\p{N}\p{M}_.-]*$/u.test(id)) {
    throw new InputError(
      "xml_bad_id",
      `tbsElementXPath ${xpath}: the Id ${JSON.stringify(id)} of ${elementPath(signed)} is not an XML name`,
    );
  }
  elementById(document, id); // refuses an Id that several elements share
  return { uri: `#${id}`, enveloped: isInside(parent, signed) };
}

interface SignatureTemplate {
  element: XmlElement;
  signedInfo: XmlElement;
  digestValue: XmlElement;
  signatureValue: XmlElement;
  certificate: XmlElement;
}

/** ds:Signature with empty DigestValue, SignatureValue and X509Certificate, laid out as Santuario does. */
function signatureTemplate(
  parent: XmlElement,
  method: XmlSignatureMethod,
  signedInfoC14n: XmlCanonicalization,
  uri: string,
  transforms: Transform[],
): SignatureTemplate {
  const signature = createElement(
    parent,
    "ds",
    "Signature",
    XMLDSIG_NAMESPACE,
    {},
    { ds: XMLDSIG_NAMESPACE },
  );
  const child = (under: XmlElement, local: string, attributes: Record<string, string> = {}) => {
    const element = createElement(under, "ds", local, XMLDSIG_NAMESPACE, attributes);
    if (under.children.length === 0) under.children.push(text("\n"));
    under.children.push(element, text("\n"));
    return element;
  };
  const signedInfo = child(signature, "SignedInfo");
  child(signedInfo, "CanonicalizationMethod", { Algorithm: signedInfoC14n });
  child(signedInfo, "SignatureMethod", { Algorithm: method.uri });
  const reference = child(signedInfo, "Reference", { URI: uri });
  const transformsElement = child(reference, "Transforms");
  for (const { algorithm } of transforms) child(transformsElement, "Transform", { Algorithm: algorithm });
  child(reference, "DigestMethod", { Algorithm: DIGEST_METHODS[method.hash] });
  const digestValue = child(reference, "DigestValue");
  const signatureValue = child(signature, "SignatureValue");
  const x509Data = child(child(signature, "KeyInfo"), "X509Data");
  const certificate = child(x509Data, "X509Certificate");
  return { element: signature, signedInfo, digestValue, signatureValue, certificate };
}

/**
 * Signs the canonical SignedInfo, turns an ECDSA signature into XML Signature's r || s form, and
 * checks the result against the certificate, so a key paired with the wrong certificate never
 * yields a signature that no one can verify.
 */
async function signatureValueOf(
  key: SigningKey,
  method: XmlSignatureMethod,
  publicKey: KeyObject,
  signedInfo: Buffer,
): Promise<Buffer> {
  const signed = await key.sign(signedInfo);
  const value = method.keyType === "ec" ? ecdsaRawSignature(signed, ecFieldBytes(publicKey)) : signed;
  const dsaEncoding = method.keyType === "ec" ? "ieee-p1363" : undefined;
  if (!verify(method.hash, signedInfo, { key: publicKey, dsaEncoding }, value)) {
    throw new InputError("xml_signer_mismatch", "the signer's certificate does not match the signing key");
  }
  return value;
}

const EC_FIELD_BYTES: Record<string, number> = { prime256v1: 32, secp384r1: 48, secp521r1: 66 };

function ecFieldBytes(publicKey: KeyObject): number {
  const curve = publicKey.asymmetricKeyDetails?.namedCurve ?? "";
  const bytes = EC_FIELD_BYTES[curve];
  if (!bytes) throw new InputError("unsupported_key", `unsupported elliptic curve ${curve}`);
  return bytes;
}

/** ECDSA-Sig-Value (DER SEQUENCE of r and s) as the fixed-width r || s of XML Signature. */
function ecdsaRawSignature(der: Buffer, fieldBytes: number): Buffer {
  return parsingAs("bad_ecdsa_signature", "ECDSA signature", () => {
    const integers = children(readSingle(der, Tag.Sequence)).map(
      (element) => expectTag(element, Tag.Integer, "r or s").content,
    );
    if (integers.length !== 2)
      throw new InputError("bad_ecdsa_signature", "ECDSA signature is not two integers");
    const raw = Buffer.alloc(2 * fieldBytes);
    integers.forEach((value, index) => {
      let start = 0;
      while (start < value.length - 1 && value[start] === 0) start++;
      const magnitude = value.subarray(start);
      if (magnitude.length > fieldBytes)
        throw new InputError("bad_ecdsa_signature", "ECDSA signature is larger than the curve");
      magnitude.copy(raw, (index + 1) * fieldBytes - magnitude.length);
    });
    return raw;
  });
}

const text = (value: string) => ({ type: "text" as const, value, cdata: false });

/** Base64 in lines of 76 characters, as Santuario writes it. */
const base64Lines = (bytes: Buffer): string => bytes.toString("base64").replace(/.{76}(?=.)/g, "$&\n");
