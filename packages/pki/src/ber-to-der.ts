import { BerError, type BerElement, readBer, TagClass } from "./ber.ts";
import { DerError, type Element, readElement, tlv } from "./der.ts";

// Universal string types whose BER form may be constructed (a chain of primitive segments).
const STRING_TAG_NUMBERS = new Set([3, 4, 12, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 30]);
const BIT_STRING = 3;
const MAX_DEPTH = 64;
const CLASS_BITS: Record<number, number> = {
  [TagClass.universal]: 0x00,
  [TagClass.application]: 0x40,
  [TagClass.context]: 0x80,
  [TagClass.private]: 0xc0,
};

/**
 * Turns BER (indefinite lengths, constructed strings), as real NCALayer signatures and streamed
 * `openssl cms` output use, into DER that der.ts reads. DER input comes back unchanged, and every
 * part that der.ts can already read keeps its original bytes, so embedded certificates and signed
 * attributes stay exactly what was signed. Throws DerError for anything that is not BER.
 */
export function berToDer(input: Buffer): Buffer {
  if (readableAsIs(input)) return input;
  let root: BerElement;
  try {
    root = readBer(input);
  } catch (error) {
    if (error instanceof BerError) throw new DerError(`not valid BER: ${error.message}`);
    throw error;
  }
  return reencode(root).bytes;
}

/** True when der.ts can walk the whole tree: definite lengths only and no constructed strings. */
function readableAsIs(input: Buffer): boolean {
  try {
    const element = readElement(input);
    return element.raw.length === input.length && walkable(element, 0);
  } catch (error) {
    if (error instanceof DerError) return false;
    throw error;
  }
}

function walkable(element: Element, depth: number): boolean {
  if ((element.tag & 0x20) === 0) return true;
  if ((element.tag & 0xc0) === 0 && STRING_TAG_NUMBERS.has(element.tag & 0x1f)) return false;
  if (depth >= MAX_DEPTH) return false;
  for (let offset = 0; offset < element.content.length;) {
    const child = readElement(element.content, offset);
    if (!walkable(child, depth + 1)) return false;
    offset += child.raw.length;
  }
  return true;
}

function reencode(element: BerElement): { bytes: Buffer; unchanged: boolean } {
  const { tagClass, tagNumber, constructed, raw } = element;
  if (tagNumber > 30) throw new DerError(`tag number ${tagNumber} is not supported`);
  if (!constructed) return { bytes: raw, unchanged: true };
  const parts = element.children.map(reencode);
  if (tagClass === TagClass.universal && STRING_TAG_NUMBERS.has(tagNumber)) {
    return { bytes: joinSegments(tagNumber, parts), unchanged: false };
  }
  const indefinite = raw[1] === 0x80; // tag numbers up to 30 take one byte, so the length starts at raw[1]
  if (!indefinite && parts.every((part) => part.unchanged)) return { bytes: raw, unchanged: true };
  return {
    bytes: tlv(CLASS_BITS[tagClass]! | 0x20 | tagNumber, ...parts.map((part) => part.bytes)),
    unchanged: false,
  };
}

/** A constructed string's segments joined into one primitive value (X.690 8.6.4, 8.7.3). */
function joinSegments(tagNumber: number, parts: Array<{ bytes: Buffer }>): Buffer {
  const segments = parts.map(({ bytes }) => {
    const segment = readElement(bytes);
    if (segment.tag !== tagNumber) {
      throw new DerError(`a constructed string holds a segment with tag 0x${segment.tag.toString(16)}`);
    }
    return segment.content;
  });
  if (tagNumber !== BIT_STRING) return tlv(tagNumber, ...segments);
  if (segments.some((segment) => segment.length === 0)) throw new DerError("empty BIT STRING segment");
  const unusedBits = segments.at(-1)?.[0] ?? 0;
  return tlv(tagNumber, Buffer.from([unusedBits]), ...segments.map((segment) => segment.subarray(1)));
}
