import { randomBytes } from "node:crypto";
import { sql, type Kysely, type Transaction } from "kysely";
import { InputError } from "@qoltanba/pki";
import { openMigratedDatabase, type OpenedDatabase } from "@qoltanba/ca";
import { BatchedLookup } from "./batchedLookup.ts";
import { PORTAL_MIGRATION_TABLE, portalMigrations } from "./migrations.ts";
import type {
  ApplicationsTable,
  ApplicationStatus,
  MailKind,
  OutboxTable,
  PortalDatabase,
} from "./schema.ts";

export interface Person {
  readonly iin: string;
  readonly surname: string;
  readonly givenName: string;
  readonly patronymic?: string;
}

export interface NewApplication {
  readonly number: string;
  readonly person: Person;
  readonly email?: string;
  readonly language: string;
  readonly region: string;
  readonly locality: string;
  readonly center: string;
  readonly storage: string;
  readonly authCsr: string;
  readonly signCsr: string;
  readonly authSpkiSha256: string;
  readonly signSpkiSha256: string;
  readonly receiptHash: string;
  readonly submittedAt: Date;
  readonly deadlineAt: Date;
}

export interface Application {
  readonly number: string;
  readonly status: ApplicationStatus;
  /** Absent once the personal data was purged. */
  readonly person?: Person;
  readonly email?: string;
  readonly language: string;
  readonly region: string;
  readonly locality: string;
  readonly center: string;
  readonly storage: string;
  readonly authSpkiSha256?: string;
  readonly signSpkiSha256?: string;
  readonly submittedAt: Date;
  readonly deadlineAt: Date;
  readonly confirmedAt?: Date;
  readonly issuedAt?: Date;
  readonly installedAt?: Date;
  readonly closedAt?: Date;
  readonly purgedAt?: Date;
  readonly operator?: string;
  readonly rejectionReason?: string;
  readonly authSerial?: string;
  readonly signSerial?: string;
}

export interface Counters {
  readonly total: number;
  readonly individual: number;
  readonly legal: number;
}

export type CaptchaOutcome = "ok" | "wrong" | "used" | "expired" | "unknown";

export interface OutboxMessage {
  readonly id: number;
  readonly applicationNumber: string;
  readonly kind: MailKind;
  readonly recipient: string;
  readonly language: string;
  readonly attempts: number;
  /** Expiry reminders: the certificate they are about. */
  readonly certificateSerial?: string;
}

const iso = (date: Date) => date.toISOString();

function applicationOf(row: ApplicationsTable): Application {
  // Assigned one by one rather than spread: a status lookup builds one of these per request.
  const application: { -readonly [K in keyof Application]: Application[K] } = {
    number: row.number,
    status: row.status,
    language: row.language,
    region: row.region,
    locality: row.locality,
    center: row.center,
    storage: row.storage,
    submittedAt: new Date(row.submitted_at),
    deadlineAt: new Date(row.deadline_at),
  };
  if (row.iin !== null) {
    application.person =
      row.patronymic === null
        ? { iin: row.iin, surname: row.surname!, givenName: row.given_name! }
        : { iin: row.iin, surname: row.surname!, givenName: row.given_name!, patronymic: row.patronymic };
  }
  if (row.email !== null) application.email = row.email;
  if (row.auth_spki_sha256 !== null) application.authSpkiSha256 = row.auth_spki_sha256;
  if (row.sign_spki_sha256 !== null) application.signSpkiSha256 = row.sign_spki_sha256;
  if (row.confirmed_at !== null) application.confirmedAt = new Date(row.confirmed_at);
  if (row.issued_at !== null) application.issuedAt = new Date(row.issued_at);
  if (row.installed_at !== null) application.installedAt = new Date(row.installed_at);
  if (row.closed_at !== null) application.closedAt = new Date(row.closed_at);
  if (row.purged_at !== null) application.purgedAt = new Date(row.purged_at);
  if (row.operator !== null) application.operator = row.operator;
  if (row.rejection_reason !== null) application.rejectionReason = row.rejection_reason;
  if (row.auth_serial !== null) application.authSerial = row.auth_serial;
  if (row.sign_serial !== null) application.signSerial = row.sign_serial;
  return application;
}

