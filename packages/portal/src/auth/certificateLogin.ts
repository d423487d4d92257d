// Login with a certificate through the agent: the server gives a fresh single-use nonce, the page
// asks the agent to sign it with the person's AUTH key (kz.gov.pki.knca.basics sign, format cms,
// attached), and the server checks the signature, the path to our root, the AUTH purpose, the
// certificate's status at the CA, and that the nonce is this audience's, unexpired and unspent.
// The console and the personal cabinet both log people in with it; who may enter is theirs to say.
import { randomBytes } from "node:crypto";
import type { CaClient } from "../caClient.ts";
import type { ConsoleStore } from "../storage/consoleStore.ts";
import { canonicalJson, parseCanonicalJson } from "./canonicalJson.ts";
import { AUTH_PURPOSE, decodeCms, SignatureRefused, verifySignedDocument } from "./signedDocument.ts";

export { SignatureRefused } from "./signedDocument.ts";

/** Who signed the login: what the caller maps to an operator or a person. */
export interface LoginIdentity {
  readonly iin: string;
  /** Lowercase hex, as the CA stores it. */
  readonly serial: string;
  readonly certificate: Buffer;
  readonly subject: string;
  readonly notAfter: Date;
}

export interface LoginChallenge {
  readonly nonce: string;
  /** What the agent signs: base64 of the canonical JSON below (for `basics` sign's `data`). */
  readonly data: string;
  /** The canonical JSON itself, so the page can show what is being signed. */
  readonly document: string;
  readonly expiresAt: Date;
}

export const LOGIN_DOCUMENT_TYPE = "qoltanba-login";
export const DEFAULT_CHALLENGE_SECONDS = 300;

export class CertificateLogin {
  /**
   * `audience` names the site that asked (e.g. "console" or "cabinet" with the origin): a login
   * signed for one is refused by another.
   */
  constructor(
    private readonly store: ConsoleStore,
    private readonly ca: CaClient,
    private readonly audience: string,
    private readonly challengeSeconds = DEFAULT_CHALLENGE_SECONDS,
  ) {}

  async challenge(now = new Date()): Promise<LoginChallenge> {
    const nonce = randomBytes(32).toString("base64url");
    const expiresAt = new Date(now.getTime() + this.challengeSeconds * 1000);
    const document = canonicalJson({
      type: LOGIN_DOCUMENT_TYPE,
      audience: this.audience,
      nonce,
      issuedAt: now.toISOString(),
    });
    await this.store.createChallenge(nonce, this.loginAudience, undefined, expiresAt);
    return { nonce, data: Buffer.from(document).toString("base64"), document, expiresAt };
  }

  /**
   * Checks a signed login. The nonce is spent by the first attempt that names it, so a signature
   * never logs in twice. Throws SignatureRefused with a stable code.
   */
  async verify(signature: string, now = new Date()): Promise<LoginIdentity> {
    const signed = await verifySignedDocument(decodeCms(signature), {
      ca: this.ca,
      purpose: AUTH_PURPOSE,
      at: now,
    });
    const document = parseCanonicalJson(signed.content.toString("utf8"));
    if (
      !document ||
      document.type !== LOGIN_DOCUMENT_TYPE ||
      document.audience !== this.audience ||
      typeof document.nonce !== "string"
    )
      throw new SignatureRefused("bad_login_document", "what was signed is not a login to this site");
    const spent = await this.store.spendChallenge(document.nonce, this.loginAudience, undefined, now);
    if (spent === "used")
      throw new SignatureRefused("nonce_used", "this login signature was already used: sign in again");
    if (spent === "expired")
      throw new SignatureRefused("nonce_expired", "the login took too long: sign in again");
    if (spent !== "ok") throw new SignatureRefused("nonce_unknown", "this login was not asked for here");
    if (!signed.iin) throw new SignatureRefused("no_iin", "the certificate names no IIN");
    return {
      iin: signed.iin,
      serial: signed.serial,
      certificate: signed.certificate,
      subject: signed.facts.subject,
      notAfter: signed.facts.info.notAfter,
    };
  }

  private get loginAudience(): string {
    return `login:${this.audience}`;
  }
}
