// A certificate's status from its issuer's CRLs: the newest current full CRL, completed by the
// newest delta CRL over it (RFC 5280 6.3, for CRLs signed by the certificate's issuer itself).
import type { ParsedCrl, RevokedEntry } from "../crl.ts";
import { children, DerError, readSingle, Tag } from "../der.ts";
import { namesMatch } from "../name.ts";
import type { RevocationReason } from "../revocation.ts";
import type { CertificateFacts } from "./certificate-facts.ts";
import { checkSignature } from "./signature-check.ts";
import type { RevocationStatus } from "./verdict.ts";

export interface StatusAnswer {
  readonly status: RevocationStatus;
  readonly revokedAt?: Date;
  readonly reason?: RevocationReason;
  readonly detail: string;
  /** The answer is unknown only because a signature could not be checked (GOST). */
  readonly unsupported?: boolean;
}

export function crlStatus(cert: CertificateFacts, issuer: CertificateFacts, crls: readonly ParsedCrl[], at: Date): StatusAnswer {
  if (issuer.keyUsage && !issuer.keyUsage.has("cRLSign")) {
    return { status: "unknown", detail: `the keyUsage of ${issuer.subject} does not allow signing CRLs` };
  }
  const rejected: string[] = [];
  let unsupported = false;
  const usable = crls.filter((crl) => {
    if (!namesMatch(crl.issuerName, issuer.info.subjectName)) return false;
    if (crl.authorityKeyIdentifier && !crl.authorityKeyIdentifier.equals(issuer.subjectKeyId)) return false;
    const name = `CRL #${crl.crlNumber}`;
    const outcome = checkSignature(crl.signatureAlgorithm, crl.tbs, crl.signature, issuer);
    if ("unsupported" in outcome) {
      unsupported = true;
      return void rejected.push(`${name}: ${outcome.unsupported}`);
    }
    if (!outcome.valid) return void rejected.push(`${name}: its signature does not verify with the key of ${issuer.subject}`);
    const outOfScope = scopeProblem(crl, cert);
    if (outOfScope) return void rejected.push(`${name}: ${outOfScope}`);
    if (crl.nextUpdate < at) return void rejected.push(`${name} is out of date: its next update was due ${crl.nextUpdate.toISOString()}`);
    return true;
  });
  const full = newest(usable.filter((crl) => crl.baseCrlNumber === undefined));
  if (!full) {
    const why = rejected.length > 0 ? rejected.join("; ") : `no CRL of ${issuer.subject} was found`;
    return { status: "unknown", detail: why, ...(unsupported && rejected.length > 0 ? { unsupported } : {}) };
  }
  const delta = newest(usable.filter((crl) => crl.baseCrlNumber! <= full.crlNumber && crl.crlNumber > full.crlNumber));
  const source = `CRL #${full.crlNumber} of ${full.thisUpdate.toISOString()}${delta ? ` with delta CRL #${delta.crlNumber}` : ""}`;
  const deltaEntry = delta?.findEntry(cert.info.serial);
  const entry = deltaEntry ?? full.findEntry(cert.info.serial);
  if (!entry || entry.reason === "removeFromCRL") return { status: "good", detail: `not listed in ${source}` };
  return revokedAsOf(entry, at, source);
}

/** A listed certificate is revoked at `at` once its key is known to be bad: invalidity date or revocation. */
function revokedAsOf(entry: RevokedEntry, at: Date, source: string): StatusAnswer {
  const since = entry.invalidityDate && entry.invalidityDate < entry.revokedAt ? entry.invalidityDate : entry.revokedAt;
  const listed = { revokedAt: entry.revokedAt, ...(entry.reason ? { reason: entry.reason } : {}) };
  if (since > at) return { status: "good", detail: `listed in ${source} as revoked later, at ${since.toISOString()}` };
  return { status: "revoked", ...listed, detail: `listed in ${source}` };
}

function newest(crls: readonly ParsedCrl[]): ParsedCrl | undefined {
  return [...crls].sort((a, b) => (a.crlNumber < b.crlNumber ? 1 : a.crlNumber > b.crlNumber ? -1 : 0))[0];
}

/** Why a CRL does not cover the certificate, from its issuingDistributionPoint (RFC 5280 5.2.5). */
function scopeProblem(crl: ParsedCrl, cert: CertificateFacts): string | undefined {
  if (!crl.issuingDistributionPoint) return undefined;
  try {
    return readScope(crl.issuingDistributionPoint, crl, cert);
  } catch (error) {
    if (error instanceof DerError) return `its issuingDistributionPoint is malformed: ${error.message}`;
    throw error;
  }
}

function readScope(issuingDistributionPoint: Buffer, crl: ParsedCrl, cert: CertificateFacts): string | undefined {
  const parts = children(readSingle(issuingDistributionPoint, Tag.Sequence));
  const flag = (tag: number) => parts.some((part) => part.tag === tag && part.content[0] !== 0);
  const isCa = cert.basicConstraints?.ca === true;
  if (flag(0x81) && isCa) return "it covers end-entity certificates only";
  if (flag(0x82) && !isCa) return "it covers CA certificates only";
  if (parts.some((part) => part.tag === 0x83) || flag(0x84) || flag(0x85)) {
    return "partitioned by reason, indirect or attribute-certificate CRLs are not supported";
  }
  const point = parts.find((part) => part.tag === 0xa0);
  const fullName = point && children(point).find((part) => part.tag === 0xa0);
  const urls = fullName ? children(fullName).filter((name) => name.tag === 0x86).map((uri) => uri.content.toString("latin1")) : [];
  const certUrls = crl.baseCrlNumber === undefined ? cert.crlUrls : [...cert.deltaCrlUrls, ...cert.crlUrls];
  if (urls.length > 0 && certUrls.length > 0 && !urls.some((url) => certUrls.includes(url))) {
    return "its distribution point is not one the certificate names";
  }
  return undefined;
}
