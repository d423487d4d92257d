// The algorithm identifiers of XML Signature (https://www.w3.org/TR/xmldsig-core1/, RFC 6931),
// the way OIDs name them in ASN.1.
import type { HashName } from "./algorithms.ts";
import { InputError } from "./errors.ts";

export const XMLDSIG_NAMESPACE = "http://www.w3.org/2000/09/xmldsig#";
export const EXC_C14N_NAMESPACE = "http://www.w3.org/2001/10/xml-exc-c14n#";

export const C14N = {
  inclusive: "http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
  inclusiveWithComments: "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments",
  exclusive: "http://www.w3.org/2001/10/xml-exc-c14n#",
  exclusiveWithComments: "http://www.w3.org/2001/10/xml-exc-c14n#WithComments",
} as const;

export type XmlCanonicalization = (typeof C14N)[keyof typeof C14N];

export const ENVELOPED_SIGNATURE = "http://www.w3.org/2000/09/xmldsig#enveloped-signature";

/** The hashes XML signatures may use here: SHA-1 is refused. */
export type XmlHash = Exclude<HashName, "sha1">;

/** The digest method written for each hash; verification also accepts DIGEST_ALIASES. */
export const DIGEST_METHODS: Record<XmlHash, string> = {
  sha256: "http://www.w3.org/2001/04/xmlenc#sha256",
  sha384: "http://www.w3.org/2001/04/xmldsig-more#sha384",
  sha512: "http://www.w3.org/2001/04/xmlenc#sha512",
};

// Old Kalkan versions wrote SHA-256 digests under the xmldsig-more namespace.
const DIGEST_ALIASES: Record<string, XmlHash> = { "http://www.w3.org/2001/04/xmldsig-more#sha256": "sha256" };

export interface XmlSignatureMethod {
  readonly uri: string;
  readonly hash: XmlHash;
  readonly keyType: "rsa" | "ec";
}

const SIGNATURE_METHODS: readonly XmlSignatureMethod[] = [
  { uri: "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", hash: "sha256", keyType: "rsa" },
  { uri: "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384", hash: "sha384", keyType: "rsa" },
  { uri: "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512", hash: "sha512", keyType: "rsa" },
  { uri: "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256", hash: "sha256", keyType: "ec" },
  { uri: "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha384", hash: "sha384", keyType: "ec" },
  { uri: "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha512", hash: "sha512", keyType: "ec" },
];

const SHA1_URIS = new Set([
  "http://www.w3.org/2000/09/xmldsig#sha1",
  "http://www.w3.org/2001/04/xmldsig-more#sha1",
  "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
  "http://www.w3.org/2001/04/xmldsig-more#rsa-sha1",
  "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1",
]);

/** Refuses GOST (Kalkan's gost34310-gost34311 and pkigovkz URNs) and SHA-1 with clear errors. */
function refuseKnownUnsupported(uri: string): void {
  if (/gost/i.test(uri)) throw new InputError("gost_unsupported", "GOST signature: not supported yet");
  if (SHA1_URIS.has(uri))
    throw new InputError("weak_xml_signature", `SHA-1 is not accepted in XML signatures (${uri})`);
}

export function signatureMethodByUri(uri: string): XmlSignatureMethod {
  refuseKnownUnsupported(uri);
  const found = SIGNATURE_METHODS.find((method) => method.uri === uri);
  if (!found) throw new InputError("unsupported_xml_algorithm", `unsupported XML signature method ${uri}`);
  return found;
}

export function signatureMethodFor(keyType: "rsa" | "ec", hash: HashName): XmlSignatureMethod {
  const found = SIGNATURE_METHODS.find((method) => method.keyType === keyType && method.hash === hash);
  if (!found)
    throw new InputError(
      "weak_xml_signature",
      `no XML signature method for ${keyType} with ${hash}: use SHA-256 or stronger`,
    );
  return found;
}

export function digestMethodByUri(uri: string): XmlHash {
  refuseKnownUnsupported(uri);
  const found =
    (Object.keys(DIGEST_METHODS) as XmlHash[]).find((hash) => DIGEST_METHODS[hash] === uri) ??
    DIGEST_ALIASES[uri];
  if (!found) throw new InputError("unsupported_xml_algorithm", `unsupported XML digest method ${uri}`);
  return found;
}

export function canonicalizationByUri(uri: string): { exclusive: boolean; withComments: boolean } {
  switch (uri) {
    case C14N.inclusive:
      return { exclusive: false, withComments: false };
    case C14N.inclusiveWithComments:
      return { exclusive: false, withComments: true };
    case C14N.exclusive:
      return { exclusive: true, withComments: false };
    case C14N.exclusiveWithComments:
      return { exclusive: true, withComments: true };
  }
  refuseKnownUnsupported(uri);
  throw new InputError("unsupported_xml_algorithm", `unsupported XML canonicalization or transform ${uri}`);
}
