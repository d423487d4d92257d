import { InputError, toPem } from "@qoltanba/pki";
import type { CaClient, CaIssuedCertificate, CaIssueRequest } from "../caClient.ts";
import { localityByCode, regionByCode } from "../locality/regions.ts";
import type { Application, PortalStore } from "../storage/portalStore.ts";
import { KEY_STORAGES, type KeyStorageKind } from "./keyStorage.ts";

export const DEFAULT_ISSUANCE_CLAIM_MILLISECONDS = 60_000;

export interface IssuedPair {
  readonly auth: CaIssuedCertificate;
  readonly sign: CaIssuedCertificate;
}

/**
 * The application's life after submission: confirmed at a Registration Center → issued →
 * installed; or rejected; or expired after its deadline, its personal data purged after retention.
 */
export class ApplicationLifecycle {
  constructor(
    private readonly store: PortalStore,
    private readonly ca: CaClient,
    /** How long a process may take to issue before another takes over: far longer than an issuance takes. */
    private readonly issuanceClaimMilliseconds = DEFAULT_ISSUANCE_CLAIM_MILLISECONDS,
  ) {}

  /**
   * The Registration Center's confirmation (the console calls this): the operator has seen the
   * person and the paper form. Issues both certificates through the CA and moves the application to
   * issued, with its e-mail, in one transaction. A confirmed application whose issuance stopped
   * half-way (an error, a crash) is issued by a later call once its claim has run out.
   */
  async confirmApplication(number: string, operator: string, now = new Date()): Promise<IssuedPair> {
    const application = await this.required(number);
    if (application.status === "submitted") {
      if (application.deadlineAt <= now)
        throw new InputError("bad_application_state", `application ${number} has passed its deadline`);
      await this.store.confirm(number, operator, now);
    } else if (application.status !== "confirmed") {
      throw new InputError("bad_application_state", `application ${number} is ${application.status}`);
    } else if (!(await this.store.claimIssuance(number, now, this.claimExpiry(now)))) {
      throw new InputError("being_issued", `application ${number} is being issued; try again in a minute`);
    }
    return this.issue(application);
  }

  /**
   * Finishes the issuances that a stopped process left half-done (their claim ran out). Returns how
   * many were issued; one that fails is left for the next call.
   */
  async resumeAbandonedIssuances(now = new Date(), log?: (line: string) => void): Promise<number> {
    let issued = 0;
    for (const number of await this.store.abandonedIssuances(this.claimExpiry(now), 100)) {
      if (!(await this.store.claimIssuance(number, now, this.claimExpiry(now)))) continue;
      try {
        await this.issue(await this.required(number));
        issued++;
      } catch (error) {
        log?.(`issuing application ${number}: ${(error as Error).message}`);
      }
    }
    return issued;
  }

  private claimExpiry(now: Date): Date {
    return new Date(now.getTime() - this.issuanceClaimMilliseconds);
  }

  /**
   * Issues both certificates of a claimed application and records them. Safe to repeat after a
   * crash anywhere in between: a key the CA has certified already gets that certificate back,
   * never a second one.
   */
  private async issue(application: Application): Promise<IssuedPair> {
    const { number } = application;
    const subject = subjectOf(application);
    const storage = KEY_STORAGES[application.storage as KeyStorageKind].validity;
    const csrs = await this.store.csrs(number);
    if (!csrs || !application.authSpkiSha256 || !application.signSpkiSha256)
      throw new Error(`application ${number} has lost its CSRs`);
    const auth = await this.issueOnce(application.authSpkiSha256, {
      csr: csrs.auth,
      profile: "individual-auth",
      subject,
      storage,
    });
    const sign = await this.issueOnce(application.signSpkiSha256, {
      csr: csrs.sign,
      profile: "individual-sign",
      subject,
      storage,
    });
    await this.store.recordIssued(number, { auth: auth.serial, sign: sign.serial }, new Date());
    return { auth, sign };
  }

  private async issueOnce(spkiSha256: string, request: CaIssueRequest): Promise<CaIssuedCertificate> {
    const serial = await this.ca.firstCertificateOfKey(spkiSha256);
    if (serial === undefined) return this.ca.issueCertificate(request);
    const issued = await this.ca.certificate(serial);
    if (!issued) throw new Error(`the CA does not know its certificate ${serial}`);
    return issued;
  }

  async rejectApplication(number: string, operator: string, reason: string, now = new Date()): Promise<void> {
    const text = reason.trim();
    if (text === "" || text.length > 500)
      throw new InputError("bad_reason", "a rejection needs a reason of at most 500 characters");
    await this.store.reject(number, operator, text, now);
  }

  async markInstalled(number: string, now = new Date()): Promise<void> {
    await this.store.markInstalled(number, now);
  }

  /** The issued certificates of an application, PEM, AUTH first. */
  async certificates(application: Application): Promise<{ auth: string; sign: string; notAfter: Date[] }> {
    if (!application.authSerial || !application.signSerial)
      throw new InputError("not_issued", "the certificates are not issued yet");
    const [auth, sign] = await Promise.all([
      this.ca.certificate(application.authSerial),
      this.ca.certificate(application.signSerial),
    ]);
    if (!auth || !sign)
      throw new Error(`the CA does not know the certificates of application ${application.number}`);
    return {
      auth: toPem("CERTIFICATE", auth.certificate),
      sign: toPem("CERTIFICATE", sign.certificate),
      notAfter: [auth.notAfter, sign.notAfter],
    };
  }

  /** Expires what passed its deadline and purges personal data closed longer than `retentionDays`. */
  async sweep(
    retentionDays: number,
    now = new Date(),
  ): Promise<{ expired: number; purged: number; captchas: number }> {
    let expired = 0;
    for (let batch; (batch = await this.store.expireDue(now)) > 0;) expired += batch;
    let purged = 0;
    const closedBefore = new Date(now.getTime() - retentionDays * 86_400_000);
    for (let batch; (batch = await this.store.purgeClosed(closedBefore, now)) > 0;) purged += batch;
    const captchas = await this.store.deleteExpiredCaptchas(now);
    return { expired, purged, captchas };
  }

  private async required(number: string): Promise<Application> {
    const application = await this.store.application(number);
    if (!application) throw new InputError("unknown_application", `no application ${number}`);
    return application;
  }
}

/** The CA's subject JSON: the certificate names the person as the registry does, and where they live. */
function subjectOf(application: Application): Record<string, string> {
  const person = application.person;
  if (!person) throw new InputError("bad_application_state", `application ${application.number} was purged`);
  return {
    iin: person.iin,
    surname: person.surname,
    givenName: person.givenName,
    ...(person.patronymic ? { patronymic: person.patronymic } : {}),
    ...(application.email ? { email: application.email } : {}),
    locality: localityByCode(application.locality)!.certificateName,
    region: regionByCode(application.region)!.certificateName,
  };
}
