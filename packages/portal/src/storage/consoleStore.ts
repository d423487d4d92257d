import { createHash } from "node:crypto";
import { sql, type Kysely } from "kysely";
import type { AuditEntry, Engine } from "@qoltanba/ca";
import { InputError } from "@qoltanba/pki";
import { appendConsoleAudit, type AuditDetails, type ConsoleAuditAppender } from "./consoleAuditAppend.ts";
import type {
  ApplicationStatus,
  OperatorRole,
  OperatorsTable,
  OperatorStatus,
  PortalDatabase,
} from "./schema.ts";

const iso = (date: Date) => date.toISOString();

export type ChallengeOutcome = "ok" | "used" | "expired" | "unknown" | "mismatch";

export interface Operator {
  readonly id: number;
  readonly iin: string;
  readonly role: OperatorRole;
  readonly center?: string;
  readonly region?: string;
  readonly status: OperatorStatus;
  readonly applicationNumber?: string;
  readonly authSerial?: string;
  readonly signSerial?: string;
  readonly createdAt: Date;
  readonly createdBy: string;
}

export interface NewOperator {
  readonly iin: string;
  readonly role: OperatorRole;
  readonly center?: string;
  readonly region?: string;
  readonly enrolmentHash: string;
  readonly enrolmentExpiresAt: Date;
  readonly createdBy: string;
  readonly now: Date;
}

/** Who may see what in the work queue: one center, one region, or everything. */
export type QueueScope =
  { readonly center: string } | { readonly region: string } | { readonly everything: true };

export interface QueueQuery {
  readonly scope: QueueScope;
  readonly number?: string;
  readonly iin?: string;
  /** A surname prefix, as the registry writes it (upper case). */
  readonly surname?: string;
  readonly status?: ApplicationStatus;
  readonly submittedFrom?: Date;
  readonly submittedBefore?: Date;
  /** The last row of the previous page. */
  readonly after?: { readonly submittedAt: string; readonly number: string };
  readonly limit: number;
}

export interface QueueRow {
  readonly number: string;
  readonly status: ApplicationStatus;
  readonly iin?: string;
  readonly name?: string;
  readonly center: string;
  readonly submittedAt: string;
}

export interface DocumentCheck {
  readonly documentType: string;
  readonly documentNumber: string;
  readonly checkedBy: number;
  readonly checkedAt: Date;
}

function operatorOf(row: OperatorsTable): Operator {
  return {
    id: Number(row.id),
    iin: row.iin,
    role: row.role,
    ...(row.center ? { center: row.center } : {}),
    ...(row.region ? { region: row.region } : {}),
    status: row.status,
    ...(row.application_number ? { applicationNumber: row.application_number } : {}),
    ...(row.auth_serial ? { authSerial: row.auth_serial } : {}),
    ...(row.sign_serial ? { signSerial: row.sign_serial } : {}),
    createdAt: new Date(row.created_at),
    createdBy: row.created_by,
  };
}

/** The console's tables (operators, nonces, the queue, identity checks, its log): the only code that reads and writes them. */
export class ConsoleStore implements ConsoleAuditAppender {
  constructor(
    readonly db: Kysely<PortalDatabase>,
    private readonly engine: Engine,
  ) {}

  // ------------------------------------------------------------------ single-use nonces

  async createChallenge(
    nonce: string,
    audience: string,
    documentSha256: string | undefined,
    expiresAt: Date,
  ): Promise<void> {
    await this.db
      .insertInto("sign_challenges")
      .values({
        nonce,
        audience,
        document_sha256: documentSha256 ?? null,
        expires_at: iso(expiresAt),
        used_at: null,
      })
      .execute();
  }

  /** Spends a nonce: any attempt uses it up, so a signature over it never counts twice. */
  async spendChallenge(
    nonce: string,
    audience: string,
    documentSha256: string | undefined,
    now: Date,
  ): Promise<ChallengeOutcome> {
    const row = await this.db
      .selectFrom("sign_challenges")
      .selectAll()
      .where("nonce", "=", nonce)
      .executeTakeFirst();
    if (!row) return "unknown";
    const spent = await this.db
      .updateTable("sign_challenges")
      .set({ used_at: iso(now) })
      .where("nonce", "=", nonce)
      .where("used_at", "is", null)
      .executeTakeFirst();
    if (spent.numUpdatedRows !== 1n) return "used";
    if (row.expires_at <= iso(now)) return "expired";
    if (row.audience !== audience || row.document_sha256 !== (documentSha256 ?? null)) return "mismatch";
    return "ok";
  }

