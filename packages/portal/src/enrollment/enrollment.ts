import { createHash, randomBytes } from "node:crypto";
import { checkIin, InputError, NCA_TEST_IIN, verifyCsr } from "@qoltanba/pki";
import type { CaClient } from "../caClient.ts";
import { centerByCode, localityByCode, regionByCode } from "../locality/regions.ts";
import { RegistryUnavailable, type PersonRegistry } from "../registry/personRegistry.ts";
import type { Person, PortalStore } from "../storage/portalStore.ts";
import { newApplicationNumber } from "./applicationNumber.ts";
import { newCaptcha } from "./captcha.ts";
import { isKeyStorageKind } from "./keyStorage.ts";

export interface EnrollmentSettings {
  /** NCA-style test mode: the public test IIN 123456789011 passes the checksum check. */
  readonly acceptTestIin: boolean;
  readonly deadlineDays: number;
  readonly captchaMinutes: number;
  /** How long an IIN check stays good for the submission that follows. */
  readonly checkedMinutes: number;
}

export const DEFAULT_ENROLLMENT_SETTINGS: EnrollmentSettings = {
  acceptTestIin: false,
  deadlineDays: 30,
  captchaMinutes: 10,
  checkedMinutes: 30,
};

export const LIMITS = { email: 254, csr: 8192, iin: 12, captcha: 12, code: 64, ticket: 64 } as const;

export interface IdentityCheck {
  readonly captchaId: string;
  readonly captchaAnswer: string;
  readonly iin: string;
}

export interface CheckedIdentity {
  readonly person: Person;
  /** The number the application will get: the agent files the new keys under it. */
  readonly applicationNumber: string;
  /** The used captcha, now admitting one submission for this IIN. */
  readonly ticket: string;
}

export interface Submission {
  readonly ticket: string;
  readonly iin: string;
  readonly email?: string;
  readonly emailRepeat?: string;
  readonly region: string;
  readonly locality: string;
  readonly center: string;
  readonly storage: string;
  readonly authCsr: string;
  readonly signCsr: string;
  readonly language: string;
}

export interface Submitted {
  readonly number: string;
  /** A secret for the submitting browser only: with the number, it downloads the form. */
  readonly receipt: string;
  readonly deadline: Date;
}

const EMAIL =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;
const DAY = 86_400_000;

export const receiptHash = (receipt: string) => createHash("sha256").update(receipt).digest("hex");
export const spkiFingerprint = (publicKeyInfo: Buffer) =>
  createHash("sha256").update(publicKeyInfo).digest("hex");

/**
 * The applying half of the seed's chapter 2: the captcha, the IIN check against the registry, and
 * the submission, which re-checks everything and stores the application in one transaction.
 */
export class Enrollment {
  constructor(
    private readonly store: PortalStore,
    private readonly registry: PersonRegistry,
    private readonly ca: CaClient,
    readonly settings: EnrollmentSettings = DEFAULT_ENROLLMENT_SETTINGS,
  ) {}

  async newCaptcha(now = new Date()): Promise<{ id: string; svg: string }> {
    const captcha = newCaptcha();
    await this.store.createCaptcha(
      captcha.id,
      captcha.answer,
      new Date(now.getTime() + this.settings.captchaMinutes * 60_000),
    );
    return { id: captcha.id, svg: captcha.svg };
  }

  /** «ЖСН тексеру»: the captcha (used up whatever happens), the IIN checksum, then the registry. */
  async checkIdentity(input: IdentityCheck, now = new Date()): Promise<CheckedIdentity> {
    const outcome = await this.store.takeCaptcha(
      input.captchaId.slice(0, LIMITS.ticket),
      input.captchaAnswer.trim().slice(0, LIMITS.captcha),
      now,
    );
    if (outcome !== "ok") {
      const code =
        outcome === "wrong" ? "captcha_wrong" : outcome === "expired" ? "captcha_expired" : "captcha_used";
      throw new InputError(code, `captcha: ${outcome}`);
    }
    const person = await this.findPerson(input.iin);
    const applicationNumber = newApplicationNumber();
    await this.store.bindCaptcha(
      input.captchaId,
      person.iin,
      applicationNumber,
      new Date(now.getTime() + this.settings.checkedMinutes * 60_000),
    );
    return { person, applicationNumber, ticket: input.captchaId };
  }

  private async findPerson(iinInput: string): Promise<Person> {
    const iin = iinInput.trim();
    if (!(this.settings.acceptTestIin && iin === NCA_TEST_IIN)) {
      const problem = checkIin(iin);
      if (problem) throw new InputError(`iin_${problem}`, `IIN: ${problem}`);
    }
    let person: Person | undefined;
    try {
      person = await this.registry.find(iin);
    } catch (error) {
      if (error instanceof RegistryUnavailable) throw new InputError("registry_unavailable", error.message);
      throw error;
    }
    if (!person) throw new InputError("unknown_person", "the person registry has no such IIN");
    return person;
  }

