// Fedify's KvStore on the `kv` table, for embedded mode (PGlite) and PostgreSQL without Redis.
// Every operation is a single statement, so cas is atomic without explicit transactions:
// PostgreSQL re-checks an UPDATE/DELETE's WHERE clause against the newest row version after
// waiting for a concurrent writer, and INSERT ... ON CONFLICT serializes racing inserts.
// That also keeps PGlite (one connection) free of transaction hand-off concerns.
import type { KvKey, KvStore, KvStoreListEntry, KvStoreSetOptions } from "@fedify/fedify";
import { type RawBuilder, sql } from "kysely";
import type { Db } from "../db/index.ts";
import { canonicalJson, decodeKey, encodeKey, ttlMilliseconds } from "./key-encoding.ts";

/** Rows fetched per round trip while listing. */
const LIST_PAGE_SIZE = 500;
/** How often set() also removes expired rows, and how many at most per sweep. */
const SWEEP_INTERVAL_MS = 60_000;
const SWEEP_BATCH = 1_000;

// Expiry is computed and compared with the database clock only, so several app processes
// with skewed clocks still agree on what has expired.
const live = sql<boolean>`(expires_at is null or expires_at > now())`;

function expiresAt(ttlMs: number | undefined): RawBuilder<Date | null> {
  if (ttlMs === undefined) return sql<null>`null`;
  return sql<Date>`now() + ${ttlMs}::double precision * interval '1 millisecond'`;
}

/**
 * jsonb cannot hold NUL characters or unpaired surrogates (remote documents cached by Fedify
 * may contain either). Such values are kept as their canonical JSON text inside a marker
 * object; a value that itself looks like the marker is wrapped too, so reading is exact.
 */
const TEXT_MARKER = "$roost:json";
const JSONB_UNSAFE = /\\u(?:0000|d[89a-f])/i;

function isMarker(value: unknown): value is Record<typeof TEXT_MARKER, string> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return (
    keys.length === 1 &&
    keys[0] === TEXT_MARKER &&
    typeof (value as Record<string, unknown>)[TEXT_MARKER] === "string"
  );
}

/** The JSON text sent as a jsonb parameter (node-postgres would not stringify strings). */
function toStored(value: unknown): string {
  const json = canonicalJson(value);
  if (json === undefined) throw new TypeError("KvStore values must be JSON-serializable");
  if (!JSONB_UNSAFE.test(json) && !isMarker(value)) return json;
  return JSON.stringify({ [TEXT_MARKER]: json });
}

function fromStored(stored: unknown): unknown {
  return isMarker(stored) ? JSON.parse(stored[TEXT_MARKER]) : stored;
}

export class SqlKvStore implements KvStore {
  readonly #db: Db;
  #nextSweep = 0;

  constructor(db: Db) {
    this.#db = db;
  }

  async get<T = unknown>(key: KvKey): Promise<T | undefined> {
    const encoded = encodeKey(key);
    const row = await this.#db
      .selectFrom("kv")
      .select(["value", live.as("live")])
      .where("key", "=", encoded)
      .executeTakeFirst();
    if (row === undefined) return undefined;
    if (!row.live) {
      // Lazy cleanup; the expiry re-check keeps a concurrent set() from being undone.
      await this.#db
        .deleteFrom("kv")
        .where("key", "=", encoded)
        .where(sql<boolean>`not ${live}`)
        .execute();
      return undefined;
    }
    return fromStored(row.value) as T;
  }

  async set(key: KvKey, value: unknown, options?: KvStoreSetOptions): Promise<void> {
    // An undefined value cannot be stored as JSON; reading it back would give undefined anyway.
    if (value === undefined) return this.delete(key);
    await this.#maybeSweep();
    const json = toStored(value);
    const expires = expiresAt(ttlMilliseconds(options?.ttl));
    await this.#db
      .insertInto("kv")
      .values({ key: encodeKey(key), value: sql<string>`${json}::jsonb`, expires_at: expires })
      .onConflict((oc) =>
        oc.column("key").doUpdateSet({
          value: (eb) => eb.ref("excluded.value"),
          expires_at: (eb) => eb.ref("excluded.expires_at"),
        }),
      )
      .execute();
  }