type ApplicationRowsByNumber = (numbers: string[]) => Promise<Map<string, ApplicationsTable>>;

/**
 * Applications by number on SQLite, read as arrays: better-sqlite3 builds a row object column by
 * column through V8's slow path, which cost as much as finding the row (half of the query's time).
 */
function sqliteApplicationRows(database: NonNullable<OpenedDatabase["sqlite"]>): ApplicationRowsByNumber {
  const statement = database
    .prepare("select * from applications where number in (select value from json_each(?))")
    .raw(true);
  const columns = statement.columns().map((column) => column.name);
  const numberColumn = columns.indexOf("number");
  return async (numbers) => {
    const rows = new Map<string, ApplicationsTable>();
    for (const values of statement.all(JSON.stringify(numbers)) as unknown[][]) {
      const row: Record<string, unknown> = {};
      for (let column = 0; column < columns.length; column++) row[columns[column]!] = values[column];
      rows.set(values[numberColumn] as string, row as unknown as ApplicationsTable);
    }
    return rows;
  };
}

const MAX_ROWS_PER_INSERT = 400;

/**
 * Kysely prepares every SQLite statement anew; the portal's few query shapes are prepared once
 * instead (a status lookup spends more time preparing than reading otherwise).
 */
function cachePreparedStatements(database: NonNullable<OpenedDatabase["sqlite"]>): void {
  const prepare = database.prepare.bind(database);
  const statements = new Map<string, ReturnType<typeof prepare>>();
  database.prepare = ((source: string) => {
    let statement = statements.get(source);
    if (!statement) {
      if (statements.size >= 500) statements.clear();
      statement = prepare(source);
      statements.set(source, statement);
    }
    return statement;
  }) as typeof database.prepare;
}

/** A unique-index clash on one of the applications' key columns. */
function isKeyClash(error: unknown): boolean {
  const { code, message, constraint } = error as { code?: string; message?: string; constraint?: string };
  if (code === "23505")
    return constraint === "applications_auth_key" || constraint === "applications_sign_key";
  return (
    typeof code === "string" && code.startsWith("SQLITE_CONSTRAINT") && /spki_sha256/.test(message ?? "")
  );
}

function isNumberClash(error: unknown): boolean {
  const { code, message, constraint } = error as { code?: string; message?: string; constraint?: string };
  if (code === "23505") return constraint === "applications_pkey";
  return (
    typeof code === "string" &&
    code.startsWith("SQLITE_CONSTRAINT") &&
    /applications\.number/.test(message ?? "")
  );
}

/** The only code that reads and writes the portal's tables. Each state change and its e-mail share one transaction. */
export class PortalStore {
  readonly db: Kysely<PortalDatabase>;
  readonly engine: OpenedDatabase["engine"];
  /** Concurrent lookups by number share a query (one statement shape on each engine: an array or JSON parameter). */
  private readonly applications: BatchedLookup<string, ApplicationsTable>;

  constructor(opened: OpenedDatabase<PortalDatabase>) {
    this.db = opened.db;
    this.engine = opened.engine;
    this.applications = new BatchedLookup(
      opened.sqlite
        ? sqliteApplicationRows(opened.sqlite)
        : async (numbers) => {
            const rows = await this.db.selectFrom("applications").selectAll().where(sql<boolean>`number = any(${numbers})`).execute();
            return new Map(rows.map((row) => [row.number, row]));
          },
    );
  }

  static async open(url: string, baseDir: string): Promise<PortalStore> {
    const opened = await openMigratedDatabase<PortalDatabase>(
      url,
      baseDir,
      portalMigrations,
      PORTAL_MIGRATION_TABLE,
    );
    if (opened.sqlite) cachePreparedStatements(opened.sqlite);
    return new PortalStore(opened);
  }

