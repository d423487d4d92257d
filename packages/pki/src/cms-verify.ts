// Checks the mathematics of CMS SignedData: content digests, signatures and ESS signing-certificate
// references. Whether a certificate is trusted, valid or revoked is decided elsewhere.
import { createPublicKey, type KeyObject } from "node:crypto";
import {
  digest,
  type HashName,
  SIGNATURE_ALGORITHMS,
  type SignatureAlgorithm,
  signatureAlgorithmByOid,
  verifySignature,
} from "./algorithms.ts";
import {
  type Attribute,
  attributeValues,
  readAttributes,
  readOid,
  readSignedData,
  type SignerInfoParts,
  withTag,
} from "./cms-structure.ts";
import { type CertificateInfo, parseCertificate, subjectKeyIdentifierOf } from "./certificateInfo.ts";
import { parsingAs, readAlgorithmOid } from "./der-parsing.ts";
import { children, DerError, type Element, expectTag, readSingle, readTime, Tag } from "./der.ts";
import { InputError } from "./errors.ts";
import { OID } from "./oids.ts";
import { hashNameByOid, timeStampMismatch } from "./tst-info.ts";

export interface VerifySignedDataOptions {
  /** The signed content of a detached CMS. */
  readonly detachedContent?: Buffer;
  /** Or only its digest, under each signer's digest algorithm. */
  readonly detachedDigest?: Buffer;
  /** Where to look for signer certificates the CMS does not carry. */
  readonly certificates?: readonly Buffer[];
}

export interface SignerVerification {
  /** The signer's certificate, when the CMS or `certificates` has it. */
  readonly certificate?: Buffer;
  readonly hash?: HashName;
  readonly signatureAlgorithm: string;
  readonly signingTime?: Date;
  /** The content digest matches the messageDigest attribute. */
  readonly digestValid: boolean;
  readonly signatureValid: boolean;
  /** Whether the ESS signing-certificate(-v2) attribute names `certificate`; absent without one. */
  readonly signingCertificateMatches?: boolean;
  /** id-aa-signatureTimeStampToken values (CAdES-T); each imprint is checked, their signatures are not. */
  readonly timestampTokens: Buffer[];
  /** What failed or could not be checked, for a person to read. */
  readonly problems: string[];
  /** Digest and signature hold and nothing else is wrong. */
  readonly valid: boolean;
}

export interface SignedDataVerification {
  readonly contentType: string;
  /** The encapsulated content, when attached. */
  readonly content?: Buffer;
  readonly certificates: Buffer[];
  readonly signers: SignerVerification[];
}

const GOST_ARC = "1.2.398.3.10.";
const GOST_UNSUPPORTED = "GOST signature: not supported yet";

/** Verifies every SignerInfo of a CMS SignedData (DER or BER). */
export function verifySignedData(cms: Buffer, options: VerifySignedDataOptions = {}): SignedDataVerification {
  const parts = parsingAs("bad_cms", "CMS", () => readSignedData(cms));
  const { detachedContent, detachedDigest } = options;
  if (detachedContent && detachedDigest) {
    throw new InputError("bad_cms_request", "give the detached content or its digest, not both");
  }
  if (parts.content && (detachedContent || detachedDigest)) {
    throw new InputError(
      "bad_cms_request",
      "the CMS carries its content: no detached content belongs with it",
    );
  }
  const content = parts.content ?? detachedContent;
  if (!content && !detachedDigest) {
    throw new InputError(
      "detached_content_missing",
      "the CMS is detached: give the signed content or its digest",
    );
  }
  const candidates = [...parts.certificates, ...(options.certificates ?? [])].flatMap(parsedCertificate);
  const signers = parts.signerInfos.map((info) =>
    parsingAs("bad_cms", "CMS SignerInfo", () =>
      verifySigner(info, { contentType: parts.contentType, content, detachedDigest }, candidates),
    ),
  );
  return {
    contentType: parts.contentType,
    content: parts.content,
    certificates: parts.certificates,
    signers,
  };
}

/** A certificate that parses, or none: a malformed one cannot be the signer's. */
function parsedCertificate(der: Buffer): CertificateInfo[] {
  try {
    return [parseCertificate(der)];
  } catch (error) {
    if (error instanceof InputError) return [];
    throw error;
  }
}

interface SignerContext {
  readonly contentType: string;
  readonly content?: Buffer;
  readonly detachedDigest?: Buffer;
}

