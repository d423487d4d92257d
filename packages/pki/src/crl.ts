// RFC 5280 CRLs. The writer streams: a CRL of a million entries is encoded straight into
// 64 KiB chunks that are hashed and handed to a sink, so memory does not grow with the list.
import { createHash } from "node:crypto";
import { type SigningKey, digest, signatureAlgorithmByOid, verifySignature } from "./algorithms.ts";
import type { KeyObject } from "node:crypto";
import {
  DerError,
  type Element,
  Tag,
  bitString,
  children,
  contextConstructed,
  contextPrimitive,
  encodeLength,
  enumerated,
  expectTag,
  generalizedTime,
  integer,
  readElement,
  readSingle,
  readTime,
  sequence,
  time,
} from "./der.ts";
import {
  checkDate,
  iteratingAs,
  normalizeSerial,
  parsingAs,
  readAlgorithmOid,
  readBigInteger,
  readSerial,
  readSignatureBits,
} from "./der-parsing.ts";
import { InputError } from "./errors.ts";
import { OID } from "./oids.ts";
import { REVOCATION_REASON_CODES, type RevocationReason, revocationReasonByCode } from "./revocation.ts";
import { type Extension, encodeExtension, readExtensions } from "./x509-extensions.ts";

export interface RevokedEntry {
  /** Unsigned big-endian magnitude. */
  serial: Buffer;
  revokedAt: Date;
  reason?: RevocationReason;
  invalidityDate?: Date;
}

export interface CrlParameters {
  /** The issuer's subject Name, DER. */
  issuerName: Buffer;
  /** The issuer's subject key identifier bytes. */
  authorityKeyIdentifier: Buffer;
  crlNumber: bigint;
  thisUpdate: Date;
  nextUpdate: Date;
  /** Present: this is a delta CRL (critical deltaCRLIndicator) over the full CRL with this number. */
  baseCrlNumber?: bigint;
  /** Full CRL only: where its delta CRLs are published (freshestCRL extension). */
  freshestCrlUrls?: string[];
}

// ---------------------------------------------------------------- entries

const MAX_SERIAL_OCTETS = 20; // RFC 5280 4.1.2.2
// Templates made once with der.ts; entries patch their variable bytes in place.
const REASON_EXTENSION = encodeExtension(OID.cRLReason, false, enumerated(0)); // last byte: the code
const INVALIDITY_EXTENSION = encodeExtension(OID.invalidityDate, false, generalizedTime(new Date(0))); // ends with 15 time chars

interface EntryShape {
  serialStart: number;
  serialPad: number;
  extensionsLength: number;
  length: number;
}

function entryShape(entry: RevokedEntry): EntryShape {
  const { serial } = entry;
  if (!Buffer.isBuffer(serial) || serial.length === 0) {
    throw new InputError("bad_serial", "a revoked entry needs a serial number");
  }
  let serialStart = 0;
  while (serialStart < serial.length - 1 && serial[serialStart] === 0) serialStart++;
  if (serial[serialStart] === 0) throw new InputError("bad_serial", "a serial number must be positive");
  const serialPad = serial[serialStart]! & 0x80 ? 1 : 0;
  const serialOctets = serial.length - serialStart + serialPad;
  if (serialOctets > MAX_SERIAL_OCTETS) {
    throw new InputError(
      "bad_serial",
      `serial ${serial.toString("hex")} is longer than ${MAX_SERIAL_OCTETS} octets`,
    );
  }
  let extensionsLength = 0;
  if (entry.reason !== undefined && entry.reason !== "unspecified") {
    if (!Object.hasOwn(REVOCATION_REASON_CODES, entry.reason)) {
      throw new InputError(
        "bad_revocation_reason",
        `unknown revocation reason ${JSON.stringify(entry.reason)}`,
      );
    }
    extensionsLength += REASON_EXTENSION.length;
  }
  if (entry.invalidityDate !== undefined) {
    checkDate(entry.invalidityDate, "invalidityDate");
    extensionsLength += INVALIDITY_EXTENSION.length;
  }
  const timeLength = isUtcTimeYear(checkDate(entry.revokedAt, "revokedAt")) ? 15 : 17;
  const length = 2 + 2 + serialOctets + timeLength + (extensionsLength > 0 ? 2 + extensionsLength : 0);
  return { serialStart, serialPad, extensionsLength, length }; // every length < 128: one-byte headers
}

