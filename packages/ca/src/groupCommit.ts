/**
 * Group commit: items submitted while a commit is running wait and go together in the next one,
 * so under load one transaction records many certificates, and an idle system commits at once.
 * When a batch fails, its items are retried one by one so one bad item fails alone.
 */
export class GroupCommitter<T> {
  private pending: Array<{ item: T; resolve: () => void; reject: (error: unknown) => void }> = [];
  private running = false;

  constructor(
    private readonly commit: (items: T[]) => Promise<void>,
    private readonly maxBatch = 256,
  ) {}

  submit(item: T): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ item, resolve, reject });
      if (!this.running) {
        // Start on the next turn, not now: with a synchronous driver (better-sqlite3) a commit
        // started at once finishes before the next signature's callback can join the batch.
        this.running = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, this.maxBatch);
      try {
        await this.commit(batch.map((entry) => entry.item));
        for (const entry of batch) entry.resolve();
      } catch (error) {
        if (batch.length === 1) {
          batch[0]!.reject(error);
          continue;
        }
        for (const entry of batch) {
          await this.commit([entry.item]).then(entry.resolve, entry.reject);
        }
      }
    }
    this.running = false;
  }
}
