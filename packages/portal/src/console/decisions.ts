// Signed decisions: every confirm, reject and revoke is a canonical JSON document the operator
// signs with their SIGN key through the agent. The server makes the document (with a single-use
// nonce), checks the signature before anything changes, stores document and CMS with an audit
// entry, and only then carries the decision out. An auditor re-verifies any of them later.
import { InputError } from "@qoltanba/pki";
import type { CanonicalValue } from "../auth/canonicalJson.ts";
import { PreparedSignatures, type PreparedSignature } from "../auth/preparedSignature.ts";
import { carryOut, reverifySignedAction, type Reverification } from "../auth/signedAction.ts";
import { SignatureRefused } from "../auth/signedDocument.ts";
import type { CaClient } from "../caClient.ts";
import type { ApplicationLifecycle } from "../enrollment/lifecycle.ts";
import type { ConsoleStore, Operator } from "../storage/consoleStore.ts";
import type { Application, PortalStore } from "../storage/portalStore.ts";
import type { DecisionKind } from "../storage/schema.ts";
import type { Decision, SignedActionStore } from "../storage/signedActionStore.ts";
import { Forbidden, inScope, requirePermission } from "./roles.ts";

export const DECISION_DOCUMENT_TYPE = "qoltanba-decision";
/** The reasons an operator may give for revoking on the person's request (RFC 5280 5.3.1). */
export const REVOCATION_REASONS = [
  "unspecified",
  "keyCompromise",
  "affiliationChanged",
  "superseded",
  "cessationOfOperation",
] as const;

export interface DecisionRequest {
  readonly kind: DecisionKind;
  readonly application: string;
  /** reject: the reason the person reads; revoke: one of REVOCATION_REASONS. */
  readonly reason?: string;
  /** revoke: the certificate's serial (one of the application's two). */
  readonly certificate?: string;
  /** revoke: the reference of the person's written request. */
  readonly request?: string;
}

export type PreparedDecision = PreparedSignature;

const isKind = (value: unknown): value is DecisionKind =>
  value === "confirm" || value === "reject" || value === "revoke";

export class SignedDecisions {
  private readonly signatures: PreparedSignatures;

  constructor(
    private readonly consoleStore: ConsoleStore,
    private readonly signedActions: SignedActionStore,
    private readonly portalStore: PortalStore,
    private readonly lifecycle: ApplicationLifecycle,
    private readonly ca: CaClient,
  ) {
    this.signatures = new PreparedSignatures(consoleStore, ca, "operator");
  }

  /** The document to sign, after checking the decision may be made now. */
  async prepare(operator: Operator, request: DecisionRequest, now = new Date()): Promise<PreparedDecision> {
    const normalized = normalize(request);
    await this.check(operator, normalized);
    return this.signatures.prepare(audienceOf(operator), operator.signSerial!, fieldsOf(normalized), now);
  }

  /**
   * Verifies a signed decision and carries it out. Nothing changes unless the signature verifies,
   * was made by this operator's SIGN certificate over a document this server prepared for them,
   * and the decision is still allowed.
   */
  async submit(operator: Operator, signature: string, now = new Date()): Promise<Decision> {
    const { signed, cms, text, document } = await this.signatures.verify(
      audienceOf(operator),
      signature,
      (signer) => {
        if (signer.serial !== operator.signSerial)
          throw new SignatureRefused("wrong_signer", "the decision must be signed with your own SIGN certificate");
      },
      now,
    );
    const request = requestOf(document);
    if (!request)
      throw new SignatureRefused("bad_decision_document", "what was signed is not a decision prepared here");
    await this.check(operator, request);
    return carryOut(
      this.signedActions,
      {
        audience: "console",
        kind: request.kind,
        applicationNumber: request.application,
        ...(request.certificate ? { certificateSerial: request.certificate } : {}),
        operatorId: operator.id,
        signerSerial: signed.serial,
        document: text,
        cms,
        at: now,
      },
      () => this.apply(operator, request, now),
    );
  }

  /** Checks a stored decision again: its CMS, its signer at the time it was made, and that it says what was stored. */
  reverify(decision: Decision): Promise<Reverification> {
    return reverifySignedAction(decision, this.ca, (document) => {
      const request = requestOf(document);
      return (
        request !== undefined &&
        request.kind === decision.kind &&
        request.application === decision.applicationNumber &&
        request.certificate === decision.certificateSerial
      );
    });
  }