const isUtcTimeYear = (year: number) => year >= 1950 && year < 2050; // RFC 5280 4.1.2.5

function writeTwoDigits(value: number, target: Buffer, offset: number): void {
  target[offset] = 0x30 + ((value / 10) | 0);
  target[offset + 1] = 0x30 + (value % 10);
}

/** Writes YYYYMMDDHHMMSSZ (or YYMMDDHHMMSSZ) and returns the offset after it. */
function writeTimeText(date: Date, withCentury: boolean, target: Buffer, offset: number): number {
  const year = date.getUTCFullYear();
  if (withCentury) {
    writeTwoDigits((year / 100) | 0, target, offset);
    offset += 2;
  }
  writeTwoDigits(year % 100, target, offset);
  writeTwoDigits(date.getUTCMonth() + 1, target, offset + 2);
  writeTwoDigits(date.getUTCDate(), target, offset + 4);
  writeTwoDigits(date.getUTCHours(), target, offset + 6);
  writeTwoDigits(date.getUTCMinutes(), target, offset + 8);
  writeTwoDigits(date.getUTCSeconds(), target, offset + 10);
  target[offset + 12] = 0x5a; // Z
  return offset + 13;
}

function writeEntry(entry: RevokedEntry, shape: EntryShape, target: Buffer, offset: number): number {
  const { serial } = entry;
  target[offset++] = Tag.Sequence;
  target[offset++] = shape.length - 2;
  target[offset++] = Tag.Integer;
  target[offset++] = serial.length - shape.serialStart + shape.serialPad;
  if (shape.serialPad) target[offset++] = 0;
  offset += serial.copy(target, offset, shape.serialStart);
  const utc = isUtcTimeYear(entry.revokedAt.getUTCFullYear());
  target[offset++] = utc ? Tag.UtcTime : Tag.GeneralizedTime;
  target[offset++] = utc ? 13 : 15;
  offset = writeTimeText(entry.revokedAt, !utc, target, offset);
  if (shape.extensionsLength === 0) return offset;
  target[offset++] = Tag.Sequence;
  target[offset++] = shape.extensionsLength;
  if (entry.reason !== undefined && entry.reason !== "unspecified") {
    offset += REASON_EXTENSION.copy(target, offset);
    target[offset - 1] = REVOCATION_REASON_CODES[entry.reason];
  }
  if (entry.invalidityDate !== undefined) {
    offset += INVALIDITY_EXTENSION.copy(target, offset);
    writeTimeText(entry.invalidityDate, true, target, offset - 15);
  }
  return offset;
}

/** One revokedCertificates element (RFC 5280 5.1.2.6) with its reasonCode and invalidityDate extensions. */
export function encodeRevokedEntry(entry: RevokedEntry): Buffer {
  const shape = entryShape(entry);
  const encoded = Buffer.allocUnsafe(shape.length);
  writeEntry(entry, shape, encoded, 0);
  return encoded;
}

function checkEntryFits(entry: RevokedEntry, params: CrlParameters): EntryShape {
  if (entry.reason === "removeFromCRL" && params.baseCrlNumber === undefined) {
    throw new InputError("bad_revocation_reason", "removeFromCRL is only allowed in a delta CRL");
  }
  return entryShape(entry);
}

// ---------------------------------------------------------------- the list around the entries

const MAX_CRL_NUMBER = 1n << 159n; // a 20-octet positive INTEGER (RFC 5280 5.2.3)
const URL_TEXT = /^[\x21-\x7e]+$/;

