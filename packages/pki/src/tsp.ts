// RFC 3161 time-stamping: requests, tokens (CMS SignedData over TSTInfo, built by cms.ts) and
// responses. Request errors carry the RFC's PKIFailureInfo names as InputError codes.
import { HASH_OIDS } from "./algorithms.ts";
import { berToDer } from "./ber-to-der.ts";
import { readOid } from "./cms-structure.ts";
import { parsingAs, readSerial } from "./der-parsing.ts";
import { type CmsSigner, createSignedData } from "./cms.ts";
import {
  boolean,
  children,
  contextConstructed,
  DerError,
  derNull,
  expectTag,
  integer,
  namedBits,
  octetString,
  oid,
  readSingle,
  sequence,
  Tag,
  unsignedInteger,
  utf8String,
} from "./der.ts";
import { InputError } from "./errors.ts";
import { OID } from "./oids.ts";
import {
  type Accuracy,
  encodeTstInfo,
  readBoolean,
  readMessageImprint,
  readTimeStampToken,
  type TstInfo,
} from "./tst-info.ts";

export type { Accuracy, TstInfo } from "./tst-info.ts";

/** The imprint algorithms this TSA accepts; SHA-1 and GOST are refused with badAlg. */
export type TimeStampHash = "sha256" | "sha384" | "sha512";
const IMPRINT_LENGTHS: Record<TimeStampHash, number> = { sha256: 32, sha384: 48, sha512: 64 };

export interface TimeStampRequest {
  readonly hash: TimeStampHash;
  /** The hashed message. */
  readonly messageImprint: Buffer;
  readonly policy?: string;
  /** The nonce's magnitude. */
  readonly nonce?: Buffer;
  readonly certReq: boolean;
  /** The DER MessageImprint as the requester sent it, echoed unchanged in the token. */
  readonly encodedMessageImprint?: Buffer;
}

/** PKIFailureInfo (RFC 3161 section 2.4.2) bit numbers. */
const FAILURE_BITS = {
  badAlg: 0,
  badRequest: 2,
  badDataFormat: 5,
  timeNotAvailable: 14,
  unacceptedPolicy: 15,
  unacceptedExtension: 16,
  addInfoNotAvailable: 17,
  systemFailure: 25,
} as const;
export type TimeStampFailure = keyof typeof FAILURE_BITS;

export const isTimeStampFailure = (code: string): code is TimeStampFailure =>
  Object.hasOwn(FAILURE_BITS, code);

const STATUSES = [
  "granted",
  "grantedWithMods",
  "rejection",
  "waiting",
  "revocationWarning",
  "revocationNotification",
] as const;
export type TimeStampStatus = (typeof STATUSES)[number];

/**
 * Reads a DER TimeStampReq. Throws InputError coded badRequest (malformed), badAlg (imprint
 * algorithm other than SHA-256/384/512), badDataFormat (version, imprint length) or
 * unacceptedExtension (any extension: none is supported).
 */
export function parseTimeStampRequest(der: Buffer): TimeStampRequest {
  return parsingAs("badRequest", "time-stamp request", () => readRequest(der));
}

function readRequest(der: Buffer): TimeStampRequest {
  const [version, imprint, ...optional] = children(readSingle(der, Tag.Sequence));
  if (!expectTag(version, Tag.Integer, "version").content.equals(Buffer.from([1]))) {
    throw new InputError("badDataFormat", "time-stamp request: version is not 1");
  }
  const { hashAlgorithm, parameters, hashedMessage } = readMessageImprint(imprint);
  const hash = (Object.keys(IMPRINT_LENGTHS) as TimeStampHash[]).find(
    (name) => HASH_OIDS[name] === hashAlgorithm,
  );
  if (!hash) {
    const name = hashAlgorithm === OID.sha1 ? "SHA-1" : hashAlgorithm;
    throw new InputError(
      "badAlg",
      `time-stamp request: imprint algorithm ${name} is not accepted; use SHA-256, SHA-384 or SHA-512`,
    );
  }
  if (parameters && !parameters.raw.equals(derNull())) {
    throw new InputError("badAlg", "time-stamp request: imprint algorithm parameters must be absent or NULL");
  }
  if (hashedMessage.length !== IMPRINT_LENGTHS[hash]) {
    throw new InputError(
      "badDataFormat",
      `time-stamp request: a ${hash} imprint is ${IMPRINT_LENGTHS[hash]} bytes, got ${hashedMessage.length}`,
    );
  }
  const take = (tag: number) => (optional[0]?.tag === tag ? optional.shift() : undefined);
  const policy = take(Tag.ObjectIdentifier);
  const nonce = take(Tag.Integer);
  const certReq = take(Tag.Boolean);
  const extensions = take(0xa0);
  if (optional.length > 0) throw new DerError("unexpected field in TimeStampReq");
  if (extensions) {
    throw new InputError("unacceptedExtension", "time-stamp request: extensions are not supported");
  }
  return {
    hash,
    messageImprint: hashedMessage,
    policy: policy && readOid(policy, "reqPolicy"),
    nonce: nonce && readSerial(nonce, "nonce"),
    certReq: certReq ? readBoolean(certReq) : false,
    encodedMessageImprint: imprint!.raw,
  };
}

/** A DER TimeStampReq, as a client (the signing agent) sends it. */
export function createTimeStampRequest(request: Omit<TimeStampRequest, "encodedMessageImprint">): Buffer {
  return sequence(
    integer(1),
    encodeMessageImprint(request),
    ...(request.policy ? [oid(request.policy)] : []),
    ...(request.nonce ? [unsignedInteger(request.nonce)] : []),
    ...(request.certReq ? [boolean(true)] : []),
  );
}

