// Reading and assembling the parts of CMS SignedData (RFC 5652) shared by cms.ts, cms-verify.ts
// and tsp.ts. Readers throw DerError; public functions turn it into an InputError (parsingAs).
import { berToDer } from "./ber-to-der.ts";
import { readAlgorithmOid } from "./der-parsing.ts";
import {
  children,
  decodeOid,
  DerError,
  type Element,
  expectTag,
  oid,
  readSingle,
  sequence,
  setOf,
  Tag,
} from "./der.ts";
import { OID } from "./oids.ts";

export interface SignerInfoParts {
  /** The SignerInfo's fields in order, for rebuilding it. */
  readonly fields: readonly Element[];
  readonly sid: Element;
  readonly digestAlgorithm: string;
  /** The [0] IMPLICIT SET OF Attribute, as found. */
  readonly signedAttributes?: Element;
  readonly signatureAlgorithm: string;
  readonly signature: Buffer;
  readonly unsignedAttributes?: Element;
}

export interface SignedDataParts {
  /** The SignedData's fields in order, for rebuilding it. */
  readonly fields: readonly Element[];
  readonly contentType: string;
  /** The encapsulated content's octets; absent when detached. */
  readonly content?: Buffer;
  readonly certificates: Buffer[];
  readonly signerInfos: SignerInfoParts[];
}

export interface Attribute {
  readonly type: string;
  readonly values: readonly Element[];
}

/** Reads a ContentInfo holding SignedData, in DER or BER. */
export function readSignedData(input: Buffer): SignedDataParts {
  const [contentType, explicit, ...rest] = children(readSingle(berToDer(input), Tag.Sequence));
  const type = readOid(contentType, "ContentInfo contentType");
  if (type !== OID.pkcs7SignedData) throw new DerError(`content type ${type} is not SignedData`);
  if (rest.length > 0) throw new DerError("unexpected fields after ContentInfo content");
  const signedData = readSingle(expectTag(explicit, 0xa0, "ContentInfo content").content, Tag.Sequence);
  const fields = children(signedData);
  const [version, digestAlgorithms, encapsulated, ...optional] = fields;
  expectTag(version, Tag.Integer, "SignedData version");
  expectTag(digestAlgorithms, Tag.Set, "SignedData digestAlgorithms");
  const signerInfos = expectTag(optional.pop(), Tag.Set, "SignedData signerInfos");
  const certificates = optional.find((element) => element.tag === 0xa0);
  if (optional.some((element) => element.tag !== 0xa0 && element.tag !== 0xa1)) {
    throw new DerError("unexpected field in SignedData");
  }
  const [eContentType, eContent, ...extra] = children(
    expectTag(encapsulated, Tag.Sequence, "encapContentInfo"),
  );
  if (extra.length > 0) throw new DerError("unexpected fields in encapContentInfo");
  return {
    fields,
    contentType: readOid(eContentType, "eContentType"),
    content: eContent && readSingle(expectTag(eContent, 0xa0, "eContent").content, Tag.OctetString).content,
    // Only plain X.509 certificates; attribute and other certificate choices carry tagged values.
    certificates: certificates
      ? children(certificates)
          .filter((c) => c.tag === Tag.Sequence)
          .map((c) => c.raw)
      : [],
    signerInfos: children(signerInfos).map(readSignerInfo),
  };
}

function readSignerInfo(signerInfo: Element): SignerInfoParts {
  const fields = children(expectTag(signerInfo, Tag.Sequence, "SignerInfo"));
  const [version, sid, digestAlgorithm, ...rest] = fields;
  expectTag(version, Tag.Integer, "SignerInfo version");
  if (!sid || (sid.tag !== Tag.Sequence && sid.tag !== 0x80)) {
    throw new DerError("SignerInfo sid is missing or malformed");
  }
  const signedAttributes = rest[0]?.tag === 0xa0 ? rest.shift() : undefined;
  const [signatureAlgorithm, signature, unsignedAttributes, ...extra] = rest;
  if (unsignedAttributes && unsignedAttributes.tag !== 0xa1) {
    throw new DerError("unexpected field in SignerInfo");
  }
  if (extra.length > 0) throw new DerError("unexpected fields after SignerInfo unsignedAttrs");
  return {
    fields,
    sid,
    digestAlgorithm: readAlgorithmOid(digestAlgorithm, "SignerInfo digestAlgorithm"),
    signedAttributes,
    signatureAlgorithm: readAlgorithmOid(signatureAlgorithm, "SignerInfo signatureAlgorithm"),
    signature: expectTag(signature, Tag.OctetString, "SignerInfo signature").content,
    unsignedAttributes,
  };
}

export function readAttributes(set: Element): Attribute[] {
  return children(set).map((attribute) => {
    const [type, values] = children(expectTag(attribute, Tag.Sequence, "Attribute"));
    return {
      type: readOid(type, "Attribute type"),
      values: children(expectTag(values, Tag.Set, "Attribute values")),
    };
  });
}

export const attributeValues = (attributes: readonly Attribute[], type: string): readonly Element[] =>
  attributes.find((attribute) => attribute.type === type)?.values ?? [];

export function readOid(element: Element | undefined, what: string): string {
  const { content } = expectTag(element, Tag.ObjectIdentifier, what);
  if (content.length === 0 || content[content.length - 1]! & 0x80) {
    throw new DerError(`${what} is not a valid OID`);
  }
  return decodeOid(content);
}

/** An Attribute with its values in DER SET OF order. */
export const attribute = (type: string, ...values: Buffer[]): Buffer => sequence(oid(type), setOf(...values));

/** A copy of `der` under another tag: a SET OF re-tagged as the IMPLICIT [0] or [1] it fills. */
export function withTag(der: Buffer, tag: number): Buffer {
  const copy = Buffer.from(der);
  copy[0] = tag;
  return copy;
}