function verifySigner(
  info: SignerInfoParts,
  context: SignerContext,
  candidates: readonly CertificateInfo[],
): SignerVerification {
  const problems: string[] = [];
  const signer = candidates.find((candidate) => identifies(info.sid, candidate));
  if (!signer) problems.push("the signer's certificate is not in the CMS");
  const hash = hashNameByOid(info.digestAlgorithm);
  const algorithm = signatureAlgorithmOf(info, hash, problems);
  if (!hash && algorithm) problems.push(`digest algorithm ${info.digestAlgorithm} is not supported`);
  const publicKey = signer && algorithm ? publicKeyOf(signer, problems) : undefined;
  const verify = (data: Buffer) =>
    !!(algorithm && publicKey && verifySignature(algorithm, data, publicKey, info.signature));

  const checked = info.signedAttributes
    ? checkSignedAttributes(info.signedAttributes, { hash, signer, verify, context, problems })
    : checkContentSignature(context.content, verify, problems);
  if (publicKey && !checked.signatureValid) {
    problems.push("the signature does not verify with the signer's certificate");
  }
  const unsigned = info.unsignedAttributes ? readAttributes(info.unsignedAttributes) : [];
  const timestampTokens = attributeValues(unsigned, OID.signatureTimeStampToken).map((value) => value.raw);
  timestampTokens.forEach((token, index) => {
    const mismatch = timeStampMismatch(token, info.signature);
    if (mismatch) problems.push(`signature time-stamp #${index + 1}: ${mismatch}`);
  });
  return {
    certificate: signer?.der,
    hash,
    signatureAlgorithm: info.signatureAlgorithm,
    ...checked,
    timestampTokens,
    problems,
    valid: checked.digestValid && checked.signatureValid && problems.length === 0,
  };
}

interface AttributeChecks {
  readonly digestValid: boolean;
  readonly signatureValid: boolean;
  readonly signingTime?: Date;
  readonly signingCertificateMatches?: boolean;
}

function checkSignedAttributes(
  signedAttributes: Element,
  check: {
    hash?: HashName;
    signer?: CertificateInfo;
    verify: (data: Buffer) => boolean;
    context: SignerContext;
    problems: string[];
  },
): AttributeChecks {
  const { hash, signer, context, problems } = check;
  const attributes = readAttributes(signedAttributes);
  const messageDigest = singleValue(attributes, OID.messageDigest, Tag.OctetString)?.content;
  const contentType = singleValue(attributes, OID.contentType, Tag.ObjectIdentifier);
  const signingTime = singleValue(attributes, OID.signingTime);
  if (!messageDigest) problems.push("the messageDigest attribute is missing");
  if (!contentType || readOid(contentType, "contentType attribute") !== context.contentType) {
    problems.push("the contentType attribute does not match the content type");
  }
  const actual = hash && contentDigestOf(hash, context, problems);
  const digestValid = !!(actual && messageDigest?.equals(actual));
  if (actual && messageDigest && !digestValid) problems.push("the content does not match its signed digest");
  return {
    digestValid,
    // The signature is over the DER SET OF the signed attributes, not their IMPLICIT [0] form.
    signatureValid: check.verify(withTag(signedAttributes.raw, Tag.Set)),
    signingTime: signingTime && readTime(signingTime),
    signingCertificateMatches: signer && essCertificateMatches(attributes, signer, problems),
  };
}

/** Without signed attributes the signature is directly over the content. */
function checkContentSignature(
  content: Buffer | undefined,
  verify: (data: Buffer) => boolean,
  problems: string[],
): AttributeChecks {
  if (!content) {
    problems.push("without signed attributes, the signature can be checked over the content only");
  }
  const signatureValid = !!content && verify(content);
  return { digestValid: signatureValid, signatureValid };
}

function identifies(sid: Element, certificate: CertificateInfo): boolean {
  if (sid.tag === 0x80) return subjectKeyIdentifierOf(certificate).equals(sid.content);
  const [issuer, serialNumber] = children(sid);
  return !!issuer?.raw.equals(certificate.issuerName) && !!serialNumber?.content.equals(certificate.serial);
}