function encodeMessageImprint(request: TimeStampRequest): Buffer {
  if (request.messageImprint.length !== IMPRINT_LENGTHS[request.hash]) {
    throw new InputError(
      "badDataFormat",
      `a ${request.hash} imprint is ${IMPRINT_LENGTHS[request.hash]} bytes`,
    );
  }
  return (
    request.encodedMessageImprint ??
    sequence(sequence(oid(HASH_OIDS[request.hash])), octetString(request.messageImprint))
  );
}

export interface TimeStampTokenOptions {
  readonly request: TimeStampRequest;
  /** The TSA's policy; a request asking for another is refused with unacceptedPolicy. */
  readonly policy: string;
  /** The token's serial number (a magnitude, at most 160 bits), unique for this TSA. */
  readonly serial: Buffer;
  readonly genTime: Date;
  readonly accuracy?: Accuracy;
  readonly tsa: CmsSigner;
  /** Carry the TSA certificate; RFC 3161 asks for exactly `request.certReq`. */
  readonly includeCertificate: boolean;
  /** The TSA's DER Name, put in the token as a directoryName. */
  readonly tsaName?: Buffer;
}

/** A TimeStampToken: a ContentInfo with SignedData over an attached TSTInfo, signed with ESS signingCertificateV2. */
export async function createTimeStampToken(options: TimeStampTokenOptions): Promise<Buffer> {
  const { request, policy, serial } = options;
  if (request.policy && request.policy !== policy) {
    throw new InputError(
      "unacceptedPolicy",
      `time-stamp request: policy ${request.policy} is not this TSA's (${policy})`,
    );
  }
  if (serial.length === 0 || serial.length > 20) {
    throw new InputError("bad_serial", "a time-stamp serial number is 1 to 20 bytes");
  }
  const tstInfo = encodeTstInfo({
    policy,
    messageImprint: encodeMessageImprint(request),
    serialNumber: serial,
    genTime: options.genTime,
    accuracy: options.accuracy,
    nonce: request.nonce,
    tsa: options.tsaName && contextConstructed(4, options.tsaName),
  });
  return createSignedData({
    content: tstInfo,
    encapsulate: true,
    contentType: OID.tstInfo,
    signer: options.tsa,
    includeCertificates: options.includeCertificate,
    signingTime: options.genTime,
  });
}

/** A granted TimeStampResp carrying `token`. */
export const timeStampResponse = (token: Buffer): Buffer => sequence(sequence(integer(0)), token);

/** A rejection TimeStampResp with the PKIFailureInfo bit of `failure` and an optional text. */
export function timeStampFailure(failure: TimeStampFailure, text?: string): Buffer {
  return sequence(
    sequence(integer(2), ...(text ? [sequence(utf8String(text))] : []), namedBits([FAILURE_BITS[failure]])),
  );
}

export interface TimeStampResponse {
  readonly status: TimeStampStatus;
  readonly statusText: string[];
  readonly failures: TimeStampFailure[];
  /** The TimeStampToken (DER), to verify with verifySignedData. */
  readonly token?: Buffer;
  readonly tstInfo?: TstInfo;
}

/** Reads a TimeStampResp (DER or BER). */
export function parseTimeStampResponse(der: Buffer): TimeStampResponse {
  const response = parsingAs("bad_timestamp_response", "time-stamp response", () => {
    const [statusInfo, token, ...extra] = children(readSingle(berToDer(der), Tag.Sequence));
    if (extra.length > 0) throw new DerError("unexpected fields in TimeStampResp");
    const [status, ...details] = children(expectTag(statusInfo, Tag.Sequence, "PKIStatusInfo"));
    const statusText = details[0]?.tag === Tag.Sequence ? children(details.shift()!).map(readUtf8) : [];
    const failInfo = details.shift();
    const statusNumber = expectTag(status, Tag.Integer, "PKIStatus").content;
    const name = statusNumber.length === 1 ? STATUSES[statusNumber[0]!] : undefined;
    if (!name) throw new DerError("unknown PKIStatus");
    return {
      status: name,
      statusText,
      failures: failInfo ? failuresOf(expectTag(failInfo, Tag.BitString, "PKIFailureInfo").content) : [],
      token: token && expectTag(token, Tag.Sequence, "timeStampToken").raw,
    };
  });
  return { ...response, tstInfo: response.token && parseTimeStampToken(response.token) };
}

/** Reads the TSTInfo of a TimeStampToken (DER or BER); verify its signature with verifySignedData. */
export function parseTimeStampToken(token: Buffer): TstInfo {
  return parsingAs("bad_timestamp_token", "time-stamp token", () => readTimeStampToken(token));
}

function readUtf8(element: { tag: number; content: Buffer }): string {
  if (element.tag !== Tag.Utf8String) throw new DerError("PKIFreeText holds a non-UTF8String");
  return element.content.toString("utf8");
}

function failuresOf(bitString: Buffer): TimeStampFailure[] {
  const bits = bitString.subarray(1);
  const isSet = (bit: number) => ((bits[bit >> 3] ?? 0) & (0x80 >> (bit & 7))) !== 0;
  return (Object.keys(FAILURE_BITS) as TimeStampFailure[]).filter((name) => isSet(FAILURE_BITS[name]));
}
