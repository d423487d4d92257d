import {
  boolean,
  contextConstructed,
  contextPrimitive,
  ia5String,
  integer,
  namedBits,
  octetString,
  oid,
  sequence,
  utf8String,
} from "../der.ts";
import { OID } from "../oids.ts";
import type { Extension } from "../x509-extensions.ts";
import type { SubjectIdentity } from "../subject.ts";
import { KEY_USAGE_BITS, type CertificateProfile, type PolicyOids } from "./profile.ts";

/** Where an issuer publishes what relying parties need to check the certificates it signs. */
export interface IssuerUrls {
  readonly crl: readonly string[];
  readonly deltaCrl: readonly string[];
  readonly caIssuers: string;
  /** Absent for an issuer no responder answers for (NCA's root: its certificates are checked by CRL). */
  readonly ocsp?: string;
}

/** Deployment-wide settings every profile's extensions refer to. */
export interface ProfileSettings {
  readonly policyOids: PolicyOids;
  readonly cpsUrl: string;
}


const uri = (url: string) => contextPrimitive(6, Buffer.from(url, "ascii"));
const distributionPoints = (urls: readonly string[]) =>
  sequence(sequence(contextConstructed(0, contextConstructed(0, ...urls.map(uri)))));

/** The extended key usage list: the profile's purposes, then NCA's user-type OIDs. */
export function extendedKeyUsagePurposes(
  profile: CertificateProfile,
  identity: SubjectIdentity | undefined,
  oids: PolicyOids,
): string[] {
  const purposes = [...(profile.extendedKeyUsage?.purposes ?? [])];
  if (profile.userTypeInExtendedKeyUsage && identity) {
    if (identity.kind === "individual") purposes.push(oids.individualUser);
    if (identity.kind === "legal") purposes.push(oids.legalUser, oids.roles[identity.role]);
  }
  return purposes;
}

export interface ExtensionInputs {
  readonly profile: CertificateProfile;
  readonly settings: ProfileSettings;
  /** The issuer's URLs; absent for a self-signed root. */
  readonly issuerUrls?: IssuerUrls;
  readonly authorityKeyId?: Buffer;
  readonly subjectKeyId: Buffer;
  readonly identity?: SubjectIdentity;
}

/**
 * The extensions of a certificate, in NCA's order: keyUsage, extendedKeyUsage, AKI, SKI,
 * certificatePolicies, CRL distribution points, freshestCRL, AIA — with basicConstraints first
 * for CAs and subjectAltName / ocspNoCheck where the profile has them.
 */
export function profileExtensions(inputs: ExtensionInputs): Extension[] {
  const { profile, settings, issuerUrls, identity } = inputs;
  const extensions: Extension[] = [];
  if (profile.basicConstraints) {
    const { pathLength } = profile.basicConstraints;
    extensions.push({
      oid: OID.basicConstraints,
      critical: true,
      value: sequence(boolean(true), ...(pathLength === undefined ? [] : [integer(pathLength)])),
    });
  }
  extensions.push({
    oid: OID.keyUsage,
    critical: true,
    value: namedBits(profile.keyUsage.map((usage) => KEY_USAGE_BITS[usage])),
  });
  const purposes = extendedKeyUsagePurposes(profile, identity, settings.policyOids);
  if (purposes.length > 0) {
    extensions.push({
      oid: OID.extKeyUsage,
      critical: profile.extendedKeyUsage?.critical ?? false,
      value: sequence(...purposes.map(oid)),
    });
  }
  if (profile.subjectAltName && identity?.kind === "server") {
    extensions.push({
      oid: OID.subjectAltName,
      critical: false,
      value: sequence(...identity.dnsNames.map((name) => contextPrimitive(2, Buffer.from(name, "ascii")))),
    });
  }
  if (profile.authorityKeyIdentifier) {
    if (!inputs.authorityKeyId) throw new Error(`profile ${profile.name} needs the issuer's key identifier`);
    extensions.push({
      oid: OID.authorityKeyIdentifier,
      critical: false,
      value: sequence(contextPrimitive(0, inputs.authorityKeyId)),
    });
  }
  extensions.push({ oid: OID.subjectKeyIdentifier, critical: false, value: octetString(inputs.subjectKeyId) });
  if (profile.policy) {
    const qualifiers = [sequence(oid(OID.cpsQualifier), ia5String(settings.cpsUrl))];
    if (profile.userNotice) {
      qualifiers.push(sequence(oid(OID.userNoticeQualifier), sequence(utf8String(settings.cpsUrl))));
    }
    extensions.push({
      oid: OID.certificatePolicies,
      critical: false,
      value: sequence(sequence(oid(settings.policyOids.policies[profile.policy]), sequence(...qualifiers))),
    });
  }
  const urls = (needed: boolean) => {
    if (needed && !issuerUrls) throw new Error(`profile ${profile.name} needs the issuer's publication URLs`);
    return needed ? issuerUrls! : undefined;
  };
  const crlUrls = urls(profile.crlDistributionPoint);
  if (crlUrls) extensions.push({ oid: OID.cRLDistributionPoints, critical: false, value: distributionPoints(crlUrls.crl) });
  const deltaUrls = urls(profile.freshestCrl);
  if (deltaUrls) extensions.push({ oid: OID.freshestCRL, critical: false, value: distributionPoints(deltaUrls.deltaCrl) });
  const aiaUrls = urls(profile.authorityInfoAccess !== "none");
  if (aiaUrls) {
    const access = [sequence(oid(OID.caIssuers), uri(aiaUrls.caIssuers))];
    if (profile.authorityInfoAccess === "caIssuersAndOcsp") {
      if (!aiaUrls.ocsp) throw new Error(`profile ${profile.name} names an OCSP responder, and its issuer has none`);
      access.push(sequence(oid(OID.ocsp), uri(aiaUrls.ocsp)));
    }
    extensions.push({ oid: OID.authorityInfoAccess, critical: false, value: sequence(...access) });
  }
  if (profile.ocspNoCheck) extensions.push({ oid: OID.ocspNoCheck, critical: false, value: Buffer.from([0x05, 0x00]) });
  return extensions;
}
