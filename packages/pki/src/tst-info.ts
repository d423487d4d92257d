// TSTInfo, the signed content of an RFC 3161 time-stamp token (section 2.4.2).
import { digest, type HashName, HASH_OIDS } from "./algorithms.ts";
import { readOid, readSignedData } from "./cms-structure.ts";
import { readSerial } from "./der-parsing.ts";
import {
  children,
  contextConstructed,
  contextPrimitive,
  DerError,
  type Element,
  expectTag,
  generalizedTime,
  integer,
  oid,
  readSingle,
  readTime,
  sequence,
  Tag,
  unsignedInteger,
} from "./der.ts";
import { InputError } from "./errors.ts";
import { OID } from "./oids.ts";

export interface Accuracy {
  readonly seconds?: number;
  readonly millis?: number;
  readonly micros?: number;
}

export interface TstInfo {
  readonly policy: string;
  /** The imprint's hash algorithm OID, and its name when it is one we compute. */
  readonly hashAlgorithm: string;
  readonly hash?: HashName;
  /** The hashed message: the digest of what was time-stamped. */
  readonly messageImprint: Buffer;
  /** The serial number's magnitude. */
  readonly serialNumber: Buffer;
  readonly genTime: Date;
  readonly accuracy?: Accuracy;
  readonly ordering: boolean;
  /** The nonce's magnitude, echoed from the request. */
  readonly nonce?: Buffer;
  /** The TSA's name: a DER GeneralName. */
  readonly tsa?: Buffer;
}

export interface TstInfoFields {
  readonly policy: string;
  /** The request's MessageImprint, DER, echoed unchanged. */
  readonly messageImprint: Buffer;
  readonly serialNumber: Buffer;
  readonly genTime: Date;
  readonly accuracy?: Accuracy;
  readonly nonce?: Buffer;
  /** A DER GeneralName. */
  readonly tsa?: Buffer;
}

export function encodeTstInfo(fields: TstInfoFields): Buffer {
  return sequence(
    integer(1),
    oid(fields.policy),
    fields.messageImprint,
    unsignedInteger(fields.serialNumber),
    generalizedTime(fields.genTime, true),
    ...(fields.accuracy ? [encodeAccuracy(fields.accuracy)] : []),
    ...(fields.nonce ? [unsignedInteger(fields.nonce)] : []),
    ...(fields.tsa ? [contextConstructed(0, fields.tsa)] : []),
  );
}

function encodeAccuracy({ seconds = 0, millis = 0, micros = 0 }: Accuracy): Buffer {
  const inRange = (value: number, max: number) => Number.isInteger(value) && value >= 0 && value <= max;
  if (!inRange(seconds, 2 ** 31 - 1) || !inRange(millis, 999) || !inRange(micros, 999)) {
    throw new InputError(
      "bad_accuracy",
      "accuracy: seconds must be a whole number, millis and micros 0..999",
    );
  }
  const contentOf = (value: number) => integer(value).subarray(2);
  return sequence(
    ...(seconds ? [integer(seconds)] : []),
    ...(millis ? [contextPrimitive(0, contentOf(millis))] : []),
    ...(micros ? [contextPrimitive(1, contentOf(micros))] : []),
  );
}

/** Reads the TSTInfo of a TimeStampToken (DER or BER); throws DerError when it is malformed. */
export function readTimeStampToken(token: Buffer): TstInfo {
  const signedData = readSignedData(token);
  if (signedData.contentType !== OID.tstInfo) {
    throw new DerError(`content type ${signedData.contentType} is not TSTInfo`);
  }
  if (!signedData.content) throw new DerError("the TSTInfo is not attached");
  return readTstInfo(signedData.content);
}

/**
 * Why `token` is not a time-stamp over `data` (for CAdES-T: the signature value), or undefined when
 * its imprint matches. The token's own signature is checked apart, with verifySignedData.
 */
