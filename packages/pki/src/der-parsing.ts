// Helpers on top of der.ts shared by the CRL and OCSP code: error mapping, serials, integers, dates.
import { DerError, type Element, Tag, children, decodeOid, expectTag } from "./der.ts";
import { InputError } from "./errors.ts";

/** Runs a parser built on der.ts's reader, turning its DerError into an InputError with `code`. */
export function parsingAs<T>(code: string, what: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof DerError) throw new InputError(code, `${what}: ${error.message}`);
    throw error;
  }
}

/** Same as parsingAs, for each value a lazy parser yields. */
export function* iteratingAs<T>(code: string, what: string, values: Iterator<T>): Generator<T> {
  for (;;) {
    const step = parsingAs(code, what, () => values.next());
    if (step.done) return;
    yield step.value;
  }
}

/** Checks that a date can be written as an X.509 time (years 0000-9999) and returns its year. */
export function checkDate(date: Date, what: string): number {
  const year = date instanceof Date ? date.getUTCFullYear() : NaN;
  if (!(year >= 0 && year <= 9999)) throw new InputError("bad_time", `${what} is not a valid date`);
  return year;
}

/**
 * A certificate serial number as its unsigned big-endian magnitude without leading zero bytes
 * (zero is one 0x00 byte), so equal serials compare equal byte for byte.
 */
export function normalizeSerial(magnitude: Buffer): Buffer {
  let start = 0;
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++;
  return magnitude.subarray(start);
}

/** Reads a serial number INTEGER (RFC 5280 4.1.2.2: never negative) as its normalized magnitude. */
export function readSerial(element: Element | undefined, what: string): Buffer {
  const content = expectTag(element, Tag.Integer, what).content;
  if (content.length === 0) throw new DerError(`${what} is an empty INTEGER`);
  if (content[0]! & 0x80) throw new DerError(`${what} is negative`);
  return normalizeSerial(content);
}

/** Reads a non-negative INTEGER of any size (CRL numbers are up to 20 octets). */
export function readBigInteger(element: Element | undefined, what: string): bigint {
  const content = readSerial(element, what);
  return BigInt("0x" + content.toString("hex"));
}

/** The OID of an AlgorithmIdentifier. */
export function readAlgorithmOid(element: Element | undefined, what: string): string {
  const [algorithm] = children(expectTag(element, Tag.Sequence, what));
  return decodeOid(expectTag(algorithm, Tag.ObjectIdentifier, what).content);
}

/** A signature BIT STRING's bytes. */
export function readSignatureBits(element: Element | undefined): Buffer {
  const bits = expectTag(element, Tag.BitString, "signature").content;
  if (bits.length < 2 || bits[0] !== 0) throw new DerError("signature is not a whole number of bytes");
  return bits.subarray(1);
}

/** The key under which a serial is stored and looked up: normalized magnitude, lowercase hex. */
export const serialHex = (magnitude: Buffer): string => normalizeSerial(magnitude).toString("hex");
