import { parsingAs } from "./der-parsing.ts";
import {
  children,
  decodeOid,
  type Element,
  expectTag,
  ia5String,
  oid,
  printableString,
  readSingle,
  sequence,
  setOf,
  Tag,
  utf8String,
} from "./der.ts";
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

// ---------------------------------------------------------------- reading names

/** Short names as OpenSSL prints them, so a person sees the same text from both tools. */
const SHORT_NAMES: Record<string, string> = {
  [OID.commonName]: "CN",
  [OID.surname]: "SN",
  [OID.serialNumber]: "serialNumber",
  [OID.countryName]: "C",
  [OID.localityName]: "L",
  [OID.stateOrProvinceName]: "ST",
  [OID.organizationName]: "O",
  [OID.organizationalUnitName]: "OU",
  [OID.givenName]: "GN",
  [OID.emailAddress]: "emailAddress",
  "2.5.4.9": "street",
  "2.5.4.12": "title",
  "2.5.4.17": "postalCode",
  "2.5.4.43": "initials",
  "2.5.4.46": "dnQualifier",
  "2.5.4.65": "pseudonym",
  "2.5.4.97": "organizationIdentifier",
  "0.9.2342.19200300.100.1.1": "UID",
  "0.9.2342.19200300.100.1.25": "DC",
};

function decodeString(element: Element): string {
  switch (element.tag) {
    case 0x1e: // BMPString
      return Buffer.from(element.content).swap16().toString("utf16le");
    case 0x1c: {
      // UniversalString: UTF-32BE; what is no code point shows as U+FFFD
      let text = "";
      for (let offset = 0; offset + 4 <= element.content.length; offset += 4) {
        const codePoint = element.content.readUInt32BE(offset);
        text += String.fromCodePoint(codePoint <= 0x10ffff ? codePoint : 0xfffd);
      }
      return text;
    }
    case 0x14: // TeletexString: in practice Latin-1
      return element.content.toString("latin1");
    default:
      return element.content.toString("utf8");
  }
}

/** The attributes of a DER Name: one inner list per RDN. Throws InputError when malformed. */
export function readName(der: Buffer): NameAttribute[][] {
  return parsingAs("bad_name", "distinguished name", () =>
    children(readSingle(der, Tag.Sequence)).map((rdn) =>
      children(expectTag(rdn, Tag.Set, "RDN")).map((attribute) => {
        const [type, value] = children(expectTag(attribute, Tag.Sequence, "AttributeTypeAndValue"));
        return {
          type: decodeOid(expectTag(type, Tag.ObjectIdentifier, "attribute type").content),
          value: value ? decodeString(value) : "",
        };
      }),
    ),
  );
}

/** A Name for people, in encoding order as `openssl -nameopt utf8` shows it: "CN=…, O=…, C=KZ". */
export function formatName(der: Buffer): string {
  return readName(der)
    .map((rdn) => rdn.map(({ type, value }) => `${SHORT_NAMES[type] ?? type}=${value}`).join(" + "))
    .join(", ");
}

const canonical = (der: Buffer) =>
  JSON.stringify(
    readName(der).map((rdn) =>
      rdn.map(({ type, value }) => [type, value.trim().replace(/\s+/g, " ").toLowerCase()]).sort(),
    ),
  );

/**
 * Whether two DER Names name the same entity: byte-equal, or equal after RFC 5280 7.1's
 * normalisation (case and spacing, string types aside) for a CA that re-encoded its name.
 */
export function namesMatch(a: Buffer, b: Buffer): boolean {
  if (a.equals(b)) return true;
  try {
    return canonical(a) === canonical(b);
  } catch {
    return false;
  }
}
