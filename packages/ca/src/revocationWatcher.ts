import type { CertificateStore } from "./storage/certificateStore.ts";

export type RevocationChangeListener = (serials: readonly string[]) => void;

/**
 * Notices revocation changes made by any process or node (the CLI, the console, another server)
 * by polling the database for revocation sequence numbers it has not seen, and tells listeners:
 * the OCSP cache re-signs those serials, the CRL publisher makes a delta.
 */
export class RevocationWatcher {
  private lastSeen = 0;
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private readonly listeners: RevocationChangeListener[] = [];

  constructor(
    private readonly store: CertificateStore,
    private readonly intervalMilliseconds = 1000,
  ) {}

  onChange(listener: RevocationChangeListener): void {
    this.listeners.push(listener);
  }

  /** Starts from the current state: only changes after now are reported. */
  async start(): Promise<void> {
    this.lastSeen = await this.store.currentRevocationMark();
    this.timer = setInterval(() => void this.poll(), this.intervalMilliseconds);
    this.timer.unref();
  }

  /** Checks once now (also what the timer does); concurrent calls share one query. */
  poll(): Promise<void> {
    this.polling ??= (async () => {
      try {
        for (;;) {
          const changes = await this.store.revocationChangesSince(this.lastSeen);
          if (changes.length === 0) return;
          this.lastSeen = changes[changes.length - 1]!.seq;
          const serials = [...new Set(changes.map((change) => change.serial))];
          for (const listener of this.listeners) listener(serials);
        }
      } catch (error) {
        process.emitWarning(`revocation watch failed: ${(error as Error).message}`);
      } finally {
        this.polling = undefined;
      }
    })();
    return this.polling;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.polling;
  }
}
