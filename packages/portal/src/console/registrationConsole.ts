// The Registration Center console's operations, each checked against the signed-in operator's role
// and scope: login through the agent, sessions, the work queue, the application view, the identity
// checklist, reassigning, signed decisions and the audit log.
import { InputError } from "@qoltanba/pki";
import { verifyAuditChain, type AuditEntry, type AuditProblem } from "@qoltanba/ca";
import { CertificateLogin, SignatureRefused, type LoginChallenge } from "../auth/certificateLogin.ts";
import type { CaClient } from "../caClient.ts";
import type { ApplicationLifecycle } from "../enrollment/lifecycle.ts";
import { centerByCode } from "../locality/regions.ts";
import { fingerprintLines } from "../pdf/applicationForm.ts";
import type { Reverification } from "../auth/signedAction.ts";
import type { ConsoleStore, DocumentCheck, Operator, QueueQuery, QueueRow } from "../storage/consoleStore.ts";
import type { Application, PortalStore } from "../storage/portalStore.ts";
import type { ApplicationStatus } from "../storage/schema.ts";
import type { SessionStore } from "../storage/sessionStore.ts";
import type { Decision, SignedActionStore } from "../storage/signedActionStore.ts";
import { SignedDecisions, type DecisionRequest, type PreparedDecision } from "./decisions.ts";
import { Operators } from "./operators.ts";
import { Forbidden, inScope, requirePermission, scopeOf } from "./roles.ts";

export const DEFAULT_SESSION_MINUTES = 30;
export const QUEUE_PAGE = 50;
export const APPLICATION_STATUSES: readonly ApplicationStatus[] = [
  "submitted",
  "confirmed",
  "issued",
  "installed",
  "rejected",
  "expired",
];
/** The identity documents an operator may record having seen. */
export const DOCUMENT_TYPES = ["id-card", "passport", "residence-permit"] as const;

export interface ConsoleSession {
  readonly operator: Operator;
  /** The AUTH certificate serial the session was opened with. */
  readonly serial: string;
}

export interface QueueFilter {
  readonly number?: string;
  readonly iin?: string;
  readonly name?: string;
  readonly status?: string;
  /** YYYY-MM-DD, inclusive. */
  readonly from?: string;
  readonly to?: string;
  /** The opaque cursor of the previous page. */
  readonly after?: string;
}

export interface ApplicationView {
  readonly application: Application;
  readonly fingerprints: { readonly auth?: string[]; readonly sign?: string[] };
  readonly identityCheck?: DocumentCheck & { readonly checkedByIin?: string };
  readonly decisions: Decision[];
}

export class RegistrationConsole {
  readonly login: CertificateLogin;
  readonly operators: Operators;
  readonly decisions: SignedDecisions;

  constructor(
    private readonly store: ConsoleStore,
    private readonly sessions: SessionStore,
    private readonly signedActions: SignedActionStore,
    private readonly portalStore: PortalStore,
    lifecycle: ApplicationLifecycle,
    ca: CaClient,
    private readonly sessionMinutes = DEFAULT_SESSION_MINUTES,
  ) {
    this.login = new CertificateLogin(store, ca, "qoltanba-console");
    this.operators = new Operators(store, lifecycle);
    this.decisions = new SignedDecisions(store, signedActions, portalStore, lifecycle, ca);
  }

  challenge(now = new Date()): Promise<LoginChallenge> {
    return this.login.challenge(now);
  }

  /** A signed login → a session token (for an HttpOnly cookie); only an active operator's AUTH certificate enters. */
  async signIn(
    signature: string,
    now = new Date(),
  ): Promise<{ token: string; operator: Operator; expiresAt: Date }> {
    const identity = await this.login.verify(signature, now);
    const operator = await this.store.operatorByAuthSerial(identity.serial);
    if (!operator || operator.status !== "active" || operator.iin !== identity.iin)
      throw new SignatureRefused(
        "not_an_operator",
        "this certificate does not belong to a Registration Center operator",
      );
    const expiresAt = new Date(now.getTime() + this.sessionMinutes * 60_000);
    const token = await this.sessions.open(
      { audience: "console", operatorId: operator.id, serial: identity.serial },
      now,
      expiresAt,
    );
    return { token, operator, expiresAt };
  }

