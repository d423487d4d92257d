// A small, fast DER encoder and reader. Hot paths (certificate templates, OCSP, CRL)
// use it instead of a general ASN.1 library: building a Buffer from parts is cheap,
// building an object tree and serializing it is not.

export const Tag = {
  Boolean: 0x01,
  Integer: 0x02,
  BitString: 0x03,
  OctetString: 0x04,
  Null: 0x05,
  ObjectIdentifier: 0x06,
  Enumerated: 0x0a,
  Utf8String: 0x0c,
  PrintableString: 0x13,
  Ia5String: 0x16,
  UtcTime: 0x17,
  GeneralizedTime: 0x18,
  Sequence: 0x30,
  Set: 0x31,
} as const;

export function encodeLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function tlv(tag: number, ...contents: Buffer[]): Buffer {
  const body = contents.length === 1 ? contents[0]! : Buffer.concat(contents);
  return Buffer.concat([Buffer.from([tag]), encodeLength(body.length), body]);
}

export const sequence = (...items: Buffer[]): Buffer => tlv(Tag.Sequence, ...items);

/** A SET OF, with its elements sorted as DER requires. */
export function setOf(...items: Buffer[]): Buffer {
  return tlv(Tag.Set, ...[...items].sort(Buffer.compare));
}

export const octetString = (bytes: Buffer): Buffer => tlv(Tag.OctetString, bytes);
export const utf8String = (text: string): Buffer => tlv(Tag.Utf8String, Buffer.from(text, "utf8"));
export const ia5String = (text: string): Buffer => tlv(Tag.Ia5String, Buffer.from(text, "ascii"));
export const derNull = (): Buffer => Buffer.from([Tag.Null, 0]);
export const boolean = (value: boolean): Buffer => Buffer.from([Tag.Boolean, 1, value ? 0xff : 0]);

