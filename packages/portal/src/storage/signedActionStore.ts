import type { Kysely } from "kysely";
import type { AuditDetails, ConsoleAuditAppender } from "./consoleAuditAppend.ts";
import { sha256Hex } from "./consoleStore.ts";
import type {
  Audience,
  CabinetActionKind,
  DecisionKind,
  PortalDatabase,
  SignedActionsTable,
} from "./schema.ts";

const iso = (date: Date) => date.toISOString();

interface SignedFields {
  readonly applicationNumber?: string;
  readonly certificateSerial?: string;
  /** The SIGN certificate that signed the document. */
  readonly signerSerial: string;
  /** The canonical document as signed. */
  readonly document: string;
  /** The attached CMS SignedData over the document. */
  readonly cms: Buffer;
  readonly at: Date;
}

/** A verified signature about to take effect: an operator's decision, or a person's action in the cabinet. */
export type NewSignedAction =
  | (SignedFields & {
      readonly audience: "console";
      readonly kind: DecisionKind;
      readonly operatorId: number;
    })
  | (SignedFields & { readonly audience: "cabinet"; readonly kind: CabinetActionKind });

export type SignedAction<A extends Audience = Audience> = Extract<NewSignedAction, { audience: A }> & {
  readonly id: number;
  readonly outcome: string;
  /** Its entry in the console log. */
  readonly auditSeq: number;
};

/** An operator's signed decision (confirm, reject, revoke). */
export type Decision = SignedAction<"console">;
/** A person's signed revocation or renewal in the cabinet. */
export type CabinetAction = SignedAction<"cabinet">;

/** The console log's entries for a signed action and for its failed effect, as each site has always written them. */
function auditOf(action: NewSignedAction): [string, AuditDetails] {
  const document = sha256Hex(action.document);
  const application: AuditDetails = action.applicationNumber ? { application: action.applicationNumber } : {};
  const serial: AuditDetails = action.certificateSerial ? { serial: action.certificateSerial } : {};
  return action.audience === "console"
    ? [
        `decision-${action.kind}`,
        { operator: action.operatorId, signer: action.signerSerial, ...application, ...serial, document },
      ]
    : [`cabinet-${action.kind}`, { signer: action.signerSerial, ...serial, ...application, document }];
}

const failureAuditOf = (audience: Audience, id: number): [string, AuditDetails] =>
  audience === "console" ? ["decision-failed", { decision: id }] : ["cabinet-action-failed", { action: id }];

function signedActionOf(row: SignedActionsTable): SignedAction {
  const fields = {
    id: Number(row.id),
    ...(row.application_number ? { applicationNumber: row.application_number } : {}),
    ...(row.certificate_serial ? { certificateSerial: row.certificate_serial } : {}),
    signerSerial: row.signer_serial,
    document: row.document,
    cms: Buffer.from(row.cms, "base64"),
    at: new Date(row.at),
    outcome: row.outcome,
    auditSeq: Number(row.audit_seq),
  };
  return row.audience === "console"
    ? { ...fields, audience: "console", kind: row.kind as DecisionKind, operatorId: Number(row.operator_id) }
    : { ...fields, audience: "cabinet", kind: row.kind as CabinetActionKind };
}

/** The signed actions of the console and the cabinet: one table, each row bound to its audience. */
export class SignedActionStore {
  constructor(
    private readonly db: Kysely<PortalDatabase>,
    private readonly audit: ConsoleAuditAppender,
  ) {}

  /** Stores a verified signed action with its console-log entry, before its effect is carried out. */
  async record(action: NewSignedAction): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      const seq = await this.audit.appendAuditIn(trx, ...auditOf(action), action.at);
      const row = await trx
        .insertInto("signed_actions")
        .values({
          audience: action.audience,
          kind: action.kind,
          application_number: action.applicationNumber ?? null,
          certificate_serial: action.certificateSerial ?? null,
          operator_id: action.audience === "console" ? action.operatorId : null,
          signer_serial: action.signerSerial,
          document: action.document,
          cms: action.cms.toString("base64"),
          at: iso(action.at),
          outcome: "pending",
          audit_seq: seq,
        } as Omit<SignedActionsTable, "id"> as SignedActionsTable)
        .returning("id")
        .executeTakeFirstOrThrow();
      return Number(row.id);
    });
  }

  /** "applied", or "failed: …" (also entered in the console log). */
  async setOutcome(audience: Audience, id: number, outcome: string, now: Date): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable("signed_actions")
        .set({ outcome: outcome.slice(0, 500) })
        .where("id", "=", id)
        .where("audience", "=", audience)
        .execute();
      if (outcome !== "applied") await this.audit.appendAuditIn(trx, ...failureAuditOf(audience, id), now);
    });
  }

  async get<A extends Audience>(audience: A, id: number): Promise<SignedAction<A> | undefined> {
    const row = await this.db
      .selectFrom("signed_actions")
      .selectAll()
      .where("id", "=", id)
      .where("audience", "=", audience)
      .executeTakeFirst();
    return row && (signedActionOf(row) as SignedAction<A>);
  }

  /** This audience's signed actions, newest first, before the id `before`. */
  async list<A extends Audience>(
    audience: A,
    options: { applicationNumber?: string; before?: number; limit: number },
  ): Promise<SignedAction<A>[]> {
    let select = this.db.selectFrom("signed_actions").selectAll().where("audience", "=", audience);
    if (options.applicationNumber)
      select = select.where("application_number", "=", options.applicationNumber);
    if (options.before !== undefined) select = select.where("id", "<", options.before);
    const rows = await select.orderBy("id", "desc").limit(options.limit).execute();
    return rows.map((row) => signedActionOf(row) as SignedAction<A>);
  }
}