  async session(token: string | undefined, now = new Date()): Promise<ConsoleSession | undefined> {
    const found = await this.sessions.live("console", token, now);
    if (!found) return undefined;
    const operator = await this.store.operator(found.operatorId);
    if (!operator || operator.status !== "active" || operator.authSerial !== found.serial) return undefined;
    return { operator, serial: found.serial };
  }

  signOut(token: string, now = new Date()): Promise<void> {
    return this.sessions.end("console", token, now);
  }

  /** One page of the operator's queue and the cursor of the next (none on the last page). */
  async search(operator: Operator, filter: QueueFilter): Promise<{ rows: QueueRow[]; next?: string }> {
    requirePermission(operator, "queue");
    const query: QueueQuery = {
      scope: scopeOf(operator),
      ...queryOf(filter),
      limit: QUEUE_PAGE + 1,
    };
    const rows = await this.store.searchApplications(query);
    if (rows.length <= QUEUE_PAGE) return { rows };
    const page = rows.slice(0, QUEUE_PAGE);
    const last = page[page.length - 1]!;
    return { rows: page, next: Buffer.from(`${last.submittedAt}|${last.number}`).toString("base64url") };
  }

  async view(operator: Operator, number: string): Promise<ApplicationView> {
    const application = await this.scoped(operator, number);
    const check = await this.store.identityCheck(number);
    const checker = check && (await this.store.operator(check.checkedBy));
    return {
      application,
      fingerprints: {
        ...(application.authSpkiSha256 ? { auth: fingerprintLines(application.authSpkiSha256) } : {}),
        ...(application.signSpkiSha256 ? { sign: fingerprintLines(application.signSpkiSha256) } : {}),
      },
      ...(check ? { identityCheck: { ...check, ...(checker ? { checkedByIin: checker.iin } : {}) } } : {}),
      decisions: await this.signedActions.list("console", { applicationNumber: number, limit: 20 }),
    };
  }

  /** The checklist: which identity document the operator saw, and its number. */
  async checkIdentity(
    operator: Operator,
    number: string,
    document: { type: string; number: string },
    now = new Date(),
  ): Promise<void> {
    requirePermission(operator, "decide");
    const application = await this.scoped(operator, number);
    if (application.status !== "submitted" && application.status !== "confirmed")
      throw new InputError("bad_application_state", `application ${number} is ${application.status}`);
    if (!(DOCUMENT_TYPES as readonly string[]).includes(document.type))
      throw new InputError(
        "bad_document_type",
        `the document type must be one of ${DOCUMENT_TYPES.join(", ")}`,
      );
    const documentNumber = document.number.trim();
    if (!/^[A-Za-z0-9]{5,20}$/.test(documentNumber))
      throw new InputError("bad_document_number", "the document number is 5 to 20 letters and digits");
    await this.store.saveIdentityCheck(number, {
      documentType: document.type,
      documentNumber,
      checkedBy: operator.id,
      checkedAt: now,
    });
  }

  async reassign(operator: Operator, number: string, center: string, now = new Date()): Promise<void> {
    requirePermission(operator, "reassign");
    const application = await this.scoped(operator, number);
    const target = centerByCode(center);
    if (!target || !inScope(operator, { center: target.code, region: target.region }))
      throw new Forbidden("the new Registration Center must be in your region");
    await this.portalStore.reassign(application.number, target.code);
    await this.store.appendAudit(
      "reassign",
      { application: number, operator: operator.id, center: target.code },
      now,
    );
  }

