import type { FastifyInstance } from "fastify";
import type { CaClient } from "./caClient.ts";
import { DEFAULT_ENROLLMENT_SETTINGS, Enrollment, type EnrollmentSettings } from "./enrollment/enrollment.ts";
import { ApplicationLifecycle, DEFAULT_ISSUANCE_CLAIM_MILLISECONDS } from "./enrollment/lifecycle.ts";
import { MailCatcher, smtpTransport, type MailTransport } from "./mail/mailTransport.ts";
import { OutboxWorker, type OutboxWorkerOptions } from "./mail/outboxWorker.ts";
import { EmbeddedPersonRegistry } from "./registry/embeddedRegistry.ts";
import { HttpPersonRegistry, type HttpRegistryOptions } from "./registry/httpRegistry.ts";
import type { PersonRegistry } from "./registry/personRegistry.ts";
import { ExpiryReminders } from "./cabinet/expiryReminders.ts";
import { PersonalCabinet } from "./cabinet/personalCabinet.ts";
import { RegistrationConsole } from "./console/registrationConsole.ts";
import { ConsoleStore } from "./storage/consoleStore.ts";
import { PortalStore } from "./storage/portalStore.ts";
import { ReminderStore } from "./storage/reminderStore.ts";
import { SessionStore } from "./storage/sessionStore.ts";
import { SignedActionStore } from "./storage/signedActionStore.ts";
import { portalRoutes } from "./web/portalRoutes.ts";

export interface RateLimit {
  readonly limit: number;
  readonly windowMilliseconds: number;
}

export interface PortalOptions {
  readonly ca: CaClient;
  /** `sqlite:PATH` (relative to baseDir) or `postgres://…`. */
  readonly databaseUrl: string;
  readonly baseDir: string;
  /** Embedded (optionally loaded from a CSV/JSON file) or a real registry over HTTP. */
  readonly registry?:
    { readonly kind: "embedded"; readonly file?: string } | ({ readonly kind: "http" } & HttpRegistryOptions);
  /** Without an SMTP URL, mail goes to the built-in catcher page (/mail-catcher, loopback only). */
  readonly mail?: {
    readonly smtpUrl?: string;
    readonly from?: string;
    readonly worker?: OutboxWorkerOptions;
  };
  readonly enrollment?: Partial<EnrollmentSettings>;
  /** Days after rejection or expiry before the personal data is erased. */
  readonly retentionDays?: number;
  readonly sweepMilliseconds?: number;
  /** How long a confirmed application's issuance may take before another process takes it over. */
  readonly issuanceClaimMilliseconds?: number;
  readonly rateLimits?: Partial<Record<"identity" | "submit" | "status", RateLimit>>;
  /** Cookies with the Secure flag (the portal behind HTTPS). */
  readonly secureCookies?: boolean;
  /** The agent's WebSocket origin, allowed by the Content-Security-Policy. */
  readonly agentOrigin?: string;
  /** Keys the CSRF tokens; by default a random key kept in the portal's database, so every node accepts every node's forms. */
  readonly csrfKey?: Buffer;
  readonly log?: (line: string) => void;
  /** How long a console login lasts (default 30 minutes). */
  readonly consoleSessionMinutes?: number;
  /** How long a personal cabinet login lasts (default 30 minutes). */
  readonly cabinetSessionMinutes?: number;
  /** The public base URL, for the enrolment links the console makes. */
  readonly baseUrl?: string;
}

export const DEFAULT_RATE_LIMITS: Record<"identity" | "submit" | "status", RateLimit> = {
  identity: { limit: 20, windowMilliseconds: 600_000 },
  submit: { limit: 10, windowMilliseconds: 600_000 },
  status: { limit: 60, windowMilliseconds: 600_000 },
};

export const DEFAULT_AGENT_ORIGIN = "wss://127.0.0.1:13579";

/** The enrollment portal: its storage, the registry, the CA client, the mail outbox and the web plugin. */
export class Portal {
  readonly outbox: OutboxWorker;
  readonly enrollment: Enrollment;
  readonly lifecycle: ApplicationLifecycle;
  readonly rateLimits: Record<"identity" | "submit" | "status", RateLimit>;
  readonly csrfKey: Buffer;
  readonly consoleStore: ConsoleStore;
  /** The console's and the cabinet's logins. */
  readonly sessions: SessionStore;
  /** The console's decisions and the cabinet's revocations and renewals, as signed. */
  readonly signedActions: SignedActionStore;
  readonly console: RegistrationConsole;
  readonly cabinet: PersonalCabinet;
  readonly reminders: ExpiryReminders;
  private sweeper: NodeJS.Timeout | undefined;
  private issuanceResumer: NodeJS.Timeout | undefined;