  /**
   * A random 32-byte secret every node of the portal shares: the first node to ask makes it, the
   * others read it. Deleting its row and restarting every node replaces it.
   */
  async sharedSecret(name: string): Promise<Buffer> {
    await this.db
      .insertInto("portal_secrets")
      .values({ name, value: randomBytes(32).toString("hex") })
      .onConflict((conflict) => conflict.column("name").doNothing())
      .execute();
    const row = await this.db
      .selectFrom("portal_secrets")
      .select("value")
      .where("name", "=", name)
      .executeTakeFirstOrThrow();
    return Buffer.from(row.value, "hex");
  }

  close(): Promise<void> {
    return this.db.destroy();
  }

  async counters(): Promise<Counters> {
    const rows = await this.db.selectFrom("counters").select(["name", "value"]).execute();
    const value = (name: string) => Number(rows.find((row) => row.name === name)?.value ?? 0);
    return {
      total: value("users_total"),
      individual: value("users_individual"),
      legal: value("users_legal"),
    };
  }

  // ------------------------------------------------------------------ persons (the embedded registry)

  async person(iin: string): Promise<Person | undefined> {
    const row = await this.db.selectFrom("persons").selectAll().where("iin", "=", iin).executeTakeFirst();
    if (!row) return undefined;
    return {
      iin: row.iin,
      surname: row.surname,
      givenName: row.given_name,
      ...(row.patronymic ? { patronymic: row.patronymic } : {}),
    };
  }