function checkParameters(params: CrlParameters): void {
  const isName = parsingAs(
    "bad_crl_parameters",
    "issuerName",
    () => readSingle(params.issuerName).tag === Tag.Sequence,
  );
  if (!isName) throw new InputError("bad_crl_parameters", "issuerName must be a DER Name (a SEQUENCE)");
  if (!Buffer.isBuffer(params.authorityKeyIdentifier) || params.authorityKeyIdentifier.length === 0) {
    throw new InputError("bad_crl_parameters", "authorityKeyIdentifier is empty");
  }
  for (const [what, value] of [
    ["crlNumber", params.crlNumber],
    ["baseCrlNumber", params.baseCrlNumber],
  ] as const) {
    if (value !== undefined && (typeof value !== "bigint" || value < 0n || value >= MAX_CRL_NUMBER)) {
      throw new InputError("bad_crl_parameters", `${what} must be a bigint from 0 to 2^159-1`);
    }
  }
  checkDate(params.thisUpdate, "thisUpdate");
  checkDate(params.nextUpdate, "nextUpdate");
  if (params.nextUpdate.getTime() <= params.thisUpdate.getTime()) {
    throw new InputError("bad_crl_parameters", "nextUpdate must be after thisUpdate");
  }
  if (params.baseCrlNumber !== undefined) {
    if (params.baseCrlNumber >= params.crlNumber) {
      throw new InputError(
        "bad_crl_parameters",
        "a delta CRL's number must be greater than its baseCrlNumber",
      );
    }
    if (params.freshestCrlUrls?.length) {
      throw new InputError(
        "bad_crl_parameters",
        "freshestCRL must not appear in a delta CRL (RFC 5280 5.2.6)",
      );
    }
  }
  for (const url of params.freshestCrlUrls ?? []) {
    if (!URL_TEXT.test(url) || !URL.canParse(url)) {
      throw new InputError("bad_crl_parameters", `freshestCrlUrls: ${JSON.stringify(url)} is not a URL`);
    }
  }
}

function crlExtensions(params: CrlParameters): Buffer {
  const extensions = [
    encodeExtension(
      OID.authorityKeyIdentifier,
      false,
      sequence(contextPrimitive(0, params.authorityKeyIdentifier)),
    ),
    encodeExtension(OID.cRLNumber, false, integer(params.crlNumber)),
  ];
  if (params.baseCrlNumber !== undefined) {
    extensions.push(encodeExtension(OID.deltaCRLIndicator, true, integer(params.baseCrlNumber)));
  }
  if (params.freshestCrlUrls?.length) {
    const fullName = contextConstructed(
      0,
      ...params.freshestCrlUrls.map((url) => contextPrimitive(6, Buffer.from(url, "ascii"))),
    );
    extensions.push(
      encodeExtension(OID.freshestCRL, false, sequence(sequence(contextConstructed(0, fullName)))),
    );
  }
  return contextConstructed(0, sequence(...extensions));
}

/** The TBSCertList bytes before the entries (header included) and after them. */
interface CrlFrame {
  head: Buffer;
  tail: Buffer;
  tbsLength: number;
}

function crlFrame(params: CrlParameters, algorithmIdentifier: Buffer, entriesLength: number): CrlFrame {
  const fields = Buffer.concat([
    integer(1), // v2
    algorithmIdentifier,
    params.issuerName,
    time(params.thisUpdate),
    time(params.nextUpdate),
    // RFC 5280 5.1.2.6: with no entries the list is absent, not empty
    entriesLength > 0
      ? Buffer.concat([Buffer.from([Tag.Sequence]), encodeLength(entriesLength)])
      : Buffer.alloc(0),
  ]);
  const tail = crlExtensions(params);
  const contentLength = fields.length + entriesLength + tail.length;
  const head = Buffer.concat([Buffer.from([Tag.Sequence]), encodeLength(contentLength), fields]);
  return { head, tail, tbsLength: head.length + entriesLength + tail.length };
}

const signatureLengths = new WeakMap<SigningKey, number>();
const LENGTH_PROBE = Buffer.from("qoltanba: signature length probe, not a DER structure");

/**
 * The outer SEQUENCE's header precedes the streamed TBS, so the signature's length must be known
 * first. An RSA PKCS#1 v1.5 signature always has the modulus' length, and SigningKey does not tell
 * it: one signature over a fixed text that is no DER structure tells it, once per key.
 */
async function signatureLength(key: SigningKey): Promise<number> {
  let length = signatureLengths.get(key);
  if (length === undefined) {
    length = (await key.signDigest(digest(key.algorithm.hash, LENGTH_PROBE))).length;
    signatureLengths.set(key, length);
  }
  return length;
}

const bitStringHeader = (valueLength: number) =>
  Buffer.concat([Buffer.from([Tag.BitString]), encodeLength(valueLength + 1), Buffer.from([0])]);

const CHUNK_SIZE = 64 * 1024;
const MAX_ENTRY_LENGTH = 128;

