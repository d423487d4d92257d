// The personal cabinet: a person logs in with their AUTH key through the agent (the console's
// certificate login, another audience and other sessions), sees the certificates issued to their
// IIN through the portal and their applications, downloads and revokes certificates, and applies
// for new ones by signing the application with their current SIGN key: no Registration Center
// visit, the signature is the confirmation. Revocations and renewals are prepared signatures
// (auth/preparedSignature.ts), recorded with the signed document in the console log before they
// take effect.
import { InputError } from "@qoltanba/pki";
import { CertificateLogin, SignatureRefused, type LoginChallenge } from "../auth/certificateLogin.ts";
import { PreparedSignatures, type PreparedSignature } from "../auth/preparedSignature.ts";
import { carryOut, reverifySignedAction, type Reverification } from "../auth/signedAction.ts";
import type { SignedDocument } from "../auth/signedDocument.ts";
import type { CaClient, CaCertificateRecord } from "../caClient.ts";
import { REVOCATION_REASONS } from "../console/decisions.ts";
import { newApplicationNumber } from "../enrollment/applicationNumber.ts";
import type { Enrollment } from "../enrollment/enrollment.ts";
import type { ApplicationLifecycle } from "../enrollment/lifecycle.ts";
import { isKeyStorageKind } from "../enrollment/keyStorage.ts";
import type { ConsoleStore } from "../storage/consoleStore.ts";
import type { Application, PortalStore } from "../storage/portalStore.ts";
import type { SessionOf, SessionStore } from "../storage/sessionStore.ts";
import type { CabinetAction, SignedActionStore } from "../storage/signedActionStore.ts";

export const CABINET_AUDIENCE = "qoltanba-cabinet";
export const CABINET_DOCUMENT_TYPE = "qoltanba-cabinet";
export const DEFAULT_CABINET_SESSION_MINUTES = 30;
export const EXPIRING_DAYS = 30;

export type CertificateState = "valid" | "expiring" | "revoked" | "expired";

/** The person (their IIN) and the AUTH certificate they logged in with. */
export type CabinetSession = Pick<SessionOf<"cabinet">, "iin" | "serial">;

export interface CabinetCertificate {
  readonly serial: string;
  readonly purpose: "auth" | "sign";
  readonly applicationNumber: string;
  readonly certificate: Buffer;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly state: CertificateState;
  readonly revokedAt?: Date;
  readonly revocationReason?: string;
}

export interface RenewalKeys {
  readonly number: string;
  readonly storage: string;
  readonly authCsr: string;
  readonly signCsr: string;
}

const isRevoked = (record: CaCertificateRecord) =>
  record.revokedAt !== undefined && record.revocationReason !== "removeFromCRL";

export class PersonalCabinet {
  readonly login: CertificateLogin;
  private readonly signatures: PreparedSignatures;

  constructor(
    private readonly sessions: SessionStore,
    private readonly signedActions: SignedActionStore,
    consoleStore: ConsoleStore,
    private readonly portalStore: PortalStore,
    private readonly enrollment: Enrollment,
    private readonly lifecycle: ApplicationLifecycle,
    private readonly ca: CaClient,
    private readonly sessionMinutes = DEFAULT_CABINET_SESSION_MINUTES,
  ) {
    this.login = new CertificateLogin(consoleStore, ca, CABINET_AUDIENCE);
    this.signatures = new PreparedSignatures(consoleStore, ca, "signer");
  }

  challenge(now = new Date()): Promise<LoginChallenge> {
    return this.login.challenge(now);
  }

  /** A signed login → a session token; only the AUTH certificate of one of the person's own applications enters. */
  async signIn(signature: string, now = new Date()): Promise<{ token: string; expiresAt: Date }> {
    const identity = await this.login.verify(signature, now);
    const certificates = await this.certificates({ iin: identity.iin, serial: identity.serial }, now);
    if (
      !certificates.some(
        (certificate) => certificate.serial === identity.serial && certificate.purpose === "auth",
      )
    )
      throw new SignatureRefused("not_a_person", "this certificate was not issued through this portal");
    const expiresAt = new Date(now.getTime() + this.sessionMinutes * 60_000);
    const token = await this.sessions.open(
      { audience: "cabinet", iin: identity.iin, serial: identity.serial },
      now,
      expiresAt,
    );
    return { token, expiresAt };
  }

  /** The live session; one whose login certificate has since been revoked is over. */
  async session(token: string | undefined, now = new Date()): Promise<CabinetSession | undefined> {
    const found = await this.sessions.live("cabinet", token, now);
    if (!found) return undefined;
    const record = await this.ca.certificate(found.serial);
    if (!record || isRevoked(record) || record.notAfter <= now) return undefined;
    return { iin: found.iin, serial: found.serial };
  }