  async savePersons(persons: readonly Person[]): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      for (let start = 0; start < persons.length; start += MAX_ROWS_PER_INSERT) {
        await trx
          .insertInto("persons")
          .values(
            persons.slice(start, start + MAX_ROWS_PER_INSERT).map((person) => ({
              iin: person.iin,
              surname: person.surname,
              given_name: person.givenName,
              patronymic: person.patronymic ?? null,
            })),
          )
          .onConflict((conflict) =>
            conflict.column("iin").doUpdateSet((eb) => ({
              surname: eb.ref("excluded.surname"),
              given_name: eb.ref("excluded.given_name"),
              patronymic: eb.ref("excluded.patronymic"),
            })),
          )
          .execute();
      }
    });
  }

  // ------------------------------------------------------------------ captchas

  async createCaptcha(id: string, answer: string, expiresAt: Date): Promise<void> {
    await this.db
      .insertInto("captchas")
      .values({ id, answer, state: "new", expires_at: iso(expiresAt), iin: null, application_number: null })
      .execute();
  }

  /** Uses up a captcha: whatever the answer, the picture never counts twice. */
  async takeCaptcha(id: string, answer: string, now: Date): Promise<CaptchaOutcome> {
    const row = await this.db
      .selectFrom("captchas")
      .select(["answer", "state", "expires_at"])
      .where("id", "=", id)
      .executeTakeFirst();
    if (!row) return "unknown";
    if (row.state !== "new") return "used";
    const taken = await this.db
      .updateTable("captchas")
      .set({ state: "taken" })
      .where("id", "=", id)
      .where("state", "=", "new")
      .executeTakeFirst();
    if (taken.numUpdatedRows !== 1n) return "used";
    if (row.expires_at <= iso(now)) return "expired";
    return row.answer === answer ? "ok" : "wrong";
  }

  /** After the IIN check passed: the captcha now admits one submission, for this IIN and number. */
  async bindCaptcha(id: string, iin: string, applicationNumber: string, expiresAt: Date): Promise<void> {
    await this.db
      .updateTable("captchas")
      .set({ state: "checked", iin, application_number: applicationNumber, expires_at: iso(expiresAt) })
      .where("id", "=", id)
      .where("state", "=", "taken")
      .execute();
  }

  /** The IIN check a captcha carries, if it can still admit a submission. */
  async checkedCaptcha(
    id: string,
    now: Date,
  ): Promise<{ iin: string; applicationNumber: string } | undefined> {
    const row = await this.db
      .selectFrom("captchas")
      .select(["iin", "application_number"])
      .where("id", "=", id)
      .where("state", "=", "checked")
      .where("expires_at", ">", iso(now))
      .executeTakeFirst();
    return row?.iin && row.application_number
      ? { iin: row.iin, applicationNumber: row.application_number }
      : undefined;
  }

  async deleteExpiredCaptchas(now: Date): Promise<number> {
    const result = await this.db
      .deleteFrom("captchas")
      .where("expires_at", "<=", iso(now))
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }

  // ------------------------------------------------------------------ applications

  /**
   * Stores a submission in one transaction: uses up the checked captcha (which must carry this IIN
   * and number), inserts the application and, with an e-mail address, its outbox message. A
   * renewal signed in the personal cabinet has no captcha (`undefined`: the signature vouches) and
   * no "come to a Registration Center" e-mail.
   */
  async insertApplication(application: NewApplication, captchaId: string | undefined): Promise<void> {
    try {
      await this.db.transaction().execute(async (trx) => {
        if (captchaId !== undefined) await this.useCaptcha(trx, application, captchaId);
        await trx
          .insertInto("applications")
          .values({
            number: application.number,
            status: "submitted",
            iin: application.person.iin,
            surname: application.person.surname,
            given_name: application.person.givenName,
            patronymic: application.person.patronymic ?? null,
            email: application.email ?? null,
            language: application.language,
            region: application.region,
            locality: application.locality,
            center: application.center,
            storage: application.storage,
            auth_spki_sha256: application.authSpkiSha256,
            sign_spki_sha256: application.signSpkiSha256,
            receipt_hash: application.receiptHash,
            submitted_at: iso(application.submittedAt),
            deadline_at: iso(application.deadlineAt),
            confirmed_at: null,
            issuance_claimed_at: null,
            issued_at: null,
            installed_at: null,
            closed_at: null,
            purged_at: null,
            operator: null,
            rejection_reason: null,
            auth_serial: null,
            sign_serial: null,
          })
          .execute();
        await trx
          .insertInto("application_csrs")
          .values({
            number: application.number,
            auth_csr: application.authCsr,
            sign_csr: application.signCsr,
          })
          .execute();
        if (application.email && captchaId !== undefined)
          await this.enqueueIn(
            trx,
            application.number,
            "submitted",
            application.email,
            application.language,
            application.submittedAt,
          );
      });
    } catch (error) {
      if (isKeyClash(error))
        throw new InputError(
          "key_in_use",
          "one of these keys is already in another application: generate new keys",
        );
      if (isNumberClash(error))
        throw new InputError("number_taken", "this application number is taken: check the IIN again");
      throw error;
    }
  }

  private async useCaptcha(
    trx: Transaction<PortalDatabase>,
    application: NewApplication,
    captchaId: string,
  ): Promise<void> {
    const used = await trx
      .updateTable("captchas")
      .set({ state: "used" })
      .where("id", "=", captchaId)
      .where("state", "=", "checked")
      .where("iin", "=", application.person.iin)
      .where("application_number", "=", application.number)
      .where("expires_at", ">", iso(application.submittedAt))
      .executeTakeFirst();
    if (used.numUpdatedRows !== 1n)
      throw new InputError("captcha_used", "this IIN check was already used or has expired: check the IIN again");
  }

  async application(number: string): Promise<Application | undefined> {
    const row = await this.applications.get(number);
    return row && applicationOf(row);
  }

  /** A person's applications, newest first (the personal cabinet). */
  async applicationsOfPerson(iin: string, limit = 100): Promise<Application[]> {
    const rows = await this.db
      .selectFrom("applications")
      .selectAll()
      .where("iin", "=", iin)
      .orderBy("submitted_at", "desc")
      .limit(limit)
      .execute();
    return rows.map(applicationOf);
  }

  async applicationByReceipt(receiptHash: string, number: string): Promise<Application | undefined> {
    const row = await this.db
      .selectFrom("applications")
      .selectAll()
      .where("number", "=", number)
      .where("receipt_hash", "=", receiptHash)
      .executeTakeFirst();
    return row && applicationOf(row);
  }

  /** The CSRs of an application that waits for its certificates. */
  async csrs(number: string): Promise<{ auth: string; sign: string } | undefined> {
    const row = await this.db
      .selectFrom("application_csrs")
      .select(["auth_csr", "sign_csr"])
      .where("number", "=", number)
      .executeTakeFirst();
    return row && { auth: row.auth_csr, sign: row.sign_csr };
  }

  /** Whether a public key is in any application (a key goes into one application only). */
  async keyInApplication(spkiSha256: string): Promise<boolean> {
    const row = await this.db
      .selectFrom("applications")
      .select("number")
      .where((eb) =>
        eb.or([eb("auth_spki_sha256", "=", spkiSha256), eb("sign_spki_sha256", "=", spkiSha256)]),
      )
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Moves an application from one of `from` to a new state; refuses (changes nothing) from any other state. */
  private async move(
    trx: Transaction<PortalDatabase>,
    number: string,
    from: readonly ApplicationStatus[],
    set: Partial<ApplicationsTable>,
  ): Promise<ApplicationsTable> {
    const row = await trx
      .selectFrom("applications")
      .selectAll()
      .where("number", "=", number)
      .executeTakeFirst();
    if (!row) throw new InputError("unknown_application", `no application ${number}`);
    const result = await trx
      .updateTable("applications")
      .set(set)
      .where("number", "=", number)
      .where("status", "in", [...from])
      .executeTakeFirst();
    if (result.numUpdatedRows !== 1n) {
      throw new InputError(
        "bad_application_state",
        `application ${number} is ${row.status}, not ${from.join(" or ")}`,
      );
    }
    return row;
  }

  /** Confirms a submitted application; the confirming process holds its issuance claim. */
  async confirm(number: string, operator: string, now: Date): Promise<void> {
    await this.db.transaction().execute((trx) =>
      this.move(trx, number, ["submitted"], {
        status: "confirmed",
        confirmed_at: iso(now),
        issuance_claimed_at: iso(now),
        operator,
      }),
    );
  }

  /**
   * Claims the issuance of a confirmed application whose earlier claim (if any) is older than
   * `claimedBefore`; false when another process holds a fresh claim or it is not confirmed.
   */
  async claimIssuance(number: string, now: Date, claimedBefore: Date): Promise<boolean> {
    const result = await this.db
      .updateTable("applications")
      .set({ issuance_claimed_at: iso(now) })
      .where("number", "=", number)
      .where("status", "=", "confirmed")
      .where((eb) =>
        eb.or([eb("issuance_claimed_at", "is", null), eb("issuance_claimed_at", "<", iso(claimedBefore))]),
      )
      .executeTakeFirst();
    return result.numUpdatedRows === 1n;
  }

  /** Confirmed applications whose issuance claim ran out: their process stopped before recording the certificates. */
  async abandonedIssuances(claimedBefore: Date, limit: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom("applications")
      .select("number")
      .where("status", "=", "confirmed")
      .where("issuance_claimed_at", "<", iso(claimedBefore))
      .limit(limit)
      .execute();
    return rows.map((row) => row.number);
  }

  /** The certificates are issued: state, serials, the user counters and the e-mail change together. */
  async recordIssued(number: string, serials: { auth: string; sign: string }, now: Date): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const row = await this.move(trx, number, ["confirmed"], {
        status: "issued",
        issued_at: iso(now),
        auth_serial: serials.auth,
        sign_serial: serials.sign,
      });
      const inserted = await trx
        .insertInto("portal_users")
        .values({ iin: row.iin!, kind: "individual", first_issued_at: iso(now) })
        .onConflict((conflict) => conflict.column("iin").doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0) === 1) {
        await trx
          .updateTable("counters")
          .set((eb) => ({ value: eb("value", "+", 1) }))
          .where("name", "in", ["users_total", "users_individual"])
          .execute();
      }
      await trx.deleteFrom("application_csrs").where("number", "=", number).execute();
      if (row.email) await this.enqueueIn(trx, number, "issued", row.email, row.language, now);
    });
  }

  async reject(number: string, operator: string, reason: string, now: Date): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const row = await this.move(trx, number, ["submitted", "confirmed"], {
        status: "rejected",
        closed_at: iso(now),
        operator,
        rejection_reason: reason,
      });
      await trx.deleteFrom("application_csrs").where("number", "=", number).execute();
      if (row.email) await this.enqueueIn(trx, number, "rejected", row.email, row.language, now);
    });
  }

  /** A supervisor moves a waiting application to another Registration Center. */
  async reassign(number: string, center: string): Promise<void> {
    const result = await this.db
      .updateTable("applications")
      .set({ center })
      .where("number", "=", number)
      .where("status", "in", ["submitted", "confirmed"])
      .executeTakeFirst();
    if (result.numUpdatedRows !== 1n)
      throw new InputError("bad_application_state", `application ${number} is not waiting for a decision`);
  }

  async markInstalled(number: string, now: Date): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      const row = await this.move(trx, number, ["issued", "installed"], { status: "installed" });
      if (row.installed_at === null)
        await trx
          .updateTable("applications")
          .set({ installed_at: iso(now) })
          .where("number", "=", number)
          .execute();
    });
  }

  /** Expires submitted applications past their deadline, up to `limit` per call, each with its e-mail. */
  async expireDue(now: Date, limit = 500): Promise<number> {
    return this.db.transaction().execute(async (trx) => {
      let query = trx
        .selectFrom("applications")
        .select(["number", "email", "language"])
        .where("status", "=", "submitted")
        .where("deadline_at", "<=", iso(now))
        .limit(limit);
      if (this.engine === "postgres") query = query.forUpdate().skipLocked();
      const due = await query.execute();
      if (due.length === 0) return 0;
      await trx
        .updateTable("applications")
        .set({ status: "expired", closed_at: iso(now) })
        .where(
          "number",
          "in",
          due.map((row) => row.number),
        )
        .where("status", "=", "submitted")
        .execute();
      await trx
        .deleteFrom("application_csrs")
        .where(
          "number",
          "in",
          due.map((row) => row.number),
        )
        .execute();
      for (const row of due)
        if (row.email) await this.enqueueIn(trx, row.number, "expired", row.email, row.language, now);
      return due.length;
    });
  }

  /** Erases the personal data of applications rejected or expired before `closedBefore`; the record stays. */
  async purgeClosed(closedBefore: Date, now: Date, limit = 1000): Promise<number> {
    const due = await this.db
      .selectFrom("applications")
      .select("number")
      .where("status", "in", ["rejected", "expired"])
      .where("closed_at", "<", iso(closedBefore))
      .where("purged_at", "is", null)
      .limit(limit)
      .execute();
    if (due.length === 0) return 0;
    await this.db
      .updateTable("applications")
      .set({
        iin: null,
        surname: null,
        given_name: null,
        patronymic: null,
        email: null,
        auth_spki_sha256: null,
        sign_spki_sha256: null,
        receipt_hash: null,
        purged_at: iso(now),
      })
      .where(
        "number",
        "in",
        due.map((row) => row.number),
      )
      .execute();
    await this.db
      .deleteFrom("identity_checks")
      .where(
        "application_number",
        "in",
        due.map((row) => row.number),
      )
      .execute();
    return due.length;
  }

  // ------------------------------------------------------------------ outbox

  private async enqueueIn(
    trx: Transaction<PortalDatabase>,
    number: string,
    kind: MailKind,
    recipient: string,
    language: string,
    now: Date,
  ): Promise<void> {
    await trx
      .insertInto("outbox")
      .values({
        application_number: number,
        kind,
        recipient,
        language,
        created_at: iso(now),
        attempts: 0,
        next_attempt_at: iso(now),
        claimed_until: null,
        sent_at: null,
        outcome: null,
        last_error: null,
      } as Omit<OutboxTable, "id"> as OutboxTable)
      .execute();
  }

  /**
   * Claims up to `limit` messages that are due and not leased by another worker, until `leaseUntil`.
   * A message is claimed by one worker at a time.
   */
  async claimDueMessages(now: Date, leaseUntil: Date, limit = 20): Promise<OutboxMessage[]> {
    const candidates = await this.db
      .selectFrom("outbox")
      .select(["id", "application_number", "kind", "recipient", "language", "attempts", "certificate_serial"])
      .where("outcome", "is", null)
      .where("next_attempt_at", "<=", iso(now))
      .where((eb) => eb.or([eb("claimed_until", "is", null), eb("claimed_until", "<=", iso(now))]))
      .orderBy("next_attempt_at")
      .limit(limit)
      .execute();
    const claimed: OutboxMessage[] = [];
    for (const row of candidates) {
      const result = await this.db
        .updateTable("outbox")
        .set({ claimed_until: iso(leaseUntil) })
        .where("id", "=", row.id)
        .where("outcome", "is", null)
        .where((eb) => eb.or([eb("claimed_until", "is", null), eb("claimed_until", "<=", iso(now))]))
        .executeTakeFirst();
      if (result.numUpdatedRows === 1n) {
        claimed.push({
          id: Number(row.id),
          applicationNumber: row.application_number,
          kind: row.kind,
          recipient: row.recipient,
          language: row.language,
          attempts: Number(row.attempts),
          ...(row.certificate_serial ? { certificateSerial: row.certificate_serial } : {}),
        });
      }
    }
    return claimed;
  }

  /** An issued certificate's notAfter, as the reminder sweep copied it from the CA. */
  async certificateNotAfter(serial: string): Promise<Date | undefined> {
    const row = await this.db
      .selectFrom("certificate_expiries")
      .select("not_after")
      .where("serial", "=", serial)
      .executeTakeFirst();
    return row && new Date(row.not_after);
  }

  async markSent(id: number, now: Date): Promise<void> {
    await this.db
      .updateTable("outbox")
      .set({ outcome: "sent", sent_at: iso(now), claimed_until: null })
      .where("id", "=", id)
      .execute();
  }

  async markDropped(id: number, reason: string): Promise<void> {
    await this.db
      .updateTable("outbox")
      .set({ outcome: "dropped", last_error: reason, claimed_until: null })
      .where("id", "=", id)
      .execute();
  }

  async markFailed(id: number, error: string, nextAttemptAt: Date): Promise<void> {
    await this.db
      .updateTable("outbox")
      .set((eb) => ({
        attempts: eb("attempts", "+", 1),
        last_error: error.slice(0, 500),
        next_attempt_at: iso(nextAttemptAt),
        claimed_until: null,
      }))
      .where("id", "=", id)
      .execute();
  }

  async outbox(number: string): Promise<Array<{ kind: MailKind; outcome: string | null; attempts: number }>> {
    const rows = await this.db
      .selectFrom("outbox")
      .select(["kind", "outcome", "attempts"])
      .where("application_number", "=", number)
      .orderBy("id")
      .execute();
    return rows.map((row) => ({ kind: row.kind, outcome: row.outcome, attempts: Number(row.attempts) }));
  }

  /** Rows in the applications table (tests and benchmarks; the pages never count). */
  async countApplications(): Promise<number> {
    const row = await this.db
      .selectFrom("applications")
      .select(sql<number>`count(*)`.as("count"))
      .executeTakeFirstOrThrow();
    return Number(row.count);
  }
}