/** Revoked entries a page at a time (as a database hands them over): one await per page, not per entry. */
export type RevokedEntryPages = () => AsyncIterable<readonly RevokedEntry[]>;

/**
 * Where `writeCrl` keeps the encoded entries while it counts them, so it reads its source once:
 * the caller's storage (a temporary file), as pki does no I/O.
 */
export interface CrlEntrySpool {
  write(chunk: Buffer): Promise<void>;
  /** Every chunk written, in order; asked once, after the last write. */
  replay(): AsyncIterable<Buffer>;
}

/** Encodes the entries into 64 KiB chunks handed to `out` (not reused afterwards); returns their count and length. */
async function encodeEntries(
  pages: AsyncIterable<readonly RevokedEntry[]>,
  params: CrlParameters,
  out: (chunk: Buffer) => Promise<void>,
): Promise<{ count: number; length: number }> {
  let chunk = Buffer.allocUnsafe(CHUNK_SIZE);
  let used = 0;
  let count = 0;
  let length = 0;
  const flush = async () => {
    const full = chunk.subarray(0, used);
    length += used;
    chunk = Buffer.allocUnsafe(CHUNK_SIZE);
    used = 0;
    await out(full);
  };
  for await (const page of pages) {
    for (const entry of page) {
      if (used + MAX_ENTRY_LENGTH > CHUNK_SIZE) await flush();
      used = writeEntry(entry, checkEntryFits(entry, params), chunk, used);
      count++;
    }
  }
  if (used > 0) await flush();
  return { count, length };
}

/** The entries' count and encoded length, without encoding them. */
async function measureEntries(
  pages: AsyncIterable<readonly RevokedEntry[]>,
  params: CrlParameters,
): Promise<{ count: number; length: number }> {
  let count = 0;
  let length = 0;
  for await (const page of pages) {
    for (const entry of page) {
      length += checkEntryFits(entry, params).length;
      count++;
    }
  }
  return { count, length };
}

/**
 * Streams a signed CRL to `sink`. The DER headers before the entries need their length, so the
 * entries are gone through twice: with a `spool`, read once from `entries()`, encoded into the
 * spool and replayed from it; without one, `entries()` is iterated twice and must yield the same
 * entries both times (a difference is caught). Signs with `signDigest`, so the key must be RSA.
 * Chunks handed to `sink` are not reused.
 */
export async function writeCrl(
  params: CrlParameters,
  signingKey: SigningKey,
  entries: RevokedEntryPages,
  sink: (chunk: Buffer) => void | Promise<void>,
  spool?: CrlEntrySpool,
): Promise<{ entryCount: number; byteLength: number }> {
  checkParameters(params);
  const signatureSize = await signatureLength(signingKey); // first: a key that cannot signDigest fails fast
  const counted = spool
    ? await encodeEntries(entries(), params, (chunk) => spool.write(chunk))
    : await measureEntries(entries(), params);
  const { algorithm } = signingKey;
  const frame = crlFrame(params, algorithm.identifier, counted.length);
  const signatureHeader = bitStringHeader(signatureSize);
  const outerLength = frame.tbsLength + algorithm.identifier.length + signatureHeader.length + signatureSize;
  const outerHeader = Buffer.concat([Buffer.from([Tag.Sequence]), encodeLength(outerLength)]);

  const hash = createHash(algorithm.hash);
  hash.update(frame.head);
  await sink(Buffer.concat([outerHeader, frame.head]));
  const forward = async (chunk: Buffer) => {
    hash.update(chunk);
    await sink(chunk);
  };
  if (spool) {
    let replayed = 0;
    for await (const chunk of spool.replay()) {
      replayed += chunk.length;
      await forward(chunk);
    }
    if (replayed !== counted.length) {
      throw new Error(`the spool gave back ${replayed} bytes of entries where ${counted.length} were written`);
    }
  } else {
    const written = await encodeEntries(entries(), params, forward);
    if (written.count !== counted.count || written.length !== counted.length) {
      throw new InputError("crl_entries_changed", "the CRL entries changed between the two passes");
    }
  }
  hash.update(frame.tail);
  const signature = await signingKey.signDigest(hash.digest());
  if (signature.length !== signatureSize)
    throw new Error("the signer returned a signature of an unexpected length");
  await sink(Buffer.concat([frame.tail, algorithm.identifier, signatureHeader, signature]));
  return { entryCount: counted.count, byteLength: outerHeader.length + outerLength };
}