  async delete(key: KvKey): Promise<void> {
    await this.#db.deleteFrom("kv").where("key", "=", encodeKey(key)).execute();
  }

  /**
   * Replaces the value only if the current one deep-equals expectedValue (undefined: the key
   * is absent or expired). A newValue of undefined deletes the key, as Fedify's circuit
   * breaker expects.
   */
  async cas(
    key: KvKey,
    expectedValue: unknown,
    newValue: unknown,
    options?: KvStoreSetOptions,
  ): Promise<boolean> {
    const encoded = encodeKey(key);
    const expires = expiresAt(ttlMilliseconds(options?.ttl));

    if (expectedValue === undefined) {
      if (newValue === undefined) {
        // Nothing to write: succeed iff there is no live value.
        const row = await this.#db
          .selectFrom("kv")
          .select("key")
          .where("key", "=", encoded)
          .where(live)
          .executeTakeFirst();
        return row === undefined;
      }
      // Insert, or take over an expired row; a live row (even one inserted concurrently)
      // makes the conditional update a no-op, so nothing is returned.
      const json = toStored(newValue);
      const rows = await this.#db
        .insertInto("kv")
        .values({ key: encoded, value: sql<string>`${json}::jsonb`, expires_at: expires })
        .onConflict((oc) =>
          oc
            .column("key")
            .doUpdateSet({
              value: (eb) => eb.ref("excluded.value"),
              expires_at: (eb) => eb.ref("excluded.expires_at"),
            })
            .where(sql<boolean>`kv.expires_at is not null and kv.expires_at <= now()`),
        )
        .returning("key")
        .execute();
      return rows.length > 0;
    }

    // jsonb equality ignores object key order, matching Fedify's deep-equality semantics
    // (wrapped values are canonical text, so they compare equal exactly when deep-equal).
    const expected = sql`${toStored(expectedValue)}::jsonb`;
    if (newValue === undefined) {
      const rows = await this.#db
        .deleteFrom("kv")
        .where("key", "=", encoded)
        .where(sql<boolean>`value = ${expected}`)
        .where(live)
        .returning("key")
        .execute();
      return rows.length > 0;
    }
    const json = toStored(newValue);
    const rows = await this.#db
      .updateTable("kv")
      .set({ value: sql<string>`${json}::jsonb`, expires_at: expires })
      .where("key", "=", encoded)
      .where(sql<boolean>`value = ${expected}`)
      .where(live)
      .returning("key")
      .execute();
    return rows.length > 0;
  }

  /**
   * Entries whose key starts with the prefix (the prefix itself included), paged by key so
   * a large store is never loaded at once. Entries written during iteration may or may not
   * be seen.
   */
  async *list(prefix?: KvKey): AsyncIterable<KvStoreListEntry> {
    const encodedPrefix = prefix === undefined ? "" : encodeKey(prefix);
    let after: string | undefined;
    for (;;) {
      // `collate "C"` gives a plain byte order, so paging is stable whatever the database
      // collation does with the control character inside encoded keys.
      let query = this.#db
        .selectFrom("kv")
        .select(["key", "value"])
        .where(live)
        .orderBy(sql`key collate "C"`)
        .limit(LIST_PAGE_SIZE);
      if (encodedPrefix !== "") {
        query = query.where(sql<boolean>`starts_with(key, ${encodedPrefix})`);
      }
      if (after !== undefined) query = query.where(sql<boolean>`key collate "C" > ${after}`);
      const rows = await query.execute();
      for (const row of rows) yield { key: decodeKey(row.key), value: fromStored(row.value) };
      if (rows.length < LIST_PAGE_SIZE) return;
      after = rows[rows.length - 1]!.key;
    }
  }

  /** Removes a batch of expired rows at most once a minute, piggybacking on writes. */
  async #maybeSweep(): Promise<void> {
    const now = Date.now();
    if (now < this.#nextSweep) return;
    this.#nextSweep = now + SWEEP_INTERVAL_MS;
    await sql`delete from kv where key in (
      select key from kv where expires_at <= now() limit ${SWEEP_BATCH}
    )`.execute(this.#db);
  }
}
