import { setTimeout as sleep } from "node:timers/promises";

/** Free attempts before the agent starts to slow down, and the longest pause. */
const FREE_ATTEMPTS = 3;
const MAX_DELAY_MS = 60_000;

/**
 * Counts wrong passwords per key file (across all connections) and makes each attempt after the
 * third wait longer: 1 s, 2 s, 4 s ... up to a minute. A right password resets the count.
 */
export class PasswordThrottle {
  private readonly failures = new Map<string, number>();

  constructor(
    private readonly wait: (ms: number) => Promise<unknown> = sleep,
    private readonly baseDelayMs = 1000,
  ) {}

  failuresOf(target: string): number {
    return this.failures.get(target) ?? 0;
  }

  delayBeforeAttempt(target: string): number {
    const failures = this.failuresOf(target);
    if (failures < FREE_ATTEMPTS) return 0;
    return Math.min(this.baseDelayMs * 2 ** (failures - FREE_ATTEMPTS), MAX_DELAY_MS);
  }

  /** Runs one password check after the pause that the failures so far call for. */
  async attempt<T>(target: string, check: () => T): Promise<T> {
    const delay = this.delayBeforeAttempt(target);
    if (delay > 0) await this.wait(delay);
    try {
      const result = check();
      this.failures.delete(target);
      return result;
    } catch (error) {
      if (isWrongPassword(error)) this.failures.set(target, this.failuresOf(target) + 1);
      throw error;
    }
  }
}

export const isWrongPassword = (error: unknown): boolean =>
  typeof error === "object" && error !== null && (error as { code?: unknown }).code === "wrong_password";
