import type { Kysely } from "kysely";
import type { OutboxTable, PortalDatabase, ReminderKind } from "./schema.ts";

const iso = (date: Date) => date.toISOString();

/** An issued application whose certificates' notAfter the reminders do not know yet. */
export interface IssuedCertificates {
  readonly number: string;
  readonly authSerial: string;
  readonly signSerial: string;
  readonly issuedAt: string;
}

/** A certificate within the reminders' window, with the person's address and language. */
export interface ExpiringCertificate {
  readonly serial: string;
  readonly applicationNumber: string;
  readonly notAfter: Date;
  readonly recipient: string;
  readonly language: string;
  /** The reminders it already has (sent, waiting, or recorded as not needed). */
  readonly reminded: readonly ReminderKind[];
}

export interface NewReminder {
  readonly serial: string;
  readonly applicationNumber: string;
  readonly kind: ReminderKind;
  readonly recipient: string;
  readonly language: string;
  /** null: to be sent; otherwise why it is not ("revoked", "passed": a nearer one went instead). */
  readonly outcome: string | null;
}

const REMINDER_PROGRESS = "issued";

/** The expiry reminders' bookkeeping: certificates' notAfter, the sweep's progress, the reminders' outbox rows. */
export class ReminderStore {
  constructor(private readonly db: Kysely<PortalDatabase>) {}

  /** The issued_at up to which every issued application's certificates are known (with an overlap, see ExpiryReminders). */
  async reminderProgress(): Promise<string | undefined> {
    const row = await this.db
      .selectFrom("reminder_progress")
      .select("issued_at")
      .where("name", "=", REMINDER_PROGRESS)
      .executeTakeFirst();
    return row?.issued_at;
  }

  /**
   * Issued applications after `after` (issued later, or at the same instant with a greater number)
   * whose certificates are not copied yet, oldest first.
   */
  async issuedWithoutExpiry(
    after: { issuedAt: string; number?: string },
    limit: number,
  ): Promise<IssuedCertificates[]> {
    const rows = await this.db
      .selectFrom("applications")
      .select(["number", "auth_serial", "sign_serial", "issued_at"])
      .where((eb) =>
        eb.or([
          eb("issued_at", ">", after.issuedAt),
          eb.and([eb("issued_at", "=", after.issuedAt), eb("number", ">", after.number ?? "")]),
        ]),
      )
      .where("status", "in", ["issued", "installed"])
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom("certificate_expiries")
              .select("serial")
              .whereRef("certificate_expiries.serial", "=", "applications.auth_serial"),
          ),
        ),
      )
      .orderBy("issued_at")
      .orderBy("number")
      .limit(limit)
      .execute();
    return rows.flatMap((row) =>
      row.auth_serial && row.sign_serial && row.issued_at
        ? [
            {
              number: row.number,
              authSerial: row.auth_serial,
              signSerial: row.sign_serial,
              issuedAt: row.issued_at,
            },
          ]
        : [],
    );
  }

  /** Records notAfter of certificates and moves the progress forward (never back). */
  async saveExpiries(
    expiries: ReadonlyArray<{ serial: string; applicationNumber: string; notAfter: Date }>,
    progress: string,
  ): Promise<void> {
    await this.db.transaction().execute(async (trx) => {
      if (expiries.length > 0)
        await trx
          .insertInto("certificate_expiries")
          .values(
            expiries.map((expiry) => ({
              serial: expiry.serial,
              application_number: expiry.applicationNumber,
              not_after: iso(expiry.notAfter),
            })),
          )
          .onConflict((conflict) => conflict.column("serial").doNothing())
          .execute();
      await trx
        .insertInto("reminder_progress")
        .values({ name: REMINDER_PROGRESS, issued_at: progress })
        .onConflict((conflict) =>
          conflict
            .column("name")
            .doUpdateSet({ issued_at: progress })
            .where("reminder_progress.issued_at", "<", progress),
        )
        .execute();
    });
  }

  /**
   * Certificates expiring in (now, until] whose application still has the person's e-mail, and
   * whose person has no application issued after theirs (renewed: nothing to remind of).
   */
  async expiringCertificates(now: Date, until: Date): Promise<ExpiringCertificate[]> {
    const rows = await this.db
      .selectFrom("certificate_expiries as e")
      .innerJoin("applications as a", "a.number", "e.application_number")
      .select(["e.serial", "e.application_number", "e.not_after", "a.email", "a.language"])
      .where("e.not_after", ">", iso(now))
      .where("e.not_after", "<=", iso(until))
      .where("a.email", "is not", null)
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom("applications as newer")
              .select("newer.number")
              .whereRef("newer.iin", "=", "a.iin")
              .whereRef("newer.issued_at", ">", "a.issued_at")
              .where("newer.status", "in", ["issued", "installed"]),
          ),
        ),
      )
      .execute();
    if (rows.length === 0) return [];
    const reminded = await this.db
      .selectFrom("outbox")
      .select(["certificate_serial", "kind"])
      .where(
        "certificate_serial",
        "in",
        rows.map((row) => row.serial),
      )
      .execute();
    return rows.map((row) => ({
      serial: row.serial,
      applicationNumber: row.application_number,
      notAfter: new Date(row.not_after),
      recipient: row.email!,
      language: row.language,
      reminded: reminded
        .filter((reminder) => reminder.certificate_serial === row.serial)
        .map((reminder) => reminder.kind as ReminderKind),
    }));
  }

  /**
   * One outbox row per (certificate, threshold): a row that exists already (another node, an
   * earlier run) is left alone by the unique index. Returns how many new e-mails wait to be sent.
   */
  async insertReminders(reminders: readonly NewReminder[], now: Date): Promise<number> {
    let queued = 0;
    for (const reminder of reminders) {
      const result = await this.db
        .insertInto("outbox")
        .values({
          application_number: reminder.applicationNumber,
          kind: reminder.kind,
          recipient: reminder.recipient,
          language: reminder.language,
          created_at: iso(now),
          attempts: 0,
          next_attempt_at: iso(now),
          claimed_until: null,
          sent_at: null,
          outcome: reminder.outcome,
          last_error: null,
          certificate_serial: reminder.serial,
        } as Omit<OutboxTable, "id"> as OutboxTable)
        .onConflict((conflict) => conflict.columns(["certificate_serial", "kind"]).doNothing())
        .executeTakeFirst();
      if (reminder.outcome === null && Number(result.numInsertedOrUpdatedRows ?? 0) === 1) queued++;
    }
    return queued;
  }
}
