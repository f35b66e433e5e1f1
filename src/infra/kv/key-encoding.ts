// Shared by the SQL and Redis key-value stores: how a Fedify KvKey becomes one string, and
// how values are serialized so that the Redis store can compare them byte for byte.
import type { KvKey } from "@fedify/fedify";
import { durationToMs } from "../temporal.ts";

/**
 * Ends every key part. JSON.stringify escapes all control characters inside strings, so
 * this character never occurs within an encoded part, and PostgreSQL text accepts it
 * (unlike NUL).
 */
const PART_END = "\u001f";

/**
 * Encodes a key so that the encoding of a prefix is a string prefix of the encoding of
 * every key that starts with it, and of nothing else: ["a"] → `"a"␟`, which is a prefix of
 * `"a"␟"b"␟` but not of `"ab"␟`.
 */
export function encodeKey(key: readonly string[]): string {
  let encoded = "";
  for (const part of key) encoded += JSON.stringify(part) + PART_END;
  return encoded;
}

export function decodeKey(encoded: string): KvKey {
  const parts = encoded.split(PART_END);
  // The trailing terminator leaves one empty string at the end.
  parts.pop();
  return parts.map((part) => JSON.parse(part) as string) as unknown as KvKey;
}

/**
 * JSON with object keys sorted, so that equal values (in the deep-equality sense Fedify's
 * MemoryKvStore uses for cas) serialize to identical strings regardless of key order.
 * Returns undefined for undefined, like JSON.stringify.
 */
export function canonicalJson(value: unknown): string | undefined {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== "object" || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
    return sorted;
  });
}

/** Converts a TTL to whole milliseconds (at least 1, as Redis PX needs). */
export function ttlMilliseconds(ttl: Temporal.Duration | undefined): number | undefined {
  if (ttl == null) return undefined;
  return Math.max(1, Math.ceil(durationToMs(ttl)));
}
