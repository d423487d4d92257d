// What the agent needs to know about a key's certificate: to pick keys as NCALayer does and to
// describe them to the person and in getKeyInfo.
import {
  children,
  decodeOid,
  OID,
  parseCertificate,
  readSingle,
  serialHex,
  subjectKeyIdentifierOf,
  Tag,
  toPem,
  type Element,
} from "@qoltanba/pki";
import type { KeyType } from "../protocol/messages.ts";

export interface NameAttributeValue {
  oid: string;
  value: string;
}

export interface CertificateFacts {
  der: Buffer;
  subject: NameAttributeValue[];
  issuer: NameAttributeValue[];
  /** Upper-case hex, as NCALayer shows it. */
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
  keyUsage: Set<KeyUsageBit>;
  /** Undefined when the certificate has no extendedKeyUsage extension. */
  extendedKeyUsage: string[] | undefined;
  keyId: string;
  authorityKeyId: string;
  publicKeyAlgorithm: string;
  publicKeyInfo: Buffer;
}

const KEY_USAGE_BITS = [
  "digitalSignature",
  "nonRepudiation",
  "keyEncipherment",
  "dataEncipherment",
  "keyAgreement",
  "keyCertSign",
  "cRLSign",
  "encipherOnly",
  "decipherOnly",
] as const;
export type KeyUsageBit = (typeof KEY_USAGE_BITS)[number];

const SHORT_NAMES: Record<string, string> = {
  "2.5.4.3": "CN",
  "2.5.4.4": "SURNAME",
  "2.5.4.5": "SERIALNUMBER",
  "2.5.4.6": "C",
  "2.5.4.7": "L",
  "2.5.4.8": "ST",
  "2.5.4.10": "O",
  "2.5.4.11": "OU",
  "2.5.4.42": "G",
  "1.2.840.113549.1.9.1": "E",
  "0.9.2342.19200300.100.1.25": "DC",
};

const RSA_ENCRYPTION = "1.2.840.113549.1.1.1";
const EC_PUBLIC_KEY = "1.2.840.10045.2.1";

export function certificateFacts(der: Buffer): CertificateFacts {
  const info = parseCertificate(der);
  const keyUsageExtension = info.extensions.get(OID.keyUsage);
  const ekuExtension = info.extensions.get(OID.extKeyUsage);
  const akiExtension = info.extensions.get(OID.authorityKeyIdentifier);
  const algorithmOid = decodeOid(
    children(children(readSingle(info.publicKeyInfo, Tag.Sequence))[0]!)[0]!.content,
  );
  return {
    der,
    subject: readName(info.subjectName),
    issuer: readName(info.issuerName),
    serialNumber: serialHex(info.serial).toUpperCase(),
    notBefore: info.notBefore,
    notAfter: info.notAfter,
    keyUsage: keyUsageExtension ? readKeyUsage(keyUsageExtension.value) : new Set(),
    extendedKeyUsage: ekuExtension
      ? children(readSingle(ekuExtension.value, Tag.Sequence)).map((element) => decodeOid(element.content))
      : undefined,
    keyId: subjectKeyIdentifierOf(info).toString("hex"),
    authorityKeyId: akiExtension ? readAuthorityKeyId(akiExtension.value) : "",
    publicKeyAlgorithm:
      algorithmOid === RSA_ENCRYPTION ? "RSA" : algorithmOid === EC_PUBLIC_KEY ? "EC" : algorithmOid,
    publicKeyInfo: info.publicKeyInfo,
  };
}

function readName(name: Buffer): NameAttributeValue[] {
  const attributes: NameAttributeValue[] = [];
  for (const rdn of children(readSingle(name, Tag.Sequence))) {
    for (const attribute of children(rdn)) {
      const [type, value] = children(attribute);
      attributes.push({ oid: decodeOid(type!.content), value: decodeString(value!) });
    }
  }
  return attributes;
}

function decodeString(element: Element): string {
  // BMPString is UTF-16BE; the other string types used in names are read as UTF-8.
  if (element.tag === 0x1e) return Buffer.from(element.content).swap16().toString("utf16le");
  return element.content.toString("utf8");
}

function readKeyUsage(value: Buffer): Set<KeyUsageBit> {
  const bits = readSingle(value, Tag.BitString).content;
  const usages = new Set<KeyUsageBit>();
  KEY_USAGE_BITS.forEach((usage, index) => {
    const byte = bits[1 + (index >> 3)];
    if (byte !== undefined && byte & (0x80 >> (index & 7))) usages.add(usage);
  });
  return usages;
}

function readAuthorityKeyId(value: Buffer): string {
  const keyId = children(readSingle(value, Tag.Sequence)).find((element) => element.tag === 0x80);
  return keyId ? keyId.content.toString("hex") : "";
}

/** Names as NCALayer prints them: `CN=…,SURNAME=…,SERIALNUMBER=IIN…,C=KZ` in encoding order. */
export function formatName(attributes: readonly NameAttributeValue[]): string {
  return attributes
    .map((attribute) => `${SHORT_NAMES[attribute.oid] ?? attribute.oid}=${attribute.value}`)
    .join(",");
}

export const nameValue = (attributes: readonly NameAttributeValue[], oid: string): string | undefined =>
  attributes.find((attribute) => attribute.oid === oid)?.value;

export const commonNameOf = (attributes: readonly NameAttributeValue[]): string =>
  nameValue(attributes, OID.commonName) ?? "";

/** NCALayer's key types: SIGNATURE keys have nonRepudiation; AUTHENTICATION keys encipher keys or authenticate clients. */
export function keyTypesOf(facts: CertificateFacts): KeyType[] {
  const types: KeyType[] = [];
  if (facts.keyUsage.has("nonRepudiation")) types.push("SIGNATURE");
  if (facts.keyUsage.has("keyEncipherment") || facts.extendedKeyUsage?.includes(CLIENT_AUTH))
    types.push("AUTHENTICATION");
  return types;
}

const CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";

export const certificatePem = (facts: CertificateFacts): string => toPem("CERTIFICATE", facts.der);
