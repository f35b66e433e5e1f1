// Fixed-window counters in process memory, for embedded mode (a single process).
import type { RateLimitHit, RateLimitStore } from "./types.ts";

interface Entry {
  count: number;
  resetAt: number;
}

export interface MemoryRateLimitStoreOptions {
  /** Clock in epoch ms; injectable so tests can cross window boundaries without sleeping. */
  now?: () => number;
  /** How often expired windows are dropped (default one minute). */
  sweepIntervalMs?: number;
}

export class MemoryRateLimitStore implements RateLimitStore {
  readonly #entries = new Map<string, Entry>();
  readonly #now: () => number;
  readonly #sweepTimer: NodeJS.Timeout;

  constructor(options: MemoryRateLimitStoreOptions = {}) {
    this.#now = options.now ?? Date.now;
    // Without sweeping, every key ever seen (per IP, per account) would stay in memory.
    // unref: the timer alone must not keep the process alive.
    this.#sweepTimer = setInterval(() => this.sweep(), options.sweepIntervalMs ?? 60_000);
    this.#sweepTimer.unref();
  }

  async hit(key: string, windowMs: number): Promise<RateLimitHit> {
    if (!(windowMs > 0)) throw new RangeError("windowMs must be positive");
    const now = this.#now();
    // Windows are aligned to multiples of windowMs, as in the Redis store, so both
    // backends reset at the same instants.
    const resetAt = (Math.floor(now / windowMs) + 1) * windowMs;
    // The same key may be limited with different windows (say per minute and per hour).
    const id = `${windowMs}:${key}`;
    let entry = this.#entries.get(id);
    if (entry === undefined || entry.resetAt !== resetAt) {
      entry = { count: 0, resetAt };
      this.#entries.set(id, entry);
    }
    entry.count++;
    return { count: entry.count, resetAt };
  }

  /** Drops counters whose window has ended. Public for tests. */
  sweep(): void {
    const now = this.#now();
    for (const [id, entry] of this.#entries) {
      if (entry.resetAt <= now) this.#entries.delete(id);
    }
  }

  /** Number of live counters (for tests and metrics). */
  get size(): number {
    return this.#entries.size;
  }

  async close(): Promise<void> {
    clearInterval(this.#sweepTimer);
    this.#entries.clear();
  }
}
