/**
 * Failed sign-ins, counted per key (a user name, a session). After `freeFailures` failures a key
 * must wait before its next attempt; the wait doubles with each further failure, up to `maxWaitMs`.
 * A success clears the key. Failures older than `forgetAfterMs` are forgotten.
 */
export interface ThrottleOptions {
  freeFailures: number;
  firstWaitMs: number;
  maxWaitMs: number;
  forgetAfterMs: number;
  now?: () => number;
}

interface Entry {
  failures: number;
  lastFailure: number;
}

export const signInThrottle: Omit<ThrottleOptions, 'now'> = {
  freeFailures: 5,
  firstWaitMs: 30_000,
  maxWaitMs: 15 * 60_000,
  forgetAfterMs: 60 * 60_000,
};

export class FailureThrottle {
  private readonly entries = new Map<string, Entry>();
  private readonly now: () => number;

  constructor(private readonly options: ThrottleOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Milliseconds this key must still wait before another attempt (0: it may try now). */
  waitMs(key: string): number {
    const entry = this.fresh(key);
    if (!entry || entry.failures < this.options.freeFailures) return 0;
    const wait = Math.min(this.options.firstWaitMs * 2 ** (entry.failures - this.options.freeFailures), this.options.maxWaitMs);
    return Math.max(0, entry.lastFailure + wait - this.now());
  }

  fail(key: string): void {
    const entry = this.fresh(key);
    this.entries.set(key, { failures: (entry?.failures ?? 0) + 1, lastFailure: this.now() });
    if (this.entries.size > 10_000) this.prune();
  }

  succeed(key: string): void {
    this.entries.delete(key);
  }

  private fresh(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry && this.now() - entry.lastFailure > this.options.forgetAfterMs) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  private prune(): void {
    for (const key of [...this.entries.keys()]) this.fresh(key);
  }
}