/** The signature algorithm, or undefined with the reason added to `problems`. */
function signatureAlgorithmOf(
  info: SignerInfoParts,
  hash: HashName | undefined,
  problems: string[],
): SignatureAlgorithm | undefined {
  const { signatureAlgorithm: oid, digestAlgorithm } = info;
  if (oid.startsWith(GOST_ARC) || digestAlgorithm.startsWith(GOST_ARC)) {
    problems.push(GOST_UNSUPPORTED);
    return undefined;
  }
  // Many signers name only the key type (rsaEncryption, as OpenSSL does); the digest algorithm completes it.
  if (oid === OID.rsaEncryption || oid === OID.ecPublicKey) {
    const keyType = oid === OID.rsaEncryption ? "rsa" : "ec";
    const found = SIGNATURE_ALGORITHMS.find(
      (algorithm) => algorithm.keyType === keyType && algorithm.hash === hash,
    );
    if (!found) problems.push(`signature algorithm ${oid} with digest ${digestAlgorithm} is not supported`);
    return found;
  }
  try {
    return signatureAlgorithmByOid(oid);
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    problems.push(error.message);
    return undefined;
  }
}

function publicKeyOf(certificate: CertificateInfo, problems: string[]): KeyObject | undefined {
  const keyAlgorithm = readAlgorithmOid(
    children(readSingle(certificate.publicKeyInfo, Tag.Sequence))[0],
    "subjectPublicKeyInfo",
  );
  if (keyAlgorithm.startsWith(GOST_ARC)) {
    problems.push(GOST_UNSUPPORTED);
    return undefined;
  }
  try {
    return createPublicKey({ key: certificate.publicKeyInfo, format: "der", type: "spki" });
  } catch {
    problems.push("the signer certificate's public key cannot be used");
    return undefined;
  }
}

function contentDigestOf(hash: HashName, signed: SignerContext, problems: string[]): Buffer | undefined {
  if (signed.content) return digest(hash, signed.content);
  const expectedLength = digest(hash, Buffer.alloc(0)).length;
  if (signed.detachedDigest?.length === expectedLength) return signed.detachedDigest;
  problems.push(`the given digest is not a ${hash} digest (${expectedLength} bytes)`);
  return undefined;
}

function singleValue(attributes: readonly Attribute[], type: string, tag?: number): Element | undefined {
  const values = attributeValues(attributes, type);
  if (values.length > 1) throw new DerError(`attribute ${type} has more than one value`);
  return values[0] && (tag === undefined ? values[0] : expectTag(values[0], tag, `attribute ${type}`));
}

/**
 * Checks the first certificate reference of an ESS signingCertificateV2 (RFC 5035) or
 * signingCertificate (RFC 2634, SHA-1) attribute against the signer's certificate.
 */
function essCertificateMatches(
  attributes: readonly Attribute[],
  signer: CertificateInfo,
  problems: string[],
): boolean | undefined {
  const v2 = singleValue(attributes, OID.signingCertificateV2, Tag.Sequence);
  const v1 = singleValue(attributes, OID.signingCertificate, Tag.Sequence);
  const value = v2 ?? v1;
  if (!value) return undefined;
  const [certs] = children(value);
  const [first] = children(expectTag(certs, Tag.Sequence, "ESS certs"));
  const fields = children(expectTag(first, Tag.Sequence, "ESS certificate id"));
  const hashAlgorithm =
    v2 && fields[0]?.tag === Tag.Sequence ? readAlgorithmOid(fields.shift(), "ESS hashAlgorithm") : undefined;
  const hash = v2 ? (hashAlgorithm ? hashNameByOid(hashAlgorithm) : "sha256") : "sha1";
  if (!hash) {
    problems.push(`the signing-certificate attribute uses unsupported hash ${hashAlgorithm}`);
    return undefined;
  }
  const certHash = expectTag(fields[0], Tag.OctetString, "ESS certHash").content;
  const issuerSerial = fields[1];
  const matches =
    certHash.equals(digest(hash, signer.der)) && (!issuerSerial || issuerSerialMatches(issuerSerial, signer));
  if (!matches) problems.push("the signing-certificate attribute names another certificate");
  return matches;
}

function issuerSerialMatches(issuerSerial: Element, certificate: CertificateInfo): boolean {
  const [generalNames, serialNumber] = children(expectTag(issuerSerial, Tag.Sequence, "ESS issuerSerial"));
  const names = children(expectTag(generalNames, Tag.Sequence, "ESS issuer"));
  const directoryName = names.find((name) => name.tag === 0xa4);
  return (
    !!directoryName?.content.equals(certificate.issuerName) &&
    !!serialNumber?.content.equals(certificate.serial)
  );
}
