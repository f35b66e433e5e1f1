// Fedify's KvStore on Redis (see docs/adr/0002-own-redis-kvstore.md for why it is ours).
// Values are canonical JSON (object keys sorted) so cas can compare them byte for byte in
// a Lua script, which is what makes it atomic across processes without WATCH (WATCH is
// per connection, and this connection is shared by concurrent callers).
import type { KvKey, KvStore, KvStoreListEntry, KvStoreSetOptions } from "@fedify/fedify";
import type { Redis } from "ioredis";
import { canonicalJson, decodeKey, encodeKey, ttlMilliseconds } from "./key-encoding.ts";

/** Keys asked for per SCAN step. */
const SCAN_COUNT = 500;

// KEYS[1]: key. ARGV: expected present ("1"/"0"), expected JSON, new present ("1"/"0"),
// new JSON, TTL in ms ("0": none). GET returns false for a missing or expired key.
const CAS_SCRIPT = `
local current = redis.call('GET', KEYS[1])
if ARGV[1] == '1' then
  if current ~= ARGV[2] then return 0 end
elseif current then
  return 0
end
if ARGV[3] == '1' then
  if ARGV[5] ~= '0' then
    redis.call('SET', KEYS[1], ARGV[4], 'PX', ARGV[5])
  else
    redis.call('SET', KEYS[1], ARGV[4])
  end
else
  redis.call('DEL', KEYS[1])
end
return 1
`;

/** Escapes Redis glob metacharacters so a literal string can be used in SCAN MATCH. */
function escapeGlob(literal: string): string {
  return literal.replace(/[\\*?[\]]/g, "\\$&");
}

function serialize(value: unknown): string {
  const json = canonicalJson(value);
  if (json === undefined) throw new TypeError("KvStore values must be JSON-serializable");
  return json;
}

export class RedisKvStore implements KvStore {
  readonly #redis: Redis;
  readonly #prefix: string;
  #casSha: string | undefined;

  constructor(redis: Redis, options: { prefix: string }) {
    this.#redis = redis;
    this.#prefix = options.prefix;
  }

  #redisKey(key: readonly string[]): string {
    return this.#prefix + encodeKey(key);
  }

  async get<T = unknown>(key: KvKey): Promise<T | undefined> {
    const json = await this.#redis.get(this.#redisKey(key));
    return json === null ? undefined : (JSON.parse(json) as T);
  }

  async set(key: KvKey, value: unknown, options?: KvStoreSetOptions): Promise<void> {
    // An undefined value cannot be stored as JSON; reading it back would give undefined anyway.
    if (value === undefined) return this.delete(key);
    const json = serialize(value);
    const ttl = ttlMilliseconds(options?.ttl);
    if (ttl === undefined) await this.#redis.set(this.#redisKey(key), json);
    else await this.#redis.set(this.#redisKey(key), json, "PX", ttl);
  }

  async delete(key: KvKey): Promise<void> {
    await this.#redis.del(this.#redisKey(key));
  }

  /**
   * Replaces the value only if the current one equals expectedValue (undefined: absent).
   * A newValue of undefined deletes the key, as Fedify's circuit breaker expects.
   */
  async cas(
    key: KvKey,
    expectedValue: unknown,
    newValue: unknown,
    options?: KvStoreSetOptions,
  ): Promise<boolean> {
    const args = [
      expectedValue === undefined ? "0" : "1",
      expectedValue === undefined ? "" : serialize(expectedValue),
      newValue === undefined ? "0" : "1",
      newValue === undefined ? "" : serialize(newValue),
      String(ttlMilliseconds(options?.ttl) ?? 0),
    ];
    const result = await this.#evalCas(this.#redisKey(key), args);
    return result === 1;
  }

  /** EVALSHA, loading the script on first use or after a Redis restart flushed it. */
  async #evalCas(redisKey: string, args: string[]): Promise<unknown> {
    if (this.#casSha !== undefined) {
      try {
        return await this.#redis.evalsha(this.#casSha, 1, redisKey, ...args);
      } catch (error) {
        if (!(error instanceof Error && error.message.startsWith("NOSCRIPT"))) throw error;
      }
    }
    this.#casSha = (await this.#redis.script("LOAD", CAS_SCRIPT)) as string;
    return await this.#redis.evalsha(this.#casSha, 1, redisKey, ...args);
  }

  /**
   * Entries whose key starts with the prefix (the prefix itself included). SCAN may report
   * a key twice and gives no order; keys seen are remembered to report each once.
   */
  async *list(prefix?: KvKey): AsyncIterable<KvStoreListEntry> {
    const literal = this.#prefix + (prefix === undefined ? "" : encodeKey(prefix));
    const pattern = `${escapeGlob(literal)}*`;
    const seen = new Set<string>();
    let cursor = "0";
    do {
      const [next, keys] = await this.#redis.scan(cursor, "MATCH", pattern, "COUNT", SCAN_COUNT);
      cursor = next;
      const fresh = keys.filter((k) => !seen.has(k));
      if (fresh.length === 0) continue;
      for (const k of fresh) seen.add(k);
      const values = await this.#redis.mget(fresh);
      for (let i = 0; i < fresh.length; i++) {
        const json = values[i];
        // Expired or deleted between SCAN and MGET.
        if (json == null) continue;
        yield {
          key: decodeKey(fresh[i]!.slice(this.#prefix.length)),
          value: JSON.parse(json),
        };
      }
    } while (cursor !== "0");
  }
}
