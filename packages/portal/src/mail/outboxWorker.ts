import { formatApplicationNumber } from "../enrollment/applicationNumber.ts";
import { fill, formatDate, isLanguage, messages, type Language } from "../i18n/index.ts";
import { centerByCode } from "../locality/regions.ts";
import { applicationFormPdf } from "../pdf/applicationForm.ts";
import type { OutboxMessage, PortalStore } from "../storage/portalStore.ts";
import type { MailMessage, MailTransport } from "./mailTransport.ts";

export interface OutboxWorkerOptions {
  readonly pollMilliseconds?: number;
  /** First retry after this; each failure doubles it, up to maxBackoffMilliseconds. */
  readonly backoffMilliseconds?: number;
  readonly maxBackoffMilliseconds?: number;
  /** How long a claimed message is ours before another worker may take it over. */
  readonly leaseMilliseconds?: number;
  readonly log?: (line: string) => void;
}

/**
 * Sends the outbox: each message was written in the same transaction as the state change it tells
 * about. A failed send is retried with exponential backoff (an SMTP outage loses nothing); a sent
 * message is marked at once, and its Message-ID is fixed by the outbox row, so a receiver can
 * recognise the one duplicate a crash between sending and marking could cause.
 */
export class OutboxWorker {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private readonly options: Required<OutboxWorkerOptions>;

  constructor(
    private readonly store: PortalStore,
    private readonly transport: MailTransport,
    options: OutboxWorkerOptions = {},
  ) {
    this.options = {
      pollMilliseconds: 5000,
      backoffMilliseconds: 30_000,
      maxBackoffMilliseconds: 3_600_000,
      leaseMilliseconds: 120_000,
      log: () => undefined,
      ...options,
    };
  }

  start(): void {
    this.timer = setInterval(() => this.kick(), this.options.pollMilliseconds);
    this.timer.unref();
    this.kick();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.idle();
    this.transport.close();
  }

  /** Runs a pass now (after a submission), or right after the running one. */
  kick(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.runOnce()
      .then(() => undefined)
      .catch((error: Error) => this.options.log(`outbox: ${error.message}`))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Resolves when no pass is running or queued (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /**
   * One pass over the due messages; resolves when each was sent or rescheduled. The messages of a
   * claimed batch go out together (the SMTP transport pools its connections).
   */
  async runOnce(now = new Date()): Promise<{ sent: number; failed: number }> {
    let sent = 0;
    let failed = 0;
    for (;;) {
      const batch = await this.store.claimDueMessages(
        now,
        new Date(now.getTime() + this.options.leaseMilliseconds),
      );
      if (batch.length === 0) return { sent, failed };
      for (const outcome of await Promise.all(batch.map((message) => this.deliver(message)))) {
        if (outcome === "sent") sent++;
        else if (outcome === "failed") failed++;
      }
    }
  }

  private async deliver(message: OutboxMessage): Promise<"sent" | "failed" | "dropped"> {
    const composed = await this.compose(message);
    if (!composed) {
      await this.store.markDropped(message.id, "the application's personal data was purged");
      return "dropped";
    }
    try {
      await this.transport.send(composed);
    } catch (error) {
      const delay = Math.min(
        this.options.backoffMilliseconds * 2 ** message.attempts,
        this.options.maxBackoffMilliseconds,
      );
      await this.store.markFailed(message.id, (error as Error).message, new Date(Date.now() + delay));
      return "failed";
    }
    await this.store.markSent(message.id, new Date());
    return "sent";
  }

  private async compose(message: OutboxMessage): Promise<MailMessage | undefined> {
    const application = await this.store.application(message.applicationNumber);
    if (!application?.person) return undefined;
    const language: Language = isLanguage(message.language) ? message.language : "kk";
    const t = messages(language) as unknown as Record<string, string>;
    const values = {
      name: [application.person.givenName, application.person.patronymic].filter(Boolean).join(" "),
      number: formatApplicationNumber(application.number),
      deadline: formatDate(application.deadlineAt),
      center: centerByCode(application.center)?.name[language] ?? application.center,
      reason: application.rejectionReason ?? "",
    };
    const attachments =
      message.kind === "submitted"
        ? [
            {
              filename: `application-${application.number}.pdf`,
              content: Buffer.from(await applicationFormPdf(application, language)),
              contentType: "application/pdf",
            },
          ]
        : [];
    return {
      messageId: `<outbox-${message.id}.${application.number}@qoltanba>`,
      to: message.recipient,
      subject: fill(t[`mailSubject_${message.kind}`]!, values),
      text: fill(t[`mailBody_${message.kind}`]!, values),
      attachments,
    };
  }
}