/** A whole CRL in memory, for small lists; signs the TBS with `sign`, so any key type works. */
export async function buildCrl(
  params: CrlParameters,
  signingKey: SigningKey,
  entries: Iterable<RevokedEntry>,
): Promise<Buffer> {
  checkParameters(params);
  const encoded: Buffer[] = [];
  let entriesLength = 0;
  for (const entry of entries) {
    const shape = checkEntryFits(entry, params);
    const bytes = Buffer.allocUnsafe(shape.length);
    writeEntry(entry, shape, bytes, 0);
    encoded.push(bytes);
    entriesLength += bytes.length;
  }
  const frame = crlFrame(params, signingKey.algorithm.identifier, entriesLength);
  const tbs = Buffer.concat([frame.head, ...encoded, frame.tail]);
  return sequence(tbs, signingKey.algorithm.identifier, bitString(await signingKey.sign(tbs)));
}

// ---------------------------------------------------------------- parsing

export interface ParsedCrl {
  /** The signed TBSCertList bytes. */
  readonly tbs: Buffer;
  /** Signature algorithm OID (GOST ones included: parsing works, verifying them is not supported). */
  readonly signatureAlgorithm: string;
  readonly signature: Buffer;
  /** The issuer Name, DER. */
  readonly issuerName: Buffer;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date;
  readonly crlNumber: bigint;
  readonly baseCrlNumber?: bigint;
  readonly authorityKeyIdentifier?: Buffer;
  /** The issuingDistributionPoint value, DER: a verifier must check the CRL's scope against it. */
  readonly issuingDistributionPoint?: Buffer;
  readonly extensions: readonly Extension[];
  /** The entries, decoded one at a time as iterated. */
  entries(): Iterable<RevokedEntry>;
  /** The entry for a serial (unsigned magnitude), if the CRL lists it. */
  findEntry(serial: Buffer): RevokedEntry | undefined;
}

const MALFORMED_CRL = "malformed_crl";
const UNDERSTOOD_CRITICAL = new Set<string>([OID.deltaCRLIndicator, OID.issuingDistributionPoint]);

/** Parses a DER CRL. Entries are read lazily, so a large CRL costs little until iterated. */
export function parseCrl(der: Buffer): ParsedCrl {
  return parsingAs(MALFORMED_CRL, "CRL", () => {
    const [tbsElement, algorithmElement, signatureElement, ...extra] = children(
      readSingle(der, Tag.Sequence),
    );
    if (extra.length > 0) throw new DerError("CertificateList has extra fields");
    const tbs = expectTag(tbsElement, Tag.Sequence, "tbsCertList");
    const signatureAlgorithm = readAlgorithmOid(algorithmElement, "signatureAlgorithm");
    const signature = readSignatureBits(signatureElement);
    const fields = children(tbs);
    let index = 0;
    if (fields[index]?.tag === Tag.Integer) {
      const version = fields[index++]!.content;
      if (version.length !== 1 || version[0] !== 1) throw new DerError("CRL version must be v2");
    }
    // Compared by OID: NCA's 2026 GOST CRL has NULL parameters outside and none inside
    if (readAlgorithmOid(fields[index++], "tbsCertList signature") !== signatureAlgorithm) {
      throw new DerError("the TBS and outer signature algorithms differ");
    }
    const issuerName = expectTag(fields[index++], Tag.Sequence, "issuer").raw;
    const thisUpdate = readTime(fieldOrMissing(fields[index++], "thisUpdate"));
    const nextElement = fields[index];
    if (nextElement?.tag !== Tag.UtcTime && nextElement?.tag !== Tag.GeneralizedTime) {
      throw new DerError("nextUpdate is missing");
    }
    const nextUpdate = readTime(nextElement);
    index++;
    const revoked = fields[index]?.tag === Tag.Sequence ? fields[index++]!.content : Buffer.alloc(0);
    const extensionsElement = fields[index++];
    if (index < fields.length) throw new DerError("tbsCertList has extra fields");
    const extensions = extensionsElement
      ? readExtensions(
          readSingle(expectTag(extensionsElement, 0xa0, "crlExtensions").content),
          "crlExtensions",
        )
      : [];
    const known = crlExtensionValues(extensions);
    return {
      tbs: tbs.raw,
      signatureAlgorithm,
      signature,
      issuerName,
      thisUpdate,
      nextUpdate,
      ...known,
      extensions,
      entries: () => iteratingAs(MALFORMED_CRL, "CRL entry", readEntries(revoked)),
      findEntry: (serial) =>
        parsingAs(MALFORMED_CRL, "CRL entry", () => findEntry(revoked, normalizeSerial(serial))),
    };
  });
}

