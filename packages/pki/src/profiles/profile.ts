import type { LegalRole, SubjectIdentity } from "../subject.ts";
import { OID } from "../oids.ts";

export type KeyUsage =
  | "digitalSignature"
  | "nonRepudiation"
  | "keyEncipherment"
  | "dataEncipherment"
  | "keyAgreement"
  | "keyCertSign"
  | "cRLSign";

export const KEY_USAGE_BITS: Record<KeyUsage, number> = {
  digitalSignature: 0,
  nonRepudiation: 1,
  keyEncipherment: 2,
  dataEncipherment: 3,
  keyAgreement: 4,
  keyCertSign: 5,
  cRLSign: 6,
};

/** Profiles a person or server may request through `issueCertificate`. */
export type EndEntityProfileName = "individual-auth" | "individual-sign" | "legal-auth" | "legal-sign" | "tls-server";
/** Profiles only the CA itself uses, for its own hierarchy and services. */
export type AuthorityProfileName = "root-ca" | "issuing-ca" | "ocsp-responder" | "tsa";
export type ProfileName = EndEntityProfileName | AuthorityProfileName;

export const END_ENTITY_PROFILES: readonly EndEntityProfileName[] = [
  "individual-auth",
  "individual-sign",
  "legal-auth",
  "legal-sign",
  "tls-server",
];

/** Which policy OID (from PolicyOids) a profile's certificatePolicies carries. */
export type PolicyKey = "root" | "issuing" | "individualAuth" | "individualSign" | "legalAuth" | "legalSign";

/** Where a key is kept: the validity differs (files 1 year, hardware tokens 3 years). */
export type KeyStorage = "file" | "token";

/** The OIDs a deployment uses. They default to NCA's so pages that filter on them work unchanged. */
export interface PolicyOids {
  readonly policies: Record<PolicyKey, string>;
  readonly individualUser: string;
  readonly legalUser: string;
  readonly roles: Record<LegalRole, string>;
}

export const NCA_POLICY_OIDS: PolicyOids = {
  policies: {
    root: OID.ncaRootPolicy,
    issuing: OID.ncaIssuingPolicy,
    individualAuth: OID.ncaIndividualAuthPolicy,
    individualSign: OID.ncaIndividualSignPolicy,
    legalAuth: OID.ncaLegalAuthPolicy,
    legalSign: OID.ncaLegalSignPolicy,
  },
  individualUser: OID.ncaIndividual,
  legalUser: OID.ncaLegalEntity,
  roles: {
    head: OID.ncaHead,
    "may-sign": OID.ncaMaySign,
    "may-sign-financial": OID.ncaMaySignFinancial,
    hr: OID.ncaHumanResources,
    employee: OID.ncaEmployee,
  },
};

/** A certificate profile, as data: everything the builder and the linter need to agree on. */
export interface CertificateProfile {
  readonly name: ProfileName;
  /** Whose certificate: a verified identity of this kind, or the CA's own service ("authority"). */
  readonly subject: SubjectIdentity["kind"] | "authority";
  readonly keyUsage: readonly KeyUsage[];
  readonly extendedKeyUsage?: { readonly purposes: readonly string[]; readonly critical: boolean };
  /** Adds the user-type OID (individual / legal entity + role) into extendedKeyUsage, as NCA does. */
  readonly userTypeInExtendedKeyUsage: boolean;
  readonly basicConstraints?: { readonly pathLength?: number };
  readonly policy?: PolicyKey;
  /** With a user notice carrying the CPS URL, as NCA's end-entity certificates have. */
  readonly userNotice: boolean;
  readonly subjectAltName: boolean;
  readonly authorityKeyIdentifier: boolean;
  /** CRL distribution point (full CRL). */
  readonly crlDistributionPoint: boolean;
  /** freshestCRL (delta CRL). */
  readonly freshestCrl: boolean;
  readonly authorityInfoAccess: "none" | "caIssuers" | "caIssuersAndOcsp";
  readonly ocspNoCheck: boolean;
  /** Validity in months by key storage. */
  readonly validityMonths: Record<KeyStorage, number>;
}

const endEntity = {
  userNotice: true,
  subjectAltName: false,
  authorityKeyIdentifier: true,
  crlDistributionPoint: true,
  freshestCrl: true,
  authorityInfoAccess: "caIssuersAndOcsp",
  ocspNoCheck: false,
  validityMonths: { file: 12, token: 36 },
} as const;

