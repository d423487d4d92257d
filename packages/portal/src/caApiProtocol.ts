// The CA API's wire format: one POST route per CaClient method, JSON in and out, DER as base64,
// times as ISO-8601. The portal's remote client and the CA's routes (packages/cli) both use it.
import type { CaCertificateRecord, CaIssuedCertificate } from "./caClient.ts";

export const CA_API_PATHS = {
  issueCertificate: "/ca-api/v1/issue-certificate",
  firstCertificateOfKey: "/ca-api/v1/first-certificate-of-key",
  certificate: "/ca-api/v1/certificate",
  revoke: "/ca-api/v1/revoke",
  caCertificates: "/ca-api/v1/ca-certificates",
} as const;

export type CaApiCall = keyof typeof CA_API_PATHS;

export const CA_API_LIMITS = {
  /** A CSR the CA accepts is at most 64 KiB of DER; as PEM, a third more. */
  csrCharacters: 90_000,
  subjectFields: 16,
  subjectValueCharacters: 256,
  requestBytes: 128 * 1024,
  /** A certificate record with its DER, with room to spare. */
  responseBytes: 256 * 1024,
} as const;

/** Refusals: the CA's InputError code and message, or the API's own (bad_request, node_not_allowed). */
export interface CaApiError {
  readonly error: string;
  readonly message: string;
}

export interface WireCertificate {
  readonly serial: string;
  readonly certificate: string;
  readonly notBefore: string;
  readonly notAfter: string;
  readonly revokedAt?: string;
  readonly revocationReason?: string;
}

export function certificateToWire(record: CaIssuedCertificate | CaCertificateRecord): WireCertificate {
  const revocation = record as Partial<CaCertificateRecord>;
  return {
    serial: record.serial,
    certificate: record.certificate.toString("base64"),
    notBefore: record.notBefore.toISOString(),
    notAfter: record.notAfter.toISOString(),
    ...(revocation.revokedAt ? { revokedAt: revocation.revokedAt.toISOString() } : {}),
    ...(revocation.revocationReason ? { revocationReason: revocation.revocationReason } : {}),
  };
}

export function certificateFromWire(wire: WireCertificate): CaCertificateRecord {
  return {
    serial: wire.serial,
    certificate: Buffer.from(wire.certificate, "base64"),
    notBefore: new Date(wire.notBefore),
    notAfter: new Date(wire.notAfter),
    ...(wire.revokedAt ? { revokedAt: new Date(wire.revokedAt) } : {}),
    ...(wire.revocationReason ? { revocationReason: wire.revocationReason } : {}),
  };
}
