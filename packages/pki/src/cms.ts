// CMS SignedData (RFC 5652) as CAdES-BES and CAdES-T signatures (ETSI EN 319 122), the form
// NCALayer produces: signed attributes contentType, signingTime, messageDigest and ESS
// signingCertificateV2; a signature time-stamp as an unsigned attribute.
import { digest, type HashName, HASH_OIDS, type SigningKey } from "./algorithms.ts";
import { type CertificateInfo, parseCertificate } from "./certificateInfo.ts";
import { attribute, readSignedData, type SignerInfoParts, withTag } from "./cms-structure.ts";
import { parsingAs } from "./der-parsing.ts";
import {
  children,
  contextConstructed,
  integer,
  octetString,
  oid,
  sequence,
  setOf,
  Tag,
  time,
  tlv,
} from "./der.ts";
import { InputError } from "./errors.ts";
import { OID } from "./oids.ts";
import { timeStampMismatch } from "./tst-info.ts";

export interface CmsSigner {
  /** DER X.509 certificate of `key`. */
  readonly certificate: Buffer;
  readonly key: SigningKey;
}

export interface UnsignedAttribute {
  readonly type: string;
  /** DER values. */
  readonly values: readonly Buffer[];
}

export interface SignedDataOptions {
  /** What is signed; carried inside the CMS when `encapsulate` is true. */
  readonly content?: Buffer;
  readonly encapsulate: boolean;
  /** Instead of `content`: its digest under `signer.key.algorithm.hash`, computed by the caller (detached). */
  readonly contentDigest?: Buffer;
  /** eContentType; id-data unless given (time-stamp tokens use id-ct-TSTInfo). */
  readonly contentType?: string;
  readonly signer: CmsSigner;
  /** More certificates to carry, e.g. the issuing CA. */
  readonly extraCertificates?: readonly Buffer[];
  /** False leaves out every certificate, the signer's too (a time-stamp token without certReq). */
  readonly includeCertificates?: boolean;
  /** Defaults to now. */
  readonly signingTime?: Date;
  readonly unsignedAttributes?: readonly UnsignedAttribute[];
}

/** Creates a DER ContentInfo with one SignerInfo over `content` or `contentDigest`. */
export async function createSignedData(options: SignedDataOptions): Promise<Buffer> {
  const { signer, encapsulate, content } = options;
  const hash = signer.key.algorithm.hash;
  const contentType = options.contentType ?? OID.pkcs7Data;
  const messageDigest = messageDigestOf(options, hash);
  const certificate = parseCertificate(signer.certificate);
  const signedAttributes = setOf(
    attribute(OID.contentType, oid(contentType)),
    attribute(OID.signingTime, time(options.signingTime ?? new Date())),
    attribute(OID.messageDigest, octetString(messageDigest)),
    attribute(OID.signingCertificateV2, signingCertificateV2(certificate)),
  );
  const signature = await signer.key.sign(signedAttributes);
  const unsigned = options.unsignedAttributes ?? [];
  const signerInfo = sequence(
    integer(1),
    issuerAndSerialNumber(certificate),
    digestAlgorithmIdentifier(hash),
    withTag(signedAttributes, 0xa0),
    signer.key.algorithm.identifier,
    octetString(signature),
    ...(unsigned.length > 0
      ? [withTag(setOf(...unsigned.map((a) => attribute(a.type, ...a.values))), 0xa1)]
      : []),
  );
  const certificates =
    options.includeCertificates === false
      ? []
      : distinct([signer.certificate, ...(options.extraCertificates ?? [])]);
  const signedData = sequence(
    integer(contentType === OID.pkcs7Data ? 1 : 3),
    setOf(digestAlgorithmIdentifier(hash)),
    sequence(oid(contentType), ...(encapsulate ? [contextConstructed(0, octetString(content!))] : [])),
    ...(certificates.length > 0 ? [withTag(setOf(...certificates), 0xa0)] : []),
    setOf(signerInfo),
  );
  return sequence(oid(OID.pkcs7SignedData), contextConstructed(0, signedData));
}