export const PROFILES: Record<ProfileName, CertificateProfile> = {
  "individual-auth": {
    ...endEntity,
    name: "individual-auth",
    subject: "individual",
    keyUsage: ["digitalSignature", "keyEncipherment"],
    extendedKeyUsage: { purposes: [OID.clientAuth], critical: false },
    userTypeInExtendedKeyUsage: true,
    policy: "individualAuth",
  },
  "individual-sign": {
    ...endEntity,
    name: "individual-sign",
    subject: "individual",
    keyUsage: ["digitalSignature", "nonRepudiation"],
    extendedKeyUsage: { purposes: [OID.emailProtection], critical: false },
    userTypeInExtendedKeyUsage: true,
    policy: "individualSign",
  },
  "legal-auth": {
    ...endEntity,
    name: "legal-auth",
    subject: "legal",
    keyUsage: ["digitalSignature", "keyEncipherment"],
    extendedKeyUsage: { purposes: [OID.clientAuth], critical: false },
    userTypeInExtendedKeyUsage: true,
    policy: "legalAuth",
  },
  "legal-sign": {
    ...endEntity,
    name: "legal-sign",
    subject: "legal",
    keyUsage: ["digitalSignature", "nonRepudiation"],
    extendedKeyUsage: { purposes: [OID.emailProtection], critical: false },
    userTypeInExtendedKeyUsage: true,
    policy: "legalSign",
  },
  "tls-server": {
    ...endEntity,
    name: "tls-server",
    subject: "server",
    keyUsage: ["digitalSignature", "keyEncipherment"],
    extendedKeyUsage: { purposes: [OID.serverAuth], critical: false },
    userTypeInExtendedKeyUsage: false,
    userNotice: false,
    subjectAltName: true,
    freshestCrl: false,
    validityMonths: { file: 12, token: 12 },
  },
  "root-ca": {
    name: "root-ca",
    subject: "authority",
    keyUsage: ["keyCertSign", "cRLSign"],
    userTypeInExtendedKeyUsage: false,
    basicConstraints: {},
    policy: "root",
    userNotice: false,
    subjectAltName: false,
    authorityKeyIdentifier: false,
    crlDistributionPoint: false,
    freshestCrl: false,
    authorityInfoAccess: "none",
    ocspNoCheck: false,
    validityMonths: { file: 240, token: 240 },
  },
  "issuing-ca": {
    name: "issuing-ca",
    subject: "authority",
    keyUsage: ["digitalSignature", "keyCertSign", "cRLSign"],
    userTypeInExtendedKeyUsage: false,
    basicConstraints: { pathLength: 0 },
    policy: "issuing",
    userNotice: false,
    subjectAltName: false,
    authorityKeyIdentifier: true,
    crlDistributionPoint: true,
    freshestCrl: false,
    authorityInfoAccess: "caIssuers",
    ocspNoCheck: false,
    validityMonths: { file: 120, token: 120 },
  },
  "ocsp-responder": {
    name: "ocsp-responder",
    subject: "authority",
    keyUsage: ["digitalSignature"],
    extendedKeyUsage: { purposes: [OID.ocspSigning], critical: false },
    userTypeInExtendedKeyUsage: false,
    userNotice: false,
    subjectAltName: false,
    authorityKeyIdentifier: true,
    crlDistributionPoint: false,
    freshestCrl: false,
    authorityInfoAccess: "caIssuers",
    ocspNoCheck: true,
    validityMonths: { file: 12, token: 12 },
  },
  tsa: {
    name: "tsa",
    subject: "authority",
    keyUsage: ["digitalSignature", "nonRepudiation"],
    extendedKeyUsage: { purposes: [OID.timeStamping], critical: true },
    userTypeInExtendedKeyUsage: false,
    userNotice: false,
    subjectAltName: false,
    authorityKeyIdentifier: true,
    crlDistributionPoint: true,
    freshestCrl: false,
    authorityInfoAccess: "caIssuersAndOcsp",
    ocspNoCheck: false,
    validityMonths: { file: 60, token: 60 },
  },
};

export function isEndEntityProfile(name: string): name is EndEntityProfileName {
  return (END_ENTITY_PROFILES as readonly string[]).includes(name);
}
