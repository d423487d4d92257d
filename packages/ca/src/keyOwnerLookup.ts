import type { CertificateStore } from "./storage/certificateStore.ts";

type Waiter = { resolve: (owner: string | undefined) => void; reject: (error: unknown) => void };

/**
 * Key-owner lookups asked during one turn of the event loop go to the database as one query.
 * This is the early refusal only: `recordIssued` checks ownership again inside the transaction
 * that records the certificate, which is what keeps concurrent requests for one key correct.
 */
export class KeyOwnerLookup {
  private pending: Map<string, Waiter[]> | undefined;

  constructor(private readonly store: CertificateStore) {}

  owner(spkiSha256: string): Promise<string | undefined> {
    return new Promise((resolve, reject) => {
      if (!this.pending) {
        this.pending = new Map();
        setImmediate(() => void this.flush());
      }
      const waiters = this.pending.get(spkiSha256);
      if (waiters) waiters.push({ resolve, reject });
      else this.pending.set(spkiSha256, [{ resolve, reject }]);
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending!;
    this.pending = undefined;
    try {
      const owners = await this.store.keyOwners([...batch.keys()]);
      for (const [hash, waiters] of batch) for (const waiter of waiters) waiter.resolve(owners.get(hash));
    } catch (error) {
      for (const waiters of batch.values()) for (const waiter of waiters) waiter.reject(error);
    }
  }
}
