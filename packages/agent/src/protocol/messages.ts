// The NCALayer WebSocket protocol as real pages speak it: request and reply shapes of each module.
// Shared by the agent and, later, the portal's browser client; no Node imports here.

export const NCALAYER_VERSION = "1.4";
export const HEARTBEAT = "--heartbeat--";

export const MODULES = {
  commonUtils: "kz.gov.pki.knca.commonUtils",
  basics: "kz.gov.pki.knca.basics",
  accessory: "kz.gov.pki.ncalayerservices.accessory",
} as const;

/** Storage names of the protocol: `PKCS12` is a key file; the others are hardware tokens. */
export const FILE_STORAGE = "PKCS12";
export const HARDWARE_STORAGES = [
  "AKKaztokenStore",
  "AKKZIDCardStore",
  "AKEToken72KStore",
  "AKEToken5110Store",
  "AKJaCartaStore",
  "AKAKEYStore",
] as const;

export type KeyType = "SIGNATURE" | "AUTHENTICATION";

/** The first message on every connection; clients wait for it before sending anything. */
export interface Greeting {
  result: { version: string };
}
export const greeting = (): Greeting => ({ result: { version: NCALAYER_VERSION } });

/** A request with a module: positional `args` for commonUtils, named `args` for basics. */
export interface ModuleRequest {
  module: string;
  method: string;
  args?: unknown;
  /** commonUtils echoes it in the reply. */
  uuid?: string;
}

// ---------------------------------------------------------------- kz.gov.pki.knca.commonUtils

export type CommonUtilsMethod =
  | "getActiveTokens"
  | "getKeyInfo"
  | "createCAdESFromBase64"
  | "createCAdESFromBase64Hash"
  | "createCMSSignatureFromBase64"
  | "createCMSSignatureFromFile"
  | "createCAdESFromFile"
  | "applyCAdEST"
  | "signXml"
  | "signXmls"
  | "showFileChooser"
  | "changeLocale";

export interface CommonUtilsSuccess<T = unknown> {
  code: "200";
  responseObject?: T;
  uuid?: string;
}
export interface CommonUtilsFailure {
  code: "500";
  message: string;
  uuid?: string;
}
export type CommonUtilsReply<T = unknown> = CommonUtilsSuccess<T> | CommonUtilsFailure;

/** Messages of commonUtils failures that pages test for. */
export const COMMON_UTILS_MESSAGES = {
  cancelled: "action.canceled",
  storageEmpty: "storageName.param.empty",
  storageUnknown: "storage.unknown",
  noKeys: "storage.empty",
  fileNotFound: "file.not_found",
} as const;

/** What getKeyInfo returns: the chosen key's certificate. Dates are epoch milliseconds, as strings. */
export interface KeyInfo {
  alias: string;
  keyId: string;
  algorithm: string;
  subjectCn: string;
  subjectDn: string;
  issuerCn: string;
  issuerDn: string;
  serialNumber: string;
  certNotBefore: string;
  certNotAfter: string;
  authorityKeyIdentifier: string;
  pem: string;
}

// ---------------------------------------------------------------- kz.gov.pki.knca.basics

export type SignFormat = "cms" | "xml" | "raw";

export interface SigningParams {
  /** `data` is base64 (default true for cms and raw). */
  decode?: boolean;
  /** Attached CMS (default true). */
  encapsulate?: boolean;
  /** `data` is already a SHA-256 digest. */
  digested?: boolean;
  /** Present: add a signature time-stamp (CAdES-T) from the configured TSA. */
  tsaProfile?: Record<string, unknown>;
  /** Reply `{signatures, certificate}` instead of the signatures alone. */
  outputCert?: boolean;
  /** XML: the element to sign and where to put the signature (XPath); default the whole document. */
  tbsElementXPath?: string;
  signatureParentElementXPath?: string;
}

