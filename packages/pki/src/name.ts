import { ia5String, oid, printableString, sequence, setOf, utf8String } from "./der.ts";
import { OID } from "./oids.ts";

/** One attribute of a distinguished name, in the string type NCA uses for it. */
export interface NameAttribute {
  readonly type: string;
  readonly value: string;
}

const PRINTABLE_TYPES = new Set<string>([OID.countryName, OID.serialNumber]);
const IA5_TYPES = new Set<string>([OID.emailAddress]);

function encodeValue(attribute: NameAttribute): Buffer {
  if (PRINTABLE_TYPES.has(attribute.type)) return printableString(attribute.value);
  if (IA5_TYPES.has(attribute.type)) return ia5String(attribute.value);
  return utf8String(attribute.value);
}

/** A DER Name with one attribute per RDN, in the order given. */
export function encodeName(attributes: readonly NameAttribute[]): Buffer {
  return sequence(
    ...attributes.map((attribute) => setOf(sequence(oid(attribute.type), encodeValue(attribute)))),
  );
}
