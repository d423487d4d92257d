// Which keys a request may use, as NCALayer decides: key type, extended key usages, the owner's
// IIN or BIN, the certificate serial, a required chain, and the validity period.
import { X509Certificate } from "node:crypto";
import { OID } from "@qoltanba/pki";
import type { KeyType } from "../protocol/messages.ts";
import { type CertificateFacts, keyTypesOf, nameValue } from "./certificateFacts.ts";

export interface KeyCriteria {
  /** Anything but SIGNATURE or AUTHENTICATION lets the person choose any key. */
  keyType?: string;
  /** Every one of these must be in the certificate's extendedKeyUsage. */
  extKeyUsageOids?: readonly string[];
  iin?: string;
  bin?: string;
  /** Hex, any case, leading zeros ignored. */
  serialNumber?: string;
  /** CA certificates (DER); non-empty: the key's certificate must chain to one of them. */
  chain?: readonly Buffer[];
  now: Date;
  /** A test setting: accept expired and not-yet-valid certificates. */
  allowInvalidTime?: boolean;
}

export function keyMatches(
  facts: CertificateFacts,
  chainInStore: readonly Buffer[],
  criteria: KeyCriteria,
): boolean {
  if (!criteria.allowInvalidTime && (criteria.now < facts.notBefore || criteria.now > facts.notAfter))
    return false;
  if (criteria.keyType === "SIGNATURE" || criteria.keyType === "AUTHENTICATION") {
    if (!keyTypesOf(facts).includes(criteria.keyType as KeyType)) return false;
  }
  for (const required of criteria.extKeyUsageOids ?? []) {
    if (!facts.extendedKeyUsage?.includes(required)) return false;
  }
  if (criteria.iin && nameValue(facts.subject, OID.serialNumber) !== `IIN${criteria.iin}`) return false;
  if (criteria.bin && nameValue(facts.subject, OID.organizationalUnitName) !== `BIN${criteria.bin}`)
    return false;
  if (criteria.serialNumber && stripZeros(criteria.serialNumber) !== stripZeros(facts.serialNumber))
    return false;
  if (criteria.chain && criteria.chain.length > 0 && !chainsTo(facts.der, chainInStore, criteria.chain))
    return false;
  return true;
}

const stripZeros = (hex: string) => hex.toUpperCase().replace(/^0+(?=.)/, "");

/** Follows issuers (signature checked at each step) through the store's chain up to one of the anchors. */
function chainsTo(leaf: Buffer, intermediates: readonly Buffer[], anchors: readonly Buffer[]): boolean {
  const anchorCertificates = anchors.map((der) => new X509Certificate(der));
  const pool = intermediates.map((der) => new X509Certificate(der));
  let current = new X509Certificate(leaf);
  for (let depth = 0; depth <= pool.length; depth++) {
    if (anchorCertificates.some((anchor) => issuedBy(current, anchor))) return true;
    const next = pool.find((candidate) => issuedBy(current, candidate));
    if (!next) return false;
    current = next;
  }
  return false;
}

const issuedBy = (certificate: X509Certificate, issuer: X509Certificate) =>
  certificate.checkIssued(issuer) && certificate.verify(issuer.publicKey);