  prepareDecision(operator: Operator, request: DecisionRequest, now = new Date()): Promise<PreparedDecision> {
    return this.decisions.prepare(operator, request, now);
  }

  submitDecision(operator: Operator, signature: string, now = new Date()): Promise<Decision> {
    return this.decisions.submit(operator, signature, now);
  }

  async auditLog(operator: Operator, before?: number): Promise<AuditEntry[]> {
    requirePermission(operator, "audit");
    return this.store.recentAudit(QUEUE_PAGE, before);
  }

  async decisionList(operator: Operator, before?: number): Promise<Decision[]> {
    requirePermission(operator, "audit");
    return this.signedActions.list("console", {
      limit: QUEUE_PAGE,
      ...(before !== undefined ? { before } : {}),
    });
  }

  async reverify(operator: Operator, id: number): Promise<{ decision: Decision; result: Reverification }> {
    requirePermission(operator, "audit");
    const decision = await this.signedActions.get("console", id);
    if (!decision) throw new InputError("unknown_decision", `no decision ${id}`);
    return { decision, result: await this.decisions.reverify(decision) };
  }

  /** Recomputes the console's hash chain (what `qoltanba console audit` prints). */
  async verifyAudit(): Promise<{ count: number; problems: AuditProblem[] }> {
    return verifyAuditChain(this.store.auditEntries(), await this.store.auditHead());
  }

  private async scoped(operator: Operator, number: string): Promise<Application> {
    requirePermission(operator, "queue");
    const application = await this.portalStore.application(number);
    if (!application) throw new InputError("unknown_application", `no application ${number}`);
    if (!inScope(operator, application))
      throw new Forbidden(`application ${number} belongs to another Registration Center`);
    return application;
  }
}

function queryOf(filter: QueueFilter): Omit<QueueQuery, "scope" | "limit"> {
  const text = (value: string | undefined) => (value ?? "").trim();
  const number = text(filter.number).replace(/\s/g, "");
  if (number && !/^\d{16}$/.test(number))
    throw new InputError("bad_application_number", "an application number has 16 digits");
  const iin = text(filter.iin);
  if (iin && !/^\d{12}$/.test(iin)) throw new InputError("bad_iin", "an IIN has 12 digits");
  const name = text(filter.name).toUpperCase();
  if (name.length > 100) throw new InputError("bad_name", "the name is too long");
  const status = text(filter.status);
  if (status && !APPLICATION_STATUSES.includes(status as ApplicationStatus))
    throw new InputError("bad_status", `the status must be one of ${APPLICATION_STATUSES.join(", ")}`);
  const date = (value: string, field: string) => {
    if (!value) return undefined;
    const parsed = /^\d{4}-\d{2}-\d{2}$/.test(value) ? new Date(`${value}T00:00:00Z`) : new Date(NaN);
    if (Number.isNaN(parsed.getTime()))
      throw new InputError("bad_date", `${field} must be a date YYYY-MM-DD`);
    return parsed;
  };
  const from = date(text(filter.from), "from");
  const to = date(text(filter.to), "to");
  let after: QueueQuery["after"];
  if (filter.after) {
    const [submittedAt, lastNumber] = Buffer.from(filter.after, "base64url").toString("utf8").split("|");
    if (!submittedAt || !lastNumber || !/^\d{16}$/.test(lastNumber) || Number.isNaN(Date.parse(submittedAt)))
      throw new InputError("bad_cursor", "the page cursor is not valid");
    after = { submittedAt, number: lastNumber };
  }
  return {
    ...(number ? { number } : {}),
    ...(iin ? { iin } : {}),
    ...(name ? { surname: name } : {}),
    ...(status ? { status: status as ApplicationStatus } : {}),
    ...(from ? { submittedFrom: from } : {}),
    ...(to ? { submittedBefore: new Date(to.getTime() + 86_400_000) } : {}),
    ...(after ? { after } : {}),
  };
}
