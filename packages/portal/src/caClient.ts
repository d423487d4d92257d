import { CertificateIssuer, revokeCertificate, type CertificateAuthority } from "@qoltanba/ca";
import type { KeyStorage } from "@qoltanba/pki";

export interface CaIssueRequest {
  /** PEM PKCS#10: proves possession of the key; its subject is ignored by the CA. */
  readonly csr: string;
  readonly profile: "individual-auth" | "individual-sign";
  /** The verified identity, as the CA's subject JSON. */
  readonly subject: Record<string, string>;
  readonly storage: KeyStorage;
}

export interface CaIssuedCertificate {
  readonly serial: string;
  readonly certificate: Buffer;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

export interface CaCertificateRecord {
  readonly serial: string;
  readonly certificate: Buffer;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly revokedAt?: Date;
  /** With revokedAt: RFC 5280's reason; removeFromCRL means a hold was released (good again). */
  readonly revocationReason?: string;
}

/** The InputError code of a CA that cannot be reached (a remote CaClient): the pages say "try again later". */
export const CA_UNAVAILABLE = "ca_unavailable";

/**
 * Everything the portal asks of the CA: one narrow interface, so the CA can run on another machine.
 * The portal never signs and never touches the CA's tables.
 */
export interface CaClient {
  issueCertificate(request: CaIssueRequest): Promise<CaIssuedCertificate>;
  /** The first certificate of a public key (SHA-256 of its SubjectPublicKeyInfo, hex), if it was ever certified. */
  firstCertificateOfKey(spkiSha256: string): Promise<string | undefined>;
  certificate(serial: string): Promise<CaCertificateRecord | undefined>;
  revoke(serial: string, reason: string): Promise<void>;
  /** DER: the root and the issuing CA, for the base certificates table and the agent's chain. */
  caCertificates(): { root: Buffer; issuing: Buffer };
}

/** The CaClient of a portal served by the same process as the CA. */
export function inProcessCaClient(ca: CertificateAuthority): CaClient {
  const issuer = new CertificateIssuer(ca);
  return {
    async issueCertificate(request) {
      const issued = await issuer.issueCertificate(request);
      return {
        serial: issued.serial,
        certificate: issued.certificate,
        notBefore: issued.notBefore,
        notAfter: issued.notAfter,
      };
    },
    firstCertificateOfKey: (spkiSha256) => ca.store.firstCertificateOfKey(spkiSha256),
    async certificate(serial) {
      const stored = await ca.store.certificate(serial);
      if (!stored) return undefined;
      return {
        serial: stored.serial,
        certificate: stored.der,
        notBefore: stored.notBefore,
        notAfter: stored.notAfter,
        ...(stored.revokedAt ? { revokedAt: stored.revokedAt } : {}),
        ...(stored.revocationReason ? { revocationReason: stored.revocationReason } : {}),
      };
    },
    async revoke(serial, reason) {
      await revokeCertificate(ca, { serial, reason });
    },
    caCertificates: () => ({ root: ca.certificates.root, issuing: ca.certificates.issuing }),
  };
}
