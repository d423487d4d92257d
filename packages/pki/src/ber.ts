// A read-only view of BER through asn1js, for formats whose real files are not DER (PKCS#12 from
// NCA's software uses indefinite lengths and constructed OCTET STRINGs). asn1js does the parsing
// with its resource limits; this turns its object tree into plain elements with content bytes.
import { fromBER, type BaseBlock } from "asn1js";
import { decodeOid } from "./der.ts";

export const TagClass = { universal: 1, application: 2, context: 3, private: 4 } as const;
export const UniversalTag = {
  integer: 2,
  octetString: 4,
  oid: 6,
  sequence: 16,
  set: 17,
  bmpString: 30,
} as const;

export interface BerElement {
  readonly tagClass: number;
  readonly tagNumber: number;
  readonly constructed: boolean;
  /** Content octets of a primitive element; empty for a constructed one. */
  readonly content: Buffer;
  readonly children: readonly BerElement[];
  /** The whole encoding, header included. */
  readonly raw: Buffer;
}

export class BerError extends Error {
  override name = "BerError";
}

/** Reads a whole buffer as exactly one BER element (no trailing bytes). */
export function readBer(data: Buffer): BerElement {
  if (data.length === 0) throw new BerError("no data");
  let parsed: ReturnType<typeof fromBER>;
  try {
    parsed = fromBER(data, { parseEmbedded: false, copyInput: false });
  } catch (error) {
    // asn1js throws (rather than reporting) on some malformed values, such as bad times.
    throw new BerError(error instanceof Error ? error.message : "not BER");
  }
  const { offset, result } = parsed;
  if (offset === -1 || result.error) throw new BerError(result.error || "not BER");
  if (offset !== data.length) throw new BerError("trailing bytes after the BER value");
  return toElement(result);
}

function toElement(block: BaseBlock): BerElement {
  const { tagClass, tagNumber, isConstructed } = block.idBlock;
  const view = block.valueBeforeDecodeView;
  const raw = Buffer.from(view.buffer, view.byteOffset, view.byteLength);
  if (!isConstructed) {
    const content = raw.subarray(block.idBlock.blockLength + block.lenBlock.blockLength);
    return { tagClass, tagNumber, constructed: false, content, children: [], raw };
  }
  // Every asn1js value block of a constructed encoding keeps its children in `value`.
  const value = (block.valueBlock as unknown as { value?: unknown }).value;
  if (!Array.isArray(value)) throw new BerError(`constructed encoding of tag ${tagNumber} is not supported`);
  return {
    tagClass,
    tagNumber,
    constructed: true,
    content: Buffer.alloc(0),
    children: (value as BaseBlock[]).map(toElement),
    raw,
  };
}

/** The bytes of an OCTET STRING (or an IMPLICIT one), joining the pieces of a constructed encoding. */
export function octets(element: BerElement): Buffer {
  if (!element.constructed) return element.content;
  return Buffer.concat(
    element.children.map((child) => {
      if (child.tagClass !== TagClass.universal || child.tagNumber !== 4) {
        throw new BerError("a constructed OCTET STRING holds something other than OCTET STRINGs");
      }
      return octets(child);
    }),
  );
}

export function expectUniversal(
  element: BerElement | undefined,
  tagNumber: number,
  what: string,
): BerElement {
  if (!element) throw new BerError(`${what} is missing`);
  if (element.tagClass !== TagClass.universal || element.tagNumber !== tagNumber) {
    throw new BerError(`${what} has the wrong type`);
  }
  return element;
}

/** The single element inside an EXPLICIT context-specific tag `[tagNumber]`. */
export function explicitContent(
  element: BerElement | undefined,
  tagNumber: number,
  what: string,
): BerElement {
  if (!element) throw new BerError(`${what} is missing`);
  if (
    element.tagClass !== TagClass.context ||
    element.tagNumber !== tagNumber ||
    element.children.length !== 1
  ) {
    throw new BerError(`${what} is not an explicit [${tagNumber}]`);
  }
  return element.children[0]!;
}

export function readOid(element: BerElement | undefined, what: string): string {
  const { content } = expectUniversal(element, UniversalTag.oid, what);
  if (content.length === 0 || (content[content.length - 1]! & 0x80) !== 0)
    throw new BerError(`${what} is not a valid OID`);
  return decodeOid(content);
}

/** A non-negative INTEGER that fits in 31 bits (versions, iteration counts). */
export function readSmallInteger(element: BerElement | undefined, what: string): number {
  const { content } = expectUniversal(element, UniversalTag.integer, what);
  if (content.length === 0 || (content[0]! & 0x80) !== 0)
    throw new BerError(`${what} is not a non-negative integer`);
  let value = 0;
  for (const byte of content) {
    value = value * 256 + byte;
    if (value > 0x7fffffff) throw new BerError(`${what} is too large`);
  }
  return value;
}