  private constructor(
    readonly options: PortalOptions,
    readonly store: PortalStore,
    readonly registry: PersonRegistry,
    readonly mail: MailTransport,
    csrfKey: Buffer,
  ) {
    this.outbox = new OutboxWorker(store, mail, {
      ...(options.log ? { log: options.log } : {}),
      ...options.mail?.worker,
    });
    this.enrollment = new Enrollment(store, registry, options.ca, {
      ...DEFAULT_ENROLLMENT_SETTINGS,
      ...options.enrollment,
    });
    this.lifecycle = new ApplicationLifecycle(store, options.ca, options.issuanceClaimMilliseconds);
    this.rateLimits = { ...DEFAULT_RATE_LIMITS, ...options.rateLimits };
    this.csrfKey = csrfKey;
    this.consoleStore = new ConsoleStore(store.db, store.engine);
    this.sessions = new SessionStore(store.db, this.consoleStore);
    this.signedActions = new SignedActionStore(store.db, this.consoleStore);
    this.console = new RegistrationConsole(
      this.consoleStore,
      this.sessions,
      this.signedActions,
      store,
      this.lifecycle,
      options.ca,
      options.consoleSessionMinutes,
    );
    this.cabinet = new PersonalCabinet(
      this.sessions,
      this.signedActions,
      this.consoleStore,
      store,
      this.enrollment,
      this.lifecycle,
      options.ca,
      options.cabinetSessionMinutes,
    );
    this.reminders = new ExpiryReminders(new ReminderStore(store.db), options.ca);
  }

  static async open(options: PortalOptions): Promise<Portal> {
    const store = await PortalStore.open(options.databaseUrl, options.baseDir);
    let registry: PersonRegistry;
    if (options.registry?.kind === "http") registry = new HttpPersonRegistry(options.registry);
    else {
      const embedded = new EmbeddedPersonRegistry(store);
      if (options.registry?.file) await embedded.load(options.registry.file);
      registry = embedded;
    }
    const mail = options.mail?.smtpUrl
      ? smtpTransport(options.mail.smtpUrl, options.mail.from ?? "Qoltanba <noreply@qoltanba.kz>")
      : new MailCatcher();
    return new Portal(options, store, registry, mail, options.csrfKey ?? (await store.sharedSecret("csrf")));
  }

  get ca(): CaClient {
    return this.options.ca;
  }

  /** The Fastify plugin with every page; register it on the server that also serves the CA. */
  readonly plugin = (app: FastifyInstance) => portalRoutes(app, { portal: this });

  /**
   * Starts the mail worker, the life-cycle sweep (expiry, purge, old captchas, expiry reminders) and the resumption
   * of issuances that a stopped process left half-done.
   */
  start(): void {
    this.outbox.start();
    const sweep = () =>
      Promise.all([
        this.lifecycle.sweep(this.options.retentionDays ?? 365),
        this.consoleStore.deleteExpiredChallenges(new Date()),
        this.reminders.run(),
      ])
        .then(
          ([result, , reminders]) =>
            result.expired > 0 || reminders.queued > 0 ? this.outbox.kick() : undefined,
          (error: Error) => this.options.log?.(`sweep: ${error.message}`),
        );
    this.sweeper = setInterval(sweep, this.options.sweepMilliseconds ?? 600_000);
    this.sweeper.unref();
    void sweep();
    const resume = () =>
      this.lifecycle.resumeAbandonedIssuances(new Date(), this.options.log).then(
        (issued) => (issued > 0 ? this.outbox.kick() : undefined),
        (error: Error) => this.options.log?.(`resuming issuances: ${error.message}`),
      );
    this.issuanceResumer = setInterval(
      resume,
      (this.options.issuanceClaimMilliseconds ?? DEFAULT_ISSUANCE_CLAIM_MILLISECONDS) / 2,
    );
    this.issuanceResumer.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
    clearInterval(this.issuanceResumer);
    await this.outbox.stop();
    await this.store.close();
  }
}
