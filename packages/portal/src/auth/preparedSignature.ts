// A document the server prepares and a person signs with their SIGN key through the agent: the
// console's decisions and the personal cabinet's revocations and renewals. The server writes the
// canonical document with a single-use nonce and keeps the nonce with the document's SHA-256 for
// one audience (one operator, one person); what comes back must verify (signature, path, purpose,
// status at the CA), be signed by the certificate the document names, and spend that nonce.
import { randomBytes } from "node:crypto";
import type { CaClient } from "../caClient.ts";
import { sha256Hex, type ConsoleStore } from "../storage/consoleStore.ts";
import { canonicalJson, parseCanonicalJson, type CanonicalValue } from "./canonicalJson.ts";
import {
  decodeCms,
  SIGN_PURPOSE,
  SignatureRefused,
  verifySignedDocument,
  type SignedDocument,
} from "./signedDocument.ts";

export const PREPARED_SECONDS = 300;

export interface PreparedSignature {
  readonly document: string;
  /** base64 of the document: what the agent signs. */
  readonly data: string;
  /** The serial of the SIGN certificate that must sign it (for the agent's key filter). */
  readonly signer: string;
}

export interface VerifiedSignature {
  readonly signed: SignedDocument;
  readonly cms: Buffer;
  /** The canonical document as signed. */
  readonly text: string;
  readonly document: { [key: string]: CanonicalValue };
}

export class PreparedSignatures {
  constructor(
    private readonly store: ConsoleStore,
    private readonly ca: CaClient,
    /** The document's field naming the signer's SIGN serial ("operator" for decisions). */
    private readonly signerField: string,
  ) {}

  /** `fields` plus the signer, a fresh nonce and the time, as canonical JSON. */
  async prepare(
    audience: string,
    signer: string,
    fields: { [key: string]: CanonicalValue },
    now: Date,
  ): Promise<PreparedSignature> {
    const nonce = randomBytes(24).toString("base64url");
    const document = canonicalJson({ ...fields, [this.signerField]: signer, nonce, at: now.toISOString() });
    await this.store.createChallenge(
      nonce,
      audience,
      sha256Hex(document),
      new Date(now.getTime() + PREPARED_SECONDS * 1000),
    );
    return { document, data: Buffer.from(document).toString("base64"), signer };
  }

  /**
   * Verifies a signature over a document prepared for `audience`; `checkSigner` refuses a signer
   * certificate that is not the caller's. The nonce is spent by the first attempt that names it.
   */
  async verify(
    audience: string,
    signature: string,
    checkSigner: (signed: SignedDocument) => void,
    now: Date,
  ): Promise<VerifiedSignature> {
    const cms = decodeCms(signature);
    const signed = await verifySignedDocument(cms, { ca: this.ca, purpose: SIGN_PURPOSE, at: now });
    checkSigner(signed);
    const text = signed.content.toString("utf8");
    const document = parseCanonicalJson(text);
    if (!document || document[this.signerField] !== signed.serial || typeof document.nonce !== "string")
      throw new SignatureRefused("bad_signed_document", "what was signed is not a document prepared here");
    const spent = await this.store.spendChallenge(document.nonce, audience, sha256Hex(text), now);
    if (spent !== "ok")
      throw new SignatureRefused(
        `nonce_${spent}`,
        spent === "used"
          ? "this signature was already submitted"
          : "this was not prepared for you, or took too long: sign it again",
      );
    return { signed, cms, text, document };
  }
}
