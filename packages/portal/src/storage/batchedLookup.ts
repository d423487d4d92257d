/**
 * Looks rows up by key for many concurrent callers at once: the keys asked for during one turn of
 * the event loop go to the database in one query (at most `maxBatch` keys each). Under load a
 * status lookup then costs a share of one round trip instead of a round trip of its own: with
 * PostgreSQL, each round trip's socket write and wake-up of the backend cost more than the read.
 */
export class BatchedLookup<K, V> {
  private waiting = new Map<K, Array<{ resolve: (value: V | undefined) => void; reject: (error: unknown) => void }>>();
  private scheduled = false;

  constructor(
    private readonly fetch: (keys: K[]) => Promise<Map<K, V>>,
    private readonly maxBatch = 500,
  ) {}

  get(key: K): Promise<V | undefined> {
    return new Promise((resolve, reject) => {
      const callers = this.waiting.get(key);
      if (callers) callers.push({ resolve, reject });
      else this.waiting.set(key, [{ resolve, reject }]);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const waiting = this.waiting;
    this.waiting = new Map();
    const keys = [...waiting.keys()];
    for (let start = 0; start < keys.length; start += this.maxBatch) {
      const batch = keys.slice(start, start + this.maxBatch);
      this.fetch(batch).then(
        (found) => {
          for (const key of batch) for (const caller of waiting.get(key)!) caller.resolve(found.get(key));
        },
        (error: unknown) => {
          for (const key of batch) for (const caller of waiting.get(key)!) caller.reject(error);
        },
      );
    }
  }
}