  /** The IIN check a ticket carries, for re-rendering the details page. */
  async checkedTicket(ticket: string, now = new Date()) {
    return this.store.checkedCaptcha(ticket.slice(0, LIMITS.ticket), now);
  }

  /** «Өтінім беру»: re-checks everything, then stores the application and its e-mail in one transaction. */
  async submit(input: Submission, now = new Date()): Promise<Submitted> {
    const checked = await this.store.checkedCaptcha(input.ticket.slice(0, LIMITS.ticket), now);
    if (!checked || checked.iin !== input.iin.trim())
      throw new InputError("captcha_used", "the IIN check was used or has expired");
    return this.storeApplication(input, input.emailRepeat, checked.applicationNumber, input.ticket, now);
  }

  /**
   * A renewal from the personal cabinet: the person proved who they are by signing it with their
   * current SIGN key, so there is no captcha; the registry still names them, and the keys pass the
   * same checks as any submission. Returns the number (the caller confirms it at once).
   */
  async submitRenewal(
    input: Omit<Submission, "ticket" | "emailRepeat"> & { readonly number: string },
    now = new Date(),
  ): Promise<Submitted> {
    if (!/^\d{16}$/.test(input.number))
      throw new InputError("bad_application_number", "an application number has 16 digits");
    return this.storeApplication(input, input.email, input.number, undefined, now);
  }

  /**
   * Stores an application whose number is vouched for (by a checked captcha ticket, or by a signed
   * renewal): the registry names the person, and the e-mail and details pass the same checks.
   */
  private async storeApplication(
    input: Omit<Submission, "ticket" | "emailRepeat">,
    emailRepeat: string | undefined,
    number: string,
    ticket: string | undefined,
    now: Date,
  ): Promise<Submitted> {
    const person = await this.findPerson(input.iin);
    const email = this.checkEmail(input.email, emailRepeat);
    const receipt = randomBytes(24).toString("base64url");
    const deadline = new Date(now.getTime() + this.settings.deadlineDays * DAY);
    await this.store.insertApplication(
      {
        ...(await this.checkedDetails(input)),
        number,
        person,
        ...(email ? { email } : {}),
        language: input.language,
        receiptHash: receiptHash(receipt),
        submittedAt: now,
        deadlineAt: deadline,
      },
      ticket,
    );
    return { number, receipt, deadline };
  }

  /** Where, which storage and which keys: checked as every submission checks them. */
  private async checkedDetails(
    input: Pick<Submission, "region" | "locality" | "center" | "storage" | "authCsr" | "signCsr">,
  ) {
    const region = regionByCode(input.region);
    const locality = localityByCode(input.locality);
    if (!region || !locality || locality.region !== region.code)
      throw new InputError("bad_locality", "unknown region or locality");
    const center = centerByCode(input.center);
    if (!center || center.region !== region.code)
      throw new InputError("bad_center", "unknown Registration Center or one in another region");
    if (!isKeyStorageKind(input.storage)) throw new InputError("bad_storage", "unknown key storage");
    const [auth, sign] = [this.checkCsr(input.authCsr), this.checkCsr(input.signCsr)];
    if (auth.fingerprint === sign.fingerprint)
      throw new InputError("same_keys", "the AUTH and SIGN keys are the same key");
    for (const key of [auth, sign]) {
      if ((await this.ca.firstCertificateOfKey(key.fingerprint)) !== undefined)
        throw new InputError("key_certified", "this key was certified before");
      if (await this.store.keyInApplication(key.fingerprint))
        throw new InputError("key_in_use", "this key is in another application");
    }
    return {
      region: region.code,
      locality: locality.code,
      center: center.code,
      storage: input.storage,
      authCsr: auth.pem,
      signCsr: sign.pem,
      authSpkiSha256: auth.fingerprint,
      signSpkiSha256: sign.fingerprint,
    };
  }

  private checkEmail(email: string | undefined, repeat: string | undefined): string | undefined {
    const value = (email ?? "").trim();
    const again = (repeat ?? "").trim();
    if (value === "" && again === "") return undefined;
    if (value.length > LIMITS.email) throw new InputError("too_long", "e-mail too long");
    if (!EMAIL.test(value)) throw new InputError("bad_email", "not an e-mail address");
    if (value.toLowerCase() !== again.toLowerCase())
      throw new InputError("email_mismatch", "the two e-mail addresses differ");
    return value;
  }

  checkCsr(pem: string): { pem: string; fingerprint: string } {
    if (pem.length > LIMITS.csr) throw new InputError("too_long", "CSR too long");
    try {
      const csr = verifyCsr(pem);
      if (csr.publicKey.algorithm !== "rsa")
        throw new InputError("weak_key", "the portal issues RSA keys only");
      return { pem: pem.trim(), fingerprint: spkiFingerprint(csr.publicKeyInfo) };
    } catch (error) {
      if (!(error instanceof InputError)) throw error;
      if (error.code === "bad_csr_signature" || error.code === "weak_key") throw error;
      throw new InputError("bad_csr", error.message);
    }
  }
}
