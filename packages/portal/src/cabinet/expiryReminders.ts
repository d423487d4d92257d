// E-mails 30, 14 and 7 days before a certificate's notAfter, through the outbox. The sweep first
// copies the notAfter of newly issued certificates from the CA (reading the issued applications
// from where it stopped, with an hour's overlap for issuances that committed late), then gives
// every certificate that crossed a threshold its outbox row. The row is unique per (certificate,
// threshold), so two sweeps, two nodes or a restart never send a reminder twice, and a sweep that
// did not run for a while catches up: when several thresholds passed unseen, only the nearest is
// sent and the others are recorded as passed.
import type { CaClient } from "../caClient.ts";
import type { NewReminder, ReminderStore } from "../storage/reminderStore.ts";
import type { ReminderKind } from "../storage/schema.ts";

export const REMINDER_DAYS = [30, 14, 7] as const;
const DAY = 86_400_000;
const OVERLAP = 3_600_000;
const BATCH = 500;

export const reminderKind = (days: (typeof REMINDER_DAYS)[number]): ReminderKind => `expiry${days}`;

export class ExpiryReminders {
  constructor(
    private readonly store: ReminderStore,
    private readonly ca: CaClient,
  ) {}

  /** One sweep at `now`; returns how many reminders now wait in the outbox. */
  async run(now = new Date()): Promise<{ copied: number; queued: number }> {
    const copied = await this.copyNewExpiries();
    return { copied, queued: await this.queueDue(now) };
  }

  private async copyNewExpiries(): Promise<number> {
    const progress = await this.store.reminderProgress();
    // The cursor moves past every application read, so one whose certificates the CA does not
    // hold (nothing to copy) is not read again and again.
    let after: { issuedAt: string; number?: string } = {
      issuedAt: progress ? new Date(Date.parse(progress) - OVERLAP).toISOString() : "",
    };
    let copied = 0;
    for (;;) {
      const batch = await this.store.issuedWithoutExpiry(after, BATCH);
      if (batch.length === 0) return copied;
      // Asked together: with a CA on another machine, one round trip at a time would be a batch's slowest part.
      const certificates = batch.flatMap((application) =>
        [application.authSerial, application.signSerial].map(async (serial) => {
          const record = await this.ca.certificate(serial);
          return record && { serial, applicationNumber: application.number, notAfter: record.notAfter };
        }),
      );
      const expiries = (await Promise.all(certificates)).filter((expiry) => expiry !== undefined);
      const last = batch[batch.length - 1]!;
      await this.store.saveExpiries(expiries, last.issuedAt);
      after = { issuedAt: last.issuedAt, number: last.number };
      copied += expiries.length;
      if (batch.length < BATCH) return copied;
    }
  }

  private async queueDue(now: Date): Promise<number> {
    const largest = Math.max(...REMINDER_DAYS);
    const reminders: NewReminder[] = [];
    for (const certificate of await this.store.expiringCertificates(
      now,
      new Date(now.getTime() + largest * DAY),
    )) {
      const crossed = REMINDER_DAYS.filter(
        (days) => certificate.notAfter.getTime() - days * DAY <= now.getTime(),
      );
      const missing = crossed.filter((days) => !certificate.reminded.includes(reminderKind(days)));
      if (missing.length === 0) continue;
      const nearest = Math.min(...crossed);
      const record = await this.ca.certificate(certificate.serial);
      const revoked = record?.revokedAt !== undefined && record.revocationReason !== "removeFromCRL";
      for (const days of missing)
        reminders.push({
          serial: certificate.serial,
          applicationNumber: certificate.applicationNumber,
          kind: reminderKind(days),
          recipient: certificate.recipient,
          language: certificate.language,
          outcome: revoked ? "revoked" : days === nearest ? null : "passed",
        });
    }
    return this.store.insertReminders(reminders, now);
  }
}