  private async check(operator: Operator, request: DecisionRequest): Promise<Application> {
    requirePermission(operator, "decide");
    if (!operator.signSerial) throw new Forbidden("you have no SIGN certificate to sign decisions with");
    const application = await this.portalStore.application(request.application);
    if (!application) throw new InputError("unknown_application", `no application ${request.application}`);
    if (!inScope(operator, application))
      throw new Forbidden(`application ${application.number} belongs to another Registration Center`);
    if (!application.person) throw new InputError("bad_application_state", "this application was purged");
    if (request.kind === "confirm") {
      if (application.status !== "submitted" && application.status !== "confirmed")
        throw new InputError(
          "bad_application_state",
          `application ${application.number} is ${application.status}`,
        );
      if (!(await this.consoleStore.identityCheck(application.number)))
        throw new InputError("identity_unchecked", "check the person's identity document before confirming");
    } else if (request.kind === "reject") {
      if (application.status !== "submitted" && application.status !== "confirmed")
        throw new InputError(
          "bad_application_state",
          `application ${application.number} is ${application.status}`,
        );
    } else {
      if (request.certificate !== application.authSerial && request.certificate !== application.signSerial)
        throw new InputError("bad_certificate", "the certificate is not one of this application's");
      const record = await this.ca.certificate(request.certificate!);
      if (record?.revokedAt && record.revocationReason !== "removeFromCRL")
        throw new InputError("already_revoked", "this certificate is already revoked");
    }
    return application;
  }

  private async apply(operator: Operator, request: DecisionRequest, now: Date): Promise<void> {
    const by = `operator:${operator.id}`;
    if (request.kind === "confirm") await this.lifecycle.confirmApplication(request.application, by, now);
    else if (request.kind === "reject")
      await this.lifecycle.rejectApplication(request.application, by, request.reason!, now);
    else await this.ca.revoke(request.certificate!, request.reason!);
  }
}

const audienceOf = (operator: Operator) => `decision:${operator.id}`;

/** The request with its fields checked and trimmed; bad input is refused before anything is stored. */
function normalize(request: DecisionRequest): DecisionRequest {
  if (!isKind(request.kind))
    throw new InputError("bad_decision", "the decision must be confirm, reject or revoke");
  if (!/^\d{16}$/.test(request.application ?? ""))
    throw new InputError("bad_application_number", "an application number has 16 digits");
  if (request.kind === "confirm") return { kind: "confirm", application: request.application };
  const reason = (request.reason ?? "").trim();
  if (request.kind === "reject") {
    if (reason === "" || reason.length > 500)
      throw new InputError("bad_reason", "a rejection needs a reason of at most 500 characters");
    return { kind: "reject", application: request.application, reason };
  }
  if (!(REVOCATION_REASONS as readonly string[]).includes(reason))
    throw new InputError(
      "bad_reason",
      `the revocation reason must be one of ${REVOCATION_REASONS.join(", ")}`,
    );
  const written = (request.request ?? "").trim();
  if (written === "" || written.length > 100)
    throw new InputError(
      "bad_request_reference",
      "name the person's written request (at most 100 characters)",
    );
  if (!/^[0-9a-f]{1,64}$/.test(request.certificate ?? ""))
    throw new InputError("bad_certificate", "the certificate serial must be lowercase hex");
  return {
    kind: "revoke",
    application: request.application,
    reason,
    certificate: request.certificate!,
    request: written,
  };
}

function fieldsOf(request: DecisionRequest): { [key: string]: CanonicalValue } {
  return {
    type: DECISION_DOCUMENT_TYPE,
    decision: request.kind,
    application: request.application,
    ...(request.reason !== undefined ? { reason: request.reason } : {}),
    ...(request.certificate !== undefined ? { certificate: request.certificate } : {}),
    ...(request.request !== undefined ? { request: request.request } : {}),
  };
}

function requestOf(document: { [key: string]: CanonicalValue }): DecisionRequest | undefined {
  if (
    document.type !== DECISION_DOCUMENT_TYPE ||
    !isKind(document.decision) ||
    typeof document.application !== "string"
  )
    return undefined;
  const text = (key: string) => (typeof document[key] === "string" ? { [key]: document[key] } : {});
  try {
    return normalize({
      kind: document.decision,
      application: document.application,
      ...text("reason"),
      ...text("certificate"),
      ...text("request"),
    });
  } catch {
    return undefined;
  }
}
