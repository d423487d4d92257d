/**
 * A per-key fixed-window counter (per client IP here): at most `limit` hits each `windowMilliseconds`.
 * Memory stays bounded: the whole table is dropped when a window ends.
 */
export class RateLimiter {
  private counts = new Map<string, number>();
  private windowStart = Date.now();

  constructor(
    readonly limit: number,
    readonly windowMilliseconds: number,
  ) {}

  /** Counts a hit; false when the key is over its limit in this window. */
  allow(key: string, now = Date.now()): boolean {
    if (now - this.windowStart >= this.windowMilliseconds) {
      this.counts = new Map();
      this.windowStart = now;
    }
    const count = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, count);
    return count <= this.limit;
  }

  /** Seconds until the current window ends (for Retry-After). */
  retryAfterSeconds(now = Date.now()): number {
    return Math.max(1, Math.ceil((this.windowStart + this.windowMilliseconds - now) / 1000));
  }
}
