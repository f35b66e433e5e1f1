// Fixed-window counters in Redis, so limits hold across all web processes.
import type { Redis } from "ioredis";
import type { RateLimitHit, RateLimitStore } from "./types.ts";

// Increment and, on the window's first hit, set the expiry, in one atomic round trip: a
// separate PEXPIRE after INCR could be lost (crash, network) and leave a counter forever.
// KEYS[1]: counter. ARGV[1]: expiry in ms.
const HIT_SCRIPT = `
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return count
`;

/** Kept past the window's end so processes with slightly skewed clocks share the counter. */
const EXPIRY_SLACK_MS = 5_000;

export class RedisRateLimitStore implements RateLimitStore {
  readonly #redis: Redis;
  readonly #prefix: string;
  #sha: string | undefined;

  /** The connection is shared and owned by the caller; close() leaves it open. */
  constructor(redis: Redis, prefix: string) {
    this.#redis = redis;
    this.#prefix = prefix;
  }

  async hit(key: string, windowMs: number): Promise<RateLimitHit> {
    if (!(windowMs > 0)) throw new RangeError("windowMs must be positive");
    const now = Date.now();
    const window = Math.floor(now / windowMs);
    const resetAt = (window + 1) * windowMs;
    // The window number in the key starts each window at zero without any reset logic.
    const redisKey = `${this.#prefix}${windowMs}:${window}:${key}`;
    const ttl = String(resetAt - now + EXPIRY_SLACK_MS);
    const count = await this.#eval(redisKey, ttl);
    return { count: Number(count), resetAt };
  }

  /** EVALSHA, loading the script on first use or after a Redis restart flushed it. */
  async #eval(redisKey: string, ttl: string): Promise<unknown> {
    if (this.#sha !== undefined) {
      try {
        return await this.#redis.evalsha(this.#sha, 1, redisKey, ttl);
      } catch (error) {
        if (!(error instanceof Error && error.message.startsWith("NOSCRIPT"))) throw error;
      }
    }
    this.#sha = (await this.#redis.script("LOAD", HIT_SCRIPT)) as string;
    return await this.#redis.evalsha(this.#sha, 1, redisKey, ttl);
  }

  async close(): Promise<void> {}
}
