import {
  Tag,
  boolean,
  children,
  decodeOid,
  DerError,
  type Element,
  expectTag,
  octetString,
  oid,
  sequence,
} from "./der.ts";

/** One X.509 extension; `value` is the extnValue OCTET STRING's contents (a DER value). */
export interface Extension {
  readonly oid: string;
  readonly critical: boolean;
  readonly value: Buffer;
}

export function encodeExtension(extensionOid: string, critical: boolean, value: Buffer): Buffer {
  return critical
    ? sequence(oid(extensionOid), boolean(true), octetString(value))
    : sequence(oid(extensionOid), octetString(value));
}

/** Reads an Extensions SEQUENCE; an extension that appears twice is an error (RFC 5280 4.2). */
export function readExtensions(extensions: Element, what: string): Extension[] {
  expectTag(extensions, Tag.Sequence, what);
  const found: Extension[] = [];
  for (const item of children(extensions)) {
    const parts = children(expectTag(item, Tag.Sequence, `${what}: extension`));
    const extensionOid = decodeOid(
      expectTag(parts[0], Tag.ObjectIdentifier, `${what}: extension id`).content,
    );
    let index = 1;
    let critical = false;
    if (parts[index]?.tag === Tag.Boolean) {
      const flag = parts[index++]!.content;
      if (flag.length !== 1) throw new DerError(`${what}: bad critical flag of ${extensionOid}`);
      critical = flag[0] !== 0;
    }
    const value = expectTag(parts[index++], Tag.OctetString, `${what}: value of ${extensionOid}`).content;
    if (index !== parts.length) throw new DerError(`${what}: extension ${extensionOid} has extra fields`);
    if (found.some((extension) => extension.oid === extensionOid)) {
      throw new DerError(`${what}: extension ${extensionOid} appears twice`);
    }
    found.push({ oid: extensionOid, critical, value });
  }
  return found;
}
