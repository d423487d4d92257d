import { createHash, randomBytes } from "node:crypto";
import {
  InputError,
  isEndEntityProfile,
  lintTbsCertificate,
  ownerKey,
  parseSubject,
  PROFILES,
  serialHex,
  signTbs,
  validityFor,
  verifyCsr,
  END_ENTITY_PROFILES,
  type KeyStorage,
} from "@qoltanba/pki";
import type { CertificateAuthority } from "./authority.ts";
import { GroupCommitter } from "./groupCommit.ts";
import { KeyOwnerLookup } from "./keyOwnerLookup.ts";
import type { IssuedCertificate } from "./storage/certificateStore.ts";

export interface IssuanceRequest {
  /** PKCS#10, PEM or DER: proves possession of the key. Its subject is ignored. */
  readonly csr: Buffer | string;
  readonly profile: string;
  /** The verified identity (subject JSON): the certificate's subject comes only from here. */
  readonly subject: unknown;
  readonly storage?: KeyStorage;
}

export interface IssuedCertificateResult {
  readonly certificate: Buffer;
  readonly serial: string;
  readonly profile: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/** A random positive 128-bit serial (an INTEGER of up to 17 octets with its sign byte). */
export function randomSerial(): Buffer {
  let serial = randomBytes(16);
  while (serial.every((byte) => byte === 0)) serial = randomBytes(16);
  return serial;
}

const MAX_SERIAL_ATTEMPTS = 3;

/**
 * Issues end-entity certificates under the issuing CA (Boulder's RA + CA in one call): checks the
 * CSR, the profile and the identity, refuses a key certified for someone else, builds from the
 * profile template, lints, signs, and returns only after the certificate and its audit entry are
 * committed. Bad input changes nothing in the database.
 */
export class CertificateIssuer {
  private readonly committer: GroupCommitter<IssuedCertificate>;
  private readonly keyOwners: KeyOwnerLookup;

  constructor(private readonly ca: CertificateAuthority) {
    this.committer = new GroupCommitter((batch) => ca.store.recordIssued(batch));
    this.keyOwners = new KeyOwnerLookup(ca.store);
  }

  async issueCertificate(request: IssuanceRequest): Promise<IssuedCertificateResult> {
    const signer = this.ca.signer;
    if (!signer) throw new Error("the CA was opened without its key password");
    if (!isEndEntityProfile(request.profile)) {
      throw new InputError("unknown_profile", `unknown profile ${request.profile}: use one of ${END_ENTITY_PROFILES.join(", ")}`);
    }
    const profile = PROFILES[request.profile];
    const storage = request.storage ?? "file";
    if (storage !== "file" && storage !== "token") throw new InputError("bad_storage", `storage must be file or token, got ${storage}`);
    const identity = parseSubject(request.subject, profile.subject as "individual" | "legal" | "server", {
      acceptTestIin: this.ca.config.acceptTestIin,
    });
    const csr = verifyCsr(request.csr);
    const spkiSha256 = createHash("sha256").update(csr.publicKeyInfo).digest("hex");
    const owner = ownerKey(identity);
    const currentOwner = await this.keyOwners.owner(spkiSha256);
    if (currentOwner !== undefined && currentOwner !== owner) {
      throw new InputError("key_already_certified", "this public key is already certified for someone else: generate a new key pair");
    }
    const issuingKey = signer.key("issuing");
    for (let attempt = 1; ; attempt++) {
      const now = new Date(Math.floor(Date.now() / 1000) * 1000);
      const serial = randomSerial();
      const content = { profile, identity, publicKeyInfo: csr.publicKeyInfo, serial, notBefore: now, storage };
      const tbs = this.ca.builder.tbsCertificate(content);
      lintTbsCertificate(tbs, { profile, identity, issuer: this.ca.builder.issuer, settings: this.ca.settings, publicKeyInfo: csr.publicKeyInfo });
      const certificate = await signTbs(tbs, issuingKey);
      const { notAfter } = validityFor(content, this.ca.builder.issuer.notAfter);
      const record: IssuedCertificate = {
        serial: serialHex(serial),
        profile: profile.name,
        owner,
        spkiSha256,
        notBefore: now,
        notAfter,
        issuedAt: new Date(),
        der: certificate,
      };
      try {
        await this.committer.submit(record);
      } catch (error) {
        if (attempt < MAX_SERIAL_ATTEMPTS && isDuplicateSerial(error)) continue;
        throw error;
      }
      return { certificate, serial: record.serial, profile: profile.name, notBefore: now, notAfter };
    }
  }
}

/** A primary-key clash on certificates.serial (2^-128 odds, but never return an unrecorded serial). */
function isDuplicateSerial(error: unknown): boolean {
  const { code, message, constraint } = error as { code?: string; message?: string; constraint?: string };
  if (code === "23505") return constraint === "certificates_pkey";
  return typeof code === "string" && code.startsWith("SQLITE_CONSTRAINT") && (message ?? "").includes("certificates.serial");
}