  /** Old nonces go; a spent one is kept until it expires, which is all a replay check needs. */
  async deleteExpiredChallenges(now: Date): Promise<number> {
    const result = await this.db
      .deleteFrom("sign_challenges")
      .where("expires_at", "<=", iso(now))
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  // ------------------------------------------------------------------ operators

  async addOperator(operator: NewOperator): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      const row = await trx
        .insertInto("operators")
        .values({
          iin: operator.iin,
          role: operator.role,
          center: operator.center ?? null,
          region: operator.region ?? null,
          status: "invited",
          enrolment_hash: operator.enrolmentHash,
          enrolment_expires_at: iso(operator.enrolmentExpiresAt),
          application_number: null,
          auth_serial: null,
          sign_serial: null,
          created_at: iso(operator.now),
          created_by: operator.createdBy,
        } as Omit<OperatorsTable, "id"> as OperatorsTable)
        .returning("id")
        .executeTakeFirstOrThrow();
      const id = Number(row.id);
      await this.appendAuditIn(
        trx,
        "operator-add",
        { operator: id, role: operator.role, by: operator.createdBy },
        operator.now,
      );
      return id;
    });
  }

  async operator(id: number): Promise<Operator | undefined> {
    const row = await this.db.selectFrom("operators").selectAll().where("id", "=", id).executeTakeFirst();
    return row && operatorOf(row);
  }

  async operators(): Promise<Operator[]> {
    const rows = await this.db.selectFrom("operators").selectAll().orderBy("id").execute();
    return rows.map(operatorOf);
  }

  /** The invited operator whose enrolment link this is, while it is unused and unexpired. */
  async operatorByEnrolment(enrolmentHash: string, now: Date): Promise<Operator | undefined> {
    const row = await this.db
      .selectFrom("operators")
      .selectAll()
      .where("enrolment_hash", "=", enrolmentHash)
      .where("status", "=", "invited")
      .where("enrolment_expires_at", ">", iso(now))
      .executeTakeFirst();
    return row && operatorOf(row);
  }

  /** Uses up the enrolment link: the application (for the operator's own IIN) will carry the role. */
  async bindEnrolment(enrolmentHash: string, applicationNumber: string, now: Date): Promise<Operator> {
    return this.db.transaction().execute(async (trx) => {
      const result = await trx
        .updateTable("operators")
        .set({ enrolment_hash: null, application_number: applicationNumber })
        .where("enrolment_hash", "=", enrolmentHash)
        .where("status", "=", "invited")
        .where("enrolment_expires_at", ">", iso(now))
        .executeTakeFirst();
      if (result.numUpdatedRows !== 1n)
        throw new InputError("enrolment_used", "this enrolment link was already used or has expired");
      const row = await trx
        .selectFrom("operators")
        .selectAll()
        .where("application_number", "=", applicationNumber)
        .executeTakeFirstOrThrow();
      await this.appendAuditIn(
        trx,
        "operator-enrol",
        { operator: row.id, application: applicationNumber },
        now,
      );
      return operatorOf(row);
    });
  }

  /** The enrolment's certificates are issued: from now on they carry the operator's role. */
  async activateOperator(id: number, serials: { auth: string; sign: string }, now: Date): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable("operators")
        .set({ status: "active", auth_serial: serials.auth, sign_serial: serials.sign })
        .where("id", "=", id)
        .where("status", "=", "invited")
        .execute();
      await this.appendAuditIn(
        trx,
        "operator-active",
        { operator: id, auth: serials.auth, sign: serials.sign },
        now,
      );
    });
  }

  async operatorByAuthSerial(serial: string): Promise<Operator | undefined> {
    const row = await this.db
      .selectFrom("operators")
      .selectAll()
      .where("auth_serial", "=", serial)
      .executeTakeFirst();
    return row && operatorOf(row);
  }

  // ------------------------------------------------------------------ the work queue

  /** One page of the queue, newest first, continuing after `query.after` (keyset paging: no OFFSET). */
  async searchApplications(query: QueueQuery): Promise<QueueRow[]> {
    let select = this.db
      .selectFrom("applications")
      .select(["number", "status", "iin", "surname", "given_name", "patronymic", "center", "submitted_at"]);
    const scope = query.scope;
    if ("center" in scope) select = select.where("center", "=", scope.center);
    else if ("region" in scope) select = select.where("region", "=", scope.region);
    if (query.number) select = select.where("number", "=", query.number);
    if (query.iin) select = select.where("iin", "=", query.iin);
    if (query.surname)
      select = select
        .where("surname", ">=", query.surname)
        .where("surname", "<", `${query.surname}\u{10FFFF}`);
    if (query.status) select = select.where("status", "=", query.status);
    if (query.submittedFrom) select = select.where("submitted_at", ">=", iso(query.submittedFrom));
    if (query.submittedBefore) select = select.where("submitted_at", "<", iso(query.submittedBefore));
    if (query.after)
      select = select.where(
        sql<boolean>`(submitted_at, number) < (${query.after.submittedAt}, ${query.after.number})`,
      );
    const rows = await select
      .orderBy("submitted_at", "desc")
      .orderBy("number", "desc")
      .limit(query.limit)
      .execute();
    return rows.map((row) => ({
      number: row.number,
      status: row.status,
      ...(row.iin ? { iin: row.iin } : {}),
      ...(row.surname
        ? { name: [row.surname, row.given_name, row.patronymic].filter(Boolean).join(" ") }
        : {}),
      center: row.center,
      submittedAt: row.submitted_at,
    }));
  }

  // ------------------------------------------------------------------ identity checks

  async saveIdentityCheck(number: string, check: DocumentCheck): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      await trx.deleteFrom("identity_checks").where("application_number", "=", number).execute();
      await trx
        .insertInto("identity_checks")
        .values({
          application_number: number,
          document_type: check.documentType,
          document_number: check.documentNumber,
          checked_by: check.checkedBy,
          checked_at: iso(check.checkedAt),
        })
        .execute();
      await this.appendAuditIn(
        trx,
        "identity-check",
        { application: number, operator: check.checkedBy },
        check.checkedAt,
      );
    });
  }

  async identityCheck(number: string): Promise<DocumentCheck | undefined> {
    const row = await this.db
      .selectFrom("identity_checks")
      .selectAll()
      .where("application_number", "=", number)
      .executeTakeFirst();
    return (
      row && {
        documentType: row.document_type,
        documentNumber: row.document_number,
        checkedBy: Number(row.checked_by),
        checkedAt: new Date(row.checked_at),
      }
    );
  }

  // ------------------------------------------------------------------ the console's audit log

  async appendAudit(action: string, details: AuditDetails, now: Date): Promise<number> {
    return this.db.transaction().execute((trx) => this.appendAuditIn(trx, action, details, now));
  }

  /** Appends in the caller's transaction (the session and signed-action stores append through this). */
  appendAuditIn(
    trx: Kysely<PortalDatabase>,
    action: string,
    details: AuditDetails,
    now: Date,
  ): Promise<number> {
    return appendConsoleAudit(trx, this.engine, action, details, now);
  }

  async *auditEntries(batch = 1000): AsyncIterable<AuditEntry> {
    for (let after = 0; ;) {
      const rows = await this.db
        .selectFrom("console_audit")
        .selectAll()
        .where("seq", ">", after)
        .orderBy("seq")
        .limit(batch)
        .execute();
      for (const row of rows)
        yield {
          seq: Number(row.seq),
          at: row.at,
          action: row.action,
          details: row.details,
          prevHash: row.prev_hash,
          hash: row.hash,
        };
      if (rows.length < batch) return;
      after = Number(rows[rows.length - 1]!.seq);
    }
  }

  /** The last entry: the chain has no separate head row, so entries cut off the end go unnoticed. */
  async auditHead(): Promise<{ seq: number; hash: string } | undefined> {
    const row = await this.db
      .selectFrom("console_audit")
      .select(["seq", "hash"])
      .orderBy("seq", "desc")
      .limit(1)
      .executeTakeFirst();
    return row && { seq: Number(row.seq), hash: row.hash };
  }

  /** The latest entries, newest first (the auditor's page). */
  async recentAudit(limit: number, beforeSeq?: number): Promise<AuditEntry[]> {
    let select = this.db.selectFrom("console_audit").selectAll();
    if (beforeSeq !== undefined) select = select.where("seq", "<", beforeSeq);
    const rows = await select.orderBy("seq", "desc").limit(limit).execute();
    return rows.map((row) => ({
      seq: Number(row.seq),
      at: row.at,
      action: row.action,
      details: row.details,
      prevHash: row.prev_hash,
      hash: row.hash,
    }));
  }
}

export const sha256Hex = (text: string | Buffer) => createHash("sha256").update(text).digest("hex");
