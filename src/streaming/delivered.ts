// The keys of the messages a hub has written lately, so that an event published twice
// (directly and by its fallback job, src/streaming/direct.ts) reaches each client once.
// Memory only: the duplicate comes within FALLBACK_DELAY_MS of the original, or a little
// later when the queue is backed up, far inside the window kept here.

/** How long a key is remembered. */
const WINDOW_MS = 10 * 60_000;
/** A bound on memory if events come faster than the window drains. */
const MAX_KEYS = 50_000;

export class RecentKeys {
  // Insertion order is expiry order (one window for all), so expired keys are at the front.
  readonly #expiries = new Map<string, number>();

  /** True the first time a key is seen within the window; false for a repeat. */
  first(key: string, now = Date.now()): boolean {
    for (const [old, expiry] of this.#expiries) {
      if (expiry > now && this.#expiries.size < MAX_KEYS) break;
      this.#expiries.delete(old);
    }
    if (this.#expiries.has(key)) return false;
    this.#expiries.set(key, now + WINDOW_MS);
    return true;
  }
}
