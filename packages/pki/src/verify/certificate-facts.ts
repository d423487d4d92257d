// What path validation and revocation checking read from a certificate, decoded once.
import { type CertificateInfo, parseCertificate, subjectKeyIdentifierOf } from "../certificateInfo.ts";
import { parsingAs, readAlgorithmOid, serialHex } from "../der-parsing.ts";
import { children, decodeOid, DerError, type Element, expectTag, readSingle, Tag } from "../der.ts";
import { formatName, namesMatch } from "../name.ts";
import { OID } from "../oids.ts";
import { KEY_USAGE_BITS, type KeyUsage } from "../profiles/profile.ts";

export interface CertificateFacts {
  readonly info: CertificateInfo;
  readonly subject: string;
  readonly issuer: string;
  /** Lowercase hex of the serial's magnitude. */
  readonly serial: string;
  readonly selfIssued: boolean;
  readonly basicConstraints?: { readonly ca: boolean; readonly pathLength?: number };
  /** Absent when the certificate has no keyUsage extension (any use allowed). */
  readonly keyUsage?: ReadonlySet<KeyUsage>;
  readonly extendedKeyUsage?: { readonly purposes: readonly string[]; readonly critical: boolean };
  readonly subjectKeyId: Buffer;
  readonly authorityKeyId?: Buffer;
  readonly ocspUrls: readonly string[];
  readonly caIssuerUrls: readonly string[];
  readonly crlUrls: readonly string[];
  readonly deltaCrlUrls: readonly string[];
  readonly ocspNoCheck: boolean;
  /** Critical extensions this verifier does not process: RFC 5280 4.2 says to reject the certificate. */
  readonly unknownCriticalExtensions: readonly string[];
  readonly publicKeyAlgorithm: string;
}

/**
 * Extensions whose meaning the verifier applies. certificatePolicies is among them because no
 * policy set is required (RFC 5280 6.1.1: any-policy); name and policy constraints are not.
 */
const PROCESSED = new Set<string>([
  OID.basicConstraints,
  OID.keyUsage,
  OID.extKeyUsage,
  OID.subjectKeyIdentifier,
  OID.authorityKeyIdentifier,
  OID.subjectAltName,
  "2.5.29.18", // issuerAltName
  OID.certificatePolicies,
  OID.cRLDistributionPoints,
  OID.freshestCRL,
  OID.authorityInfoAccess,
  OID.ocspNoCheck,
]);

const URI_TAG = 0x86;

export function certificateFacts(der: Buffer): CertificateFacts {
  const info = parseCertificate(der);
  return parsingAs("bad_certificate", "certificate extensions", () => {
    const value = (oid: string) => {
      const extension = info.extensions.get(oid);
      return extension && readSingle(extension.value);
    };
    const aia = value(OID.authorityInfoAccess);
    const accessUrls = (method: string) =>
      aia
        ? children(aia)
            .map((description) => children(description))
            .filter(([accessMethod]) => accessMethod && decodeOid(accessMethod.content) === method)
            .flatMap(([, location]) => (location?.tag === URI_TAG ? [location.content.toString("latin1")] : []))
        : [];
    const eku = info.extensions.get(OID.extKeyUsage);
    const basicConstraints = value(OID.basicConstraints);
    const keyUsage = value(OID.keyUsage);
    const authorityKeyId = value(OID.authorityKeyIdentifier);
    return {
      info,
      subject: formatName(info.subjectName),
      issuer: formatName(info.issuerName),
      serial: serialHex(info.serial),
      selfIssued: namesMatch(info.subjectName, info.issuerName),
      ...(basicConstraints ? { basicConstraints: readBasicConstraints(basicConstraints) } : {}),
      ...(keyUsage ? { keyUsage: readKeyUsage(keyUsage) } : {}),
      ...(eku
        ? {
            extendedKeyUsage: {
              purposes: children(readSingle(eku.value, Tag.Sequence)).map((purpose) =>
                decodeOid(expectTag(purpose, Tag.ObjectIdentifier, "extKeyUsage purpose").content),
              ),
              critical: eku.critical,
            },
          }
        : {}),
      subjectKeyId: subjectKeyIdentifierOf(info),
      ...(authorityKeyId ? readAuthorityKeyId(authorityKeyId) : {}),
      ocspUrls: accessUrls(OID.ocsp),
      caIssuerUrls: accessUrls(OID.caIssuers),
      crlUrls: distributionPointUrls(value(OID.cRLDistributionPoints)),
      deltaCrlUrls: distributionPointUrls(value(OID.freshestCRL)),
      ocspNoCheck: info.extensions.has(OID.ocspNoCheck),
      unknownCriticalExtensions: [...info.extensions]
        .filter(([oid, extension]) => extension.critical && !PROCESSED.has(oid))
        .map(([oid]) => oid),
      publicKeyAlgorithm: readAlgorithmOid(children(readSingle(info.publicKeyInfo, Tag.Sequence))[0], "subjectPublicKeyInfo"),
    };
  });
}

function readBasicConstraints(element: Element): { ca: boolean; pathLength?: number } {
  const fields = children(expectTag(element, Tag.Sequence, "basicConstraints"));
  const ca = fields[0]?.tag === Tag.Boolean ? fields.shift()!.content[0] !== 0 : false;
  const pathLength = fields[0] && expectTag(fields[0], Tag.Integer, "pathLenConstraint").content;
  if (pathLength && (pathLength.length > 4 || pathLength[0]! & 0x80)) throw new DerError("pathLenConstraint is out of range");
  return pathLength ? { ca, pathLength: pathLength.readUIntBE(0, pathLength.length) } : { ca };
}

function readKeyUsage(element: Element): Set<KeyUsage> {
  const bits = expectTag(element, Tag.BitString, "keyUsage").content.subarray(1);
  const isSet = (bit: number) => ((bits[bit >> 3] ?? 0) & (0x80 >> (bit & 7))) !== 0;
  return new Set((Object.keys(KEY_USAGE_BITS) as KeyUsage[]).filter((name) => isSet(KEY_USAGE_BITS[name])));
}

function readAuthorityKeyId(element: Element): { authorityKeyId?: Buffer } {
  const keyId = children(expectTag(element, Tag.Sequence, "authorityKeyIdentifier")).find((part) => part.tag === 0x80);
  return keyId ? { authorityKeyId: keyId.content } : {};
}

/** The URIs of CRLDistributionPoints or FreshestCRL (fullName only; relative names are not used by NCA). */
function distributionPointUrls(element: Element | undefined): string[] {
  if (!element) return [];
  return children(expectTag(element, Tag.Sequence, "CRLDistributionPoints")).flatMap((point) => {
    const name = children(expectTag(point, Tag.Sequence, "DistributionPoint")).find((part) => part.tag === 0xa0);
    const fullName = name && children(name).find((part) => part.tag === 0xa0);
    return fullName
      ? children(fullName)
          .filter((general) => general.tag === URI_TAG)
          .map((uri) => uri.content.toString("latin1"))
      : [];
  });
}