const PRINTABLE = /^[A-Za-z0-9 '()+,\-./:=?]*$/;
export function printableString(text: string): Buffer {
  if (!PRINTABLE.test(text)) throw new RangeError(`not a PrintableString: ${JSON.stringify(text)}`);
  return tlv(Tag.PrintableString, Buffer.from(text, "ascii"));
}

/** Context-specific tag: constructed (EXPLICIT or IMPLICIT SEQUENCE) or primitive (IMPLICIT). */
export const contextConstructed = (tagNumber: number, ...contents: Buffer[]): Buffer =>
  tlv(0xa0 | tagNumber, ...contents);
export const contextPrimitive = (tagNumber: number, content: Buffer): Buffer => tlv(0x80 | tagNumber, content);

/** An unsigned big-endian magnitude as a DER INTEGER (adds the 0x00 sign byte when needed). */
export function unsignedInteger(magnitude: Buffer): Buffer {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  const trimmed = magnitude.subarray(start);
  const needsPad = trimmed.length === 0 || (trimmed[0]! & 0x80) !== 0;
  return tlv(Tag.Integer, needsPad ? Buffer.concat([Buffer.from([0]), trimmed]) : trimmed);
}

export function integer(value: number | bigint): Buffer {
  let n = BigInt(value);
  if (n < 0n) throw new RangeError("negative integers are not used here");
  const bytes: number[] = [];
  do {
    bytes.unshift(Number(n & 0xffn));
    n >>= 8n;
  } while (n > 0n);
  return unsignedInteger(Buffer.from(bytes));
}

export const enumerated = (value: number): Buffer => {
  const encoded = integer(value);
  encoded[0] = Tag.Enumerated;
  return encoded;
};

const oidCache = new Map<string, Buffer>();
export function oid(dotted: string): Buffer {
  const cached = oidCache.get(dotted);
  if (cached) return cached;
  const arcs = dotted.split(".").map((arc) => {
    if (!/^\d+$/.test(arc)) throw new RangeError(`bad OID ${dotted}`);
    return BigInt(arc);
  });
  if (arcs.length < 2) throw new RangeError(`bad OID ${dotted}`);
  const body: number[] = [];
  const pushArc = (arc: bigint) => {
    const chunk: number[] = [Number(arc & 0x7fn)];
    for (arc >>= 7n; arc > 0n; arc >>= 7n) chunk.unshift(Number(arc & 0x7fn) | 0x80);
    body.push(...chunk);
  };
  pushArc(arcs[0]! * 40n + arcs[1]!);
  for (const arc of arcs.slice(2)) pushArc(arc);
  const encoded = tlv(Tag.ObjectIdentifier, Buffer.from(body));
  oidCache.set(dotted, encoded);
  return encoded;
}

export function decodeOid(content: Buffer): string {
  const arcs: bigint[] = [];
  let value = 0n;
  for (const byte of content) {
    value = (value << 7n) | BigInt(byte & 0x7f);
    if ((byte & 0x80) === 0) {
      arcs.push(value);
      value = 0n;
    }
  }
  const first = arcs.shift() ?? 0n;
  const head = first < 80n ? [first / 40n, first % 40n] : [2n, first - 80n];
  return [...head, ...arcs].join(".");
}

export function bitString(bytes: Buffer, unusedBits = 0): Buffer {
  return tlv(Tag.BitString, Buffer.from([unusedBits]), bytes);
}

/** A named-bit BIT STRING (keyUsage, reasonFlags) in DER: trailing zero bits dropped. */
export function namedBits(bitIndexes: readonly number[]): Buffer {
  if (bitIndexes.length === 0) return Buffer.from([Tag.BitString, 1, 0]);
  const highest = Math.max(...bitIndexes);
  const bytes = Buffer.alloc(Math.floor(highest / 8) + 1);
  for (const bit of bitIndexes) bytes[bit >> 3]! |= 0x80 >> (bit & 7);
  const unused = 7 - (highest % 8);
  return bitString(bytes, unused);
}

const pad2 = (n: number) => (n < 10 ? "0" : "") + n;
/** RFC 5280 time: UTCTime through 2049, GeneralizedTime from 2050, always whole seconds in Z. */
export function time(date: Date): Buffer {
  const year = date.getUTCFullYear();
  const rest =
    pad2(date.getUTCMonth() + 1) +
    pad2(date.getUTCDate()) +
    pad2(date.getUTCHours()) +
    pad2(date.getUTCMinutes()) +
    pad2(date.getUTCSeconds()) +
    "Z";
  if (year >= 1950 && year < 2050) return tlv(Tag.UtcTime, Buffer.from(pad2(year % 100) + rest, "ascii"));
  return generalizedTime(date);
}

export function generalizedTime(date: Date, withMilliseconds = false): Buffer {
  const iso = date.toISOString(); // 2026-11-25T20:56:38.123Z
  let text = iso.slice(0, 4) + iso.slice(5, 7) + iso.slice(8, 10) + iso.slice(11, 13) + iso.slice(14, 16) + iso.slice(17, 19);
  if (withMilliseconds) {
    const millis = iso.slice(20, 23).replace(/0+$/, "");
    if (millis) text += "." + millis;
  }
  return tlv(Tag.GeneralizedTime, Buffer.from(text + "Z", "ascii"));
}

// ---------------------------------------------------------------- reading

export class DerError extends Error {
  override name = "DerError";
}

/** One decoded TLV: `content` and `raw` are views into the source buffer (no copies). */
export interface Element {
  readonly tag: number;
  readonly content: Buffer;
  readonly raw: Buffer;
}

/** Reads the TLV at `offset`. Rejects indefinite lengths and lengths past the end of `source`. */
export function readElement(source: Buffer, offset = 0): Element {
  if (offset + 2 > source.length) throw new DerError("truncated DER: no room for a tag and length");
  const tag = source[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new DerError("multi-byte DER tags are not supported");
  let lengthByte = source[offset + 1]!;
  let cursor = offset + 2;
  let length: number;
  if (lengthByte < 0x80) {
    length = lengthByte;
  } else {
    lengthByte &= 0x7f;
    if (lengthByte === 0) throw new DerError("indefinite length is not DER");
    if (lengthByte > 4) throw new DerError("DER length is too large");
    if (cursor + lengthByte > source.length) throw new DerError("truncated DER length");
    length = 0;
    for (let i = 0; i < lengthByte; i++) length = length * 256 + source[cursor++]!;
  }
  const end = cursor + length;
  if (end > source.length) throw new DerError("DER length runs past the end of the data");
  return { tag, content: source.subarray(cursor, end), raw: source.subarray(offset, end) };
}

/** Reads a whole buffer as exactly one element (no trailing bytes). */
export function readSingle(source: Buffer, expectedTag?: number): Element {
  const element = readElement(source, 0);
  if (element.raw.length !== source.length) throw new DerError("trailing bytes after DER value");
  if (expectedTag !== undefined && element.tag !== expectedTag) {
    throw new DerError(`expected tag 0x${expectedTag.toString(16)}, found 0x${element.tag.toString(16)}`);
  }
  return element;
}

/** The children of a constructed element, in order. */
export function children(parent: Element | Buffer): Element[] {
  const content = Buffer.isBuffer(parent) ? parent : parent.content;
  const found: Element[] = [];
  for (let offset = 0; offset < content.length; ) {
    const child = readElement(content, offset);
    found.push(child);
    offset += child.raw.length;
  }
  return found;
}

export function expectTag(element: Element | undefined, tag: number, what: string): Element {
  if (!element) throw new DerError(`${what} is missing`);
  if (element.tag !== tag) throw new DerError(`${what}: expected tag 0x${tag.toString(16)}, found 0x${element.tag.toString(16)}`);
  return element;
}

export function readTime(element: Element): Date {
  const text = element.content.toString("ascii");
  let match: RegExpMatchArray | null;
  if (element.tag === Tag.UtcTime && (match = /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(text))) {
    const yy = Number(match[1]);
    return new Date(Date.UTC(yy < 50 ? 2000 + yy : 1900 + yy, +match[2]! - 1, +match[3]!, +match[4]!, +match[5]!, +match[6]!));
  }
  if (element.tag === Tag.GeneralizedTime && (match = /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(?:\.(\d+))?Z$/.exec(text))) {
    const millis = match[7] ? Math.round(Number("0." + match[7]) * 1000) : 0;
    return new Date(Date.UTC(+match[1]!, +match[2]! - 1, +match[3]!, +match[4]!, +match[5]!, +match[6]!, millis));
  }
  throw new DerError(`not a valid time: ${JSON.stringify(text)}`);
}