export function timeStampMismatch(token: Buffer, data: Buffer): string | undefined {
  let info: TstInfo;
  try {
    info = readTimeStampToken(token);
  } catch (error) {
    if (error instanceof DerError) return `malformed: ${error.message}`;
    throw error;
  }
  if (!info.hash) return `imprint algorithm ${info.hashAlgorithm} is not supported`;
  return digest(info.hash, data).equals(info.messageImprint)
    ? undefined
    : "its imprint is not over this signature value";
}

/** Reads a DER TSTInfo; throws DerError when it is malformed. */
export function readTstInfo(der: Buffer): TstInfo {
  const fields = children(readSingle(der, Tag.Sequence));
  const [version, policy, imprint, serialNumber, genTime] = fields;
  if (!expectTag(version, Tag.Integer, "TSTInfo version").content.equals(Buffer.from([1]))) {
    throw new DerError("TSTInfo version is not 1");
  }
  const { hashAlgorithm, hashedMessage } = readMessageImprint(imprint);
  const optional = fields.slice(5);
  const take = (tag: number) => (optional[0]?.tag === tag ? optional.shift() : undefined);
  const accuracy = take(Tag.Sequence);
  const ordering = take(Tag.Boolean);
  const nonce = take(Tag.Integer);
  const tsa = take(0xa0);
  take(0xa1); // extensions: none that we act on
  if (optional.length > 0) throw new DerError("unexpected field in TSTInfo");
  return {
    policy: readOid(policy, "TSTInfo policy"),
    hashAlgorithm,
    hash: hashNameByOid(hashAlgorithm),
    messageImprint: hashedMessage,
    serialNumber: readSerial(serialNumber, "TSTInfo serialNumber"),
    genTime: readGeneralizedTime(genTime),
    accuracy: accuracy && readAccuracy(accuracy),
    ordering: ordering ? readBoolean(ordering) : false,
    nonce: nonce && readSerial(nonce, "TSTInfo nonce"),
    tsa: tsa && readSingle(tsa.content).raw,
  };
}

export function readMessageImprint(element: Element | undefined): {
  hashAlgorithm: string;
  parameters?: Element;
  hashedMessage: Buffer;
} {
  const [algorithm, hashedMessage, ...extra] = children(expectTag(element, Tag.Sequence, "messageImprint"));
  const [algorithmId, parameters, ...more] = children(
    expectTag(algorithm, Tag.Sequence, "messageImprint hashAlgorithm"),
  );
  if (extra.length > 0 || more.length > 0) throw new DerError("unexpected fields in messageImprint");
  return {
    hashAlgorithm: readOid(algorithmId, "messageImprint hashAlgorithm"),
    parameters,
    hashedMessage: expectTag(hashedMessage, Tag.OctetString, "messageImprint hashedMessage").content,
  };
}

export const hashNameByOid = (algorithmOid: string): HashName | undefined =>
  (Object.keys(HASH_OIDS) as HashName[]).find((name) => HASH_OIDS[name] === algorithmOid);

export function readBoolean(element: Element): boolean {
  if (element.content.length !== 1) throw new DerError("BOOLEAN must be one byte");
  return element.content[0] !== 0;
}

function readGeneralizedTime(element: Element | undefined): Date {
  const date = readTime(expectTag(element, Tag.GeneralizedTime, "TSTInfo genTime"));
  if (Number.isNaN(date.getTime())) throw new DerError("TSTInfo genTime is not a valid date");
  return date;
}

function readAccuracy(element: Element): Accuracy {
  const accuracy: { seconds?: number; millis?: number; micros?: number } = {};
  for (const part of children(element)) {
    const value = smallInteger(part);
    if (part.tag === Tag.Integer) accuracy.seconds = value;
    else if (part.tag === 0x80) accuracy.millis = value;
    else if (part.tag === 0x81) accuracy.micros = value;
    else throw new DerError("unexpected field in accuracy");
  }
  return accuracy;
}

function smallInteger(element: Element): number {
  const { content } = element;
  if (content.length === 0 || content.length > 6 || content[0]! & 0x80) {
    throw new DerError("accuracy value is not a small non-negative INTEGER");
  }
  return content.readUIntBE(0, content.length);
}