function messageDigestOf({ content, contentDigest, encapsulate }: SignedDataOptions, hash: HashName): Buffer {
  if (content && contentDigest) {
    throw new InputError("bad_cms_request", "give either the content or its digest, not both");
  }
  if (contentDigest) {
    if (encapsulate) {
      throw new InputError("bad_cms_request", "a signature over a digest cannot encapsulate the content");
    }
    const expected = digest(hash, Buffer.alloc(0)).length;
    if (contentDigest.length !== expected) {
      throw new InputError(
        "bad_digest_length",
        `a ${hash} digest is ${expected} bytes, got ${contentDigest.length}`,
      );
    }
    return contentDigest;
  }
  if (!content) throw new InputError("bad_cms_request", "nothing to sign: give the content or its digest");
  return digest(hash, content);
}

// SHA-2 identifiers without parameters (RFC 5754 section 2).
const digestAlgorithmIdentifier = (hash: HashName): Buffer => sequence(oid(HASH_OIDS[hash]));

const issuerAndSerialNumber = (certificate: CertificateInfo): Buffer =>
  sequence(certificate.issuerName, tlv(Tag.Integer, certificate.serial));

/** ESS SigningCertificateV2 (RFC 5035) with one ESSCertIDv2: SHA-256 (the default, so omitted) and IssuerSerial. */
function signingCertificateV2(certificate: CertificateInfo): Buffer {
  const directoryName = contextConstructed(4, certificate.issuerName);
  const issuerSerial = sequence(sequence(directoryName), tlv(Tag.Integer, certificate.serial));
  return sequence(sequence(sequence(octetString(digest("sha256", certificate.der)), issuerSerial)));
}

const distinct = (items: readonly Buffer[]): Buffer[] =>
  items.filter((item, index) => items.findIndex((other) => other.equals(item)) === index);

/** The signature value of a SignerInfo: what a CAdES-T signature time-stamp is over (its hash is the imprint). */
export function signatureValueOf(signedData: Buffer, signerIndex = 0): Buffer {
  return signerAt(parsingAs("bad_cms", "CMS", () => readSignedData(signedData)).signerInfos, signerIndex)
    .signature;
}

/**
 * Adds a time-stamp token over a SignerInfo's signature value as its id-aa-signatureTimeStampToken
 * unsigned attribute (CAdES-T). Refuses a token whose imprint is not over that signature. Returns DER.
 */
export function addTimestampToken(signedData: Buffer, timestampToken: Buffer, signerIndex = 0): Buffer {
  const parts = parsingAs("bad_cms", "CMS", () => readSignedData(signedData));
  const signer = signerAt(parts.signerInfos, signerIndex);
  const mismatch = timeStampMismatch(timestampToken, signer.signature);
  if (mismatch) throw new InputError("bad_timestamp_token", `time-stamp token: ${mismatch}`);
  const tokenAttribute = attribute(OID.signatureTimeStampToken, timestampToken);
  const signerInfos = parts.signerInfos.map((info, index) =>
    index === signerIndex
      ? withUnsignedAttribute(info, tokenAttribute)
      : sequence(...info.fields.map((f) => f.raw)),
  );
  // Rebuilt around the read parts; the SignerInfos keep their order so indexes stay valid.
  const signedDataFields = [
    ...parts.fields.slice(0, -1).map((field) => field.raw),
    tlv(Tag.Set, ...signerInfos),
  ];
  return sequence(oid(OID.pkcs7SignedData), contextConstructed(0, sequence(...signedDataFields)));
}

function withUnsignedAttribute(info: SignerInfoParts, added: Buffer): Buffer {
  const unsigned = info.unsignedAttributes;
  const existing = unsigned
    ? parsingAs("bad_cms", "CMS", () => children(unsigned).map((element) => element.raw))
    : [];
  const fields = info.fields.filter((field) => field !== info.unsignedAttributes).map((field) => field.raw);
  return sequence(...fields, withTag(setOf(...existing, added), 0xa1));
}

function signerAt(signerInfos: readonly SignerInfoParts[], index: number): SignerInfoParts {
  const signer = signerInfos[index];
  if (!signer) {
    throw new InputError(
      "no_such_signer",
      `the CMS has ${signerInfos.length} signer(s), no signer #${index}`,
    );
  }
  return signer;
}