export interface SignerParams {
  extKeyUsageOids: string[];
  iin?: string;
  bin?: string;
  serialNumber?: string;
  /** PEM certificates; non-empty: the signer must chain to one of them. */
  chain?: string[];
}

export interface BasicsSignArgs {
  allowedStorages: string[] | null;
  format: SignFormat;
  data: string | string[];
  signingParams: SigningParams;
  signerParams: SignerParams;
  locale?: string;
  logo?: string;
}

/** Qoltanba's enrollment methods (docs/agent-protocol.md). */
export interface GenerateCsrArgs {
  storage: typeof FILE_STORAGE | (typeof HARDWARE_STORAGES)[number];
  /** The portal's application number; the agent remembers where this application's keys are. */
  applicationId: string;
  /** Default both, AUTH first. */
  keys?: Array<"AUTH" | "SIGN">;
}
export interface GenerateCsrResult {
  /** PEM PKCS#10 requests by key role. */
  csrs: Partial<Record<"AUTH" | "SIGN", string>>;
}

export interface ImportCertificateArgs {
  storage: typeof FILE_STORAGE | (typeof HARDWARE_STORAGES)[number];
  applicationId: string;
  /** Key files only: the person picks the folder again in the agent's chooser (the keys were moved). */
  changeFolder?: boolean;
  /** The issued certificates (PEM or base64 DER), at most one per key. */
  certificates: string[];
  /** The issuing CA certificates, issuer first (PEM or base64 DER). */
  chain?: string[];
}
export interface ImportCertificateResult {
  /** fileName: the key file written, or on a token the CKA_LABEL shared by the key and its certificate. */
  imported: Array<{ role: "AUTH" | "SIGN"; keyId: string; fileName: string }>;
}

export interface BasicsSuccess<T = unknown> {
  status: true;
  body: { result: T };
}
/** The person cancelled: success without a result. */
export interface BasicsCancelled {
  status: true;
  body: Record<string, never>;
}
export interface BasicsFailure {
  status: false;
  code: BasicsErrorCode;
  message: string;
  details: string;
}
export type BasicsReply<T = unknown> = BasicsSuccess<T> | BasicsCancelled | BasicsFailure;

export type BasicsErrorCode =
  | "INVOCATION_ERROR"
  | "GENERAL_ERROR"
  | "INVALID_SIGNING_PARAMS"
  | "SIGNING_FAILURE"
  | "CSR_GENERATING_FAILURE"
  | "CERTIFICATE_IMPORTING_FAILURE"
  | "INVALID_IMPORTING_CERTIFICATE";

// ---------------------------------------------------------------- kz.gov.pki.ncalayerservices.accessory

/** getBundles: symbolic name → version. */
export type BundlesReply = Record<string, string>;
export interface ServicesReply {
  services: string[];
}

// ---------------------------------------------------------------- anything else

export interface ModuleNotFound {
  success: false;
  errorCode: "MODULE_NOT_FOUND";
}
export const moduleNotFound = (): ModuleNotFound => ({ success: false, errorCode: "MODULE_NOT_FOUND" });

// ---------------------------------------------------------------- reply builders

export const commonUtilsSuccess = <T>(responseObject?: T): CommonUtilsSuccess<T> =>
  responseObject === undefined ? { code: "200" } : { code: "200", responseObject };
export const commonUtilsFailure = (message: string): CommonUtilsFailure => ({ code: "500", message });
export const commonUtilsCancelled = (): CommonUtilsFailure =>
  commonUtilsFailure(COMMON_UTILS_MESSAGES.cancelled);

export const basicsSuccess = <T>(result: T): BasicsSuccess<T> => ({ status: true, body: { result } });
export const basicsCancelled = (): BasicsCancelled => ({ status: true, body: {} });
export const basicsFailure = (code: BasicsErrorCode, message: string, details = ""): BasicsFailure => ({
  status: false,
  code,
  message,
  details,
});