  signOut(token: string, now = new Date()): Promise<void> {
    return this.sessions.end("cabinet", token, now);
  }

  applications(session: CabinetSession): Promise<Application[]> {
    return this.portalStore.applicationsOfPerson(session.iin);
  }

  /** Every certificate issued through the person's applications, newest application first, as the CA has it now. */
  async certificates(session: CabinetSession, now = new Date()): Promise<CabinetCertificate[]> {
    const certificates: CabinetCertificate[] = [];
    for (const application of await this.applications(session))
      for (const [purpose, serial] of [
        ["auth", application.authSerial],
        ["sign", application.signSerial],
      ] as const) {
        const record = serial && (await this.ca.certificate(serial));
        if (!record) continue;
        const state: CertificateState = isRevoked(record)
          ? "revoked"
          : record.notAfter <= now
            ? "expired"
            : record.notAfter.getTime() - now.getTime() <= EXPIRING_DAYS * 86_400_000
              ? "expiring"
              : "valid";
        certificates.push({
          serial: record.serial,
          purpose,
          applicationNumber: application.number,
          certificate: record.certificate,
          notBefore: record.notBefore,
          notAfter: record.notAfter,
          state,
          ...(record.revokedAt && isRevoked(record) ? { revokedAt: record.revokedAt } : {}),
          ...(record.revocationReason && isRevoked(record)
            ? { revocationReason: record.revocationReason }
            : {}),
        });
      }
    return certificates;
  }

  /** One of the person's certificates; anyone else's is refused. */
  async certificate(session: CabinetSession, serial: string, now = new Date()): Promise<CabinetCertificate> {
    const found = (await this.certificates(session, now)).find(
      (certificate) => certificate.serial === serial,
    );
    if (!found) throw new InputError("not_yours", "this certificate is not yours");
    return found;
  }

  /** The SIGN certificate the person signs with: their newest one still valid. */
  async signer(session: CabinetSession, now = new Date()): Promise<CabinetCertificate | undefined> {
    return (await this.certificates(session, now)).find(
      (certificate) =>
        certificate.purpose === "sign" && (certificate.state === "valid" || certificate.state === "expiring"),
    );
  }

  // ------------------------------------------------------------------ revocation

  async prepareRevocation(
    session: CabinetSession,
    request: { serial: string; reason: string },
    now = new Date(),
  ): Promise<PreparedSignature> {
    const { serial, reason } = await this.checkRevocation(session, request, now);
    return this.signatures.prepare(
      audienceOf(session),
      await this.signerSerial(session, now),
      { type: CABINET_DOCUMENT_TYPE, action: "revoke", certificate: serial, reason },
      now,
    );
  }

  /** Verifies the signed revocation, records it, then revokes at the CA (OCSP and the delta CRL follow). */
  async submitRevocation(
    session: CabinetSession,
    signature: string,
    now = new Date(),
  ): Promise<CabinetAction> {
    const verified = await this.verify(session, signature, now);
    const { document } = verified;
    if (
      document.action !== "revoke" ||
      typeof document.certificate !== "string" ||
      typeof document.reason !== "string"
    )
      throw new SignatureRefused("bad_signed_document", "what was signed is not a revocation");
    const request = await this.checkRevocation(
      session,
      { serial: document.certificate, reason: document.reason },
      now,
    );
    return this.act(verified, { kind: "revoke", certificateSerial: request.serial }, () =>
      this.ca.revoke(request.serial, request.reason),
    );
  }

  private async checkRevocation(
    session: CabinetSession,
    request: { serial: string; reason: string },
    now: Date,
  ): Promise<{ serial: string; reason: string }> {
    const serial = (request.serial ?? "").trim().toLowerCase();
    if (!/^[0-9a-f]{1,64}$/.test(serial))
      throw new InputError("bad_certificate", "the certificate serial must be hexadecimal");
    if (!(REVOCATION_REASONS as readonly string[]).includes(request.reason))
      throw new InputError(
        "bad_reason",
        `the revocation reason must be one of ${REVOCATION_REASONS.join(", ")}`,
      );
    const certificate = await this.certificate(session, serial, now);
    if (certificate.state === "revoked")
      throw new InputError("already_revoked", "this certificate is already revoked");
    return { serial, reason: request.reason };
  }

  // ------------------------------------------------------------------ renewal

  /** A number for the new application: the agent files the new keys under it. */
  renewalNumber(): string {
    return newApplicationNumber();
  }

  /** The renewal to sign: the new keys' fingerprints and where they are kept, after every check a submission gets. */
  async prepareRenewal(
    session: CabinetSession,
    keys: RenewalKeys,
    now = new Date(),
  ): Promise<PreparedSignature> {
    const checked = this.checkRenewal(keys);
    return this.signatures.prepare(
      audienceOf(session),
      await this.signerSerial(session, now),
      {
        type: CABINET_DOCUMENT_TYPE,
        action: "renew",
        application: keys.number,
        storage: keys.storage,
        authKey: checked.auth,
        signKey: checked.sign,
      },
      now,
    );
  }