function crlExtensionValues(extensions: readonly Extension[]) {
  let crlNumber: bigint | undefined;
  const known: {
    baseCrlNumber?: bigint;
    authorityKeyIdentifier?: Buffer;
    issuingDistributionPoint?: Buffer;
  } = {};
  for (const extension of extensions) {
    const value = () => readSingle(extension.value);
    switch (extension.oid) {
      case OID.cRLNumber:
        crlNumber = readBigInteger(value(), "cRLNumber");
        break;
      case OID.deltaCRLIndicator:
        known.baseCrlNumber = readBigInteger(value(), "deltaCRLIndicator");
        break;
      case OID.authorityKeyIdentifier: {
        const keyId = children(expectTag(value(), Tag.Sequence, "authorityKeyIdentifier")).find(
          (part) => part.tag === 0x80,
        );
        if (keyId) known.authorityKeyIdentifier = keyId.content;
        break;
      }
      case OID.issuingDistributionPoint:
        known.issuingDistributionPoint = value().raw;
        break;
      default:
        if (extension.critical && !UNDERSTOOD_CRITICAL.has(extension.oid)) {
          throw new InputError(
            "unsupported_critical_extension",
            `CRL has an unsupported critical extension ${extension.oid}`,
          );
        }
    }
  }
  if (crlNumber === undefined) throw new DerError("the cRLNumber extension is missing");
  return { crlNumber, ...known };
}

function* readEntries(revoked: Buffer): Generator<RevokedEntry> {
  for (let offset = 0; offset < revoked.length;) {
    const element = readElement(revoked, offset);
    offset += element.raw.length;
    yield readEntry(element);
  }
}

function findEntry(revoked: Buffer, serial: Buffer): RevokedEntry | undefined {
  for (let offset = 0; offset < revoked.length;) {
    const element = expectTag(readElement(revoked, offset), Tag.Sequence, "revoked entry");
    offset += element.raw.length;
    if (readSerial(readElement(element.content), "userCertificate").equals(serial)) return readEntry(element);
  }
  return undefined;
}

function readEntry(element: Element): RevokedEntry {
  const [serialElement, dateElement, extensionsElement, ...extra] = children(
    expectTag(element, Tag.Sequence, "revoked entry"),
  );
  if (extra.length > 0) throw new DerError("a revoked entry has extra fields");
  const entry: RevokedEntry = {
    serial: readSerial(serialElement, "userCertificate"),
    revokedAt: readTime(fieldOrMissing(dateElement, "revocationDate")),
  };
  if (!extensionsElement) return entry;
  for (const extension of readExtensions(extensionsElement, "crlEntryExtensions")) {
    if (extension.oid === OID.cRLReason) {
      const code = expectTag(readSingle(extension.value), Tag.Enumerated, "reasonCode").content;
      if (code.length !== 1) throw new DerError("reasonCode is out of range");
      entry.reason = revocationReasonByCode(code[0]!);
    } else if (extension.oid === OID.invalidityDate) {
      entry.invalidityDate = readTime(
        expectTag(readSingle(extension.value), Tag.GeneralizedTime, "invalidityDate"),
      );
    } else if (extension.critical) {
      throw new InputError(
        "unsupported_critical_extension",
        `CRL entry has an unsupported critical extension ${extension.oid}`,
      );
    }
  }
  return entry;
}

function fieldOrMissing(element: Element | undefined, what: string): Element {
  if (!element) throw new DerError(`${what} is missing`);
  return element;
}

/** Checks a parsed CRL's signature with its issuer's public key; GOST algorithms throw InputError. */
export function verifyCrl(crl: ParsedCrl, issuerPublicKey: KeyObject): boolean {
  return verifySignature(
    signatureAlgorithmByOid(crl.signatureAlgorithm),
    crl.tbs,
    issuerPublicKey,
    crl.signature,
  );
}