  /**
   * Verifies the signed renewal, records it, then submits the application with the CSRs whose keys
   * the person signed for (details from their latest application, names from the registry),
   * confirms it at once and issues: the status page installs the certificates.
   */
  async submitRenewal(
    session: CabinetSession,
    signature: string,
    keys: Omit<RenewalKeys, "number" | "storage">,
    now = new Date(),
  ): Promise<{ action: CabinetAction; number: string }> {
    const verified = await this.verify(session, signature, now);
    const { document } = verified;
    const number = typeof document.application === "string" ? document.application : "";
    const storage = typeof document.storage === "string" ? document.storage : "";
    if (document.action !== "renew" || !number || !storage)
      throw new SignatureRefused("bad_signed_document", "what was signed is not a renewal");
    const checked = this.checkRenewal({ number, storage, ...keys });
    if (checked.auth !== document.authKey || checked.sign !== document.signKey)
      throw new SignatureRefused("keys_differ", "these are not the keys the renewal was signed for");
    const latest = (await this.applications(session)).find(
      (application) => application.authSerial !== undefined,
    );
    if (!latest) throw new InputError("not_a_person", "you have no issued application to renew");
    const action = await this.act(verified, { kind: "renew", applicationNumber: number }, async () => {
      await this.enrollment.submitRenewal(
        {
          number,
          iin: session.iin,
          ...(latest.email ? { email: latest.email } : {}),
          region: latest.region,
          locality: latest.locality,
          center: latest.center,
          storage,
          authCsr: keys.authCsr,
          signCsr: keys.signCsr,
          language: latest.language,
        },
        now,
      );
      await this.lifecycle.confirmApplication(number, `cabinet:${verified.signed.serial}`, now);
    });
    return { action, number };
  }

  private checkRenewal(keys: RenewalKeys): { auth: string; sign: string } {
    if (!/^\d{16}$/.test(keys.number ?? ""))
      throw new InputError("bad_application_number", "an application number has 16 digits");
    if (!isKeyStorageKind(keys.storage)) throw new InputError("bad_storage", "unknown key storage");
    const auth = this.enrollment.checkCsr(keys.authCsr ?? "");
    const sign = this.enrollment.checkCsr(keys.signCsr ?? "");
    if (auth.fingerprint === sign.fingerprint)
      throw new InputError("same_keys", "the AUTH and SIGN keys are the same key");
    return { auth: auth.fingerprint, sign: sign.fingerprint };
  }

  // ------------------------------------------------------------------ shared

  private async signerSerial(session: CabinetSession, now: Date): Promise<string> {
    const signer = await this.signer(session, now);
    if (!signer) throw new InputError("no_valid_sign", "you have no valid SIGN certificate to sign with");
    return signer.serial;
  }

  /** A prepared signature by a SIGN certificate of this person: same IIN, issued through their own applications. */
  private async verify(session: CabinetSession, signature: string, now: Date) {
    const owned = new Set((await this.certificates(session, now)).map((certificate) => certificate.serial));
    return this.signatures.verify(
      audienceOf(session),
      signature,
      (signed: SignedDocument) => {
        if (signed.iin !== session.iin || !owned.has(signed.serial))
          throw new SignatureRefused("wrong_signer", "this must be signed with your own SIGN certificate");
      },
      now,
    );
  }

  /** Records the signed action in the console log, then carries it out; a failure is recorded too. */
  private act(
    verified: Awaited<ReturnType<PersonalCabinet["verify"]>>,
    what: { kind: "revoke" | "renew"; certificateSerial?: string; applicationNumber?: string },
    effect: () => Promise<unknown>,
  ): Promise<CabinetAction> {
    return carryOut(
      this.signedActions,
      {
        audience: "cabinet",
        ...what,
        signerSerial: verified.signed.serial,
        document: verified.text,
        cms: verified.cms,
        at: new Date(),
      },
      effect,
    );
  }

  /** Checks a recorded action again: its CMS, its signer at the time, and that it says what was stored. */
  reverify(action: CabinetAction): Promise<Reverification> {
    return reverifySignedAction(
      action,
      this.ca,
      (document) =>
        document.type === CABINET_DOCUMENT_TYPE &&
        document.action === action.kind &&
        document.signer === action.signerSerial &&
        document.certificate === action.certificateSerial &&
        document.application === action.applicationNumber,
    );
  }
}

/** Prepared signatures are spendable by the person they were prepared for only. */
const audienceOf = (session: CabinetSession) => `cabinet:${session.iin}`;
