// One behavioural suite for every KvStore backend this run can reach: SqlKvStore on PGlite
// (always), on PostgreSQL and RedisKvStore (when the services are configured).
import type { KvKey, KvStore } from "@fedify/fedify";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { openDatabase } from "../src/infra/db/index.ts";
import { migrateToLatest } from "../src/infra/db/migrate.ts";
import { RedisKvStore } from "../src/infra/kv/redis-kv-store.ts";
import { SqlKvStore } from "../src/infra/kv/sql-kv-store.ts";
import { durationOf } from "../src/infra/temporal.ts";
import { createTestBackend, SERVICE_DATABASE_URL, SERVICE_REDIS_URL } from "./helpers/backend.ts";

type CasStore = KvStore & Required<Pick<KvStore, "cas">>;

interface OpenedStore {
  /** Two store objects on the same data (separate connections where the backend has them). */
  stores: [CasStore, CasStore];
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const ms = durationOf;

async function collect(store: KvStore, prefix?: KvKey) {
  const entries: { key: KvKey; value: unknown }[] = [];
  for await (const entry of store.list(prefix)) entries.push(entry);
  // Parts joined by NUL sort a key before its extensions.
  const order = (e: { key: KvKey }) => e.key.join("\u0000");
  return entries.sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0));
}

const openSql = (services: boolean) => async (): Promise<OpenedStore> => {
  const backend = await createTestBackend({ services });
  const config = { dataDir: backend.dataDir, databaseUrl: backend.databaseUrl };
  const first = await openDatabase(config);
  await migrateToLatest(first.db);
  // PGlite is one process-local connection: the second store shares it. On PostgreSQL a
  // second pool stands in for a second process.
  const second = services ? await openDatabase(config) : first;
  return {
    stores: [new SqlKvStore(first.db), new SqlKvStore(second.db)],
    async close() {
      if (second !== first) await second.close();
      await first.close();
      await backend.cleanup();
    },
  };
};

async function openRedis(): Promise<OpenedStore> {
  const backend = await createTestBackend({ services: true });
  const prefix = `${backend.redisPrefix}:kv:`;
  const a = new Redis(SERVICE_REDIS_URL!);
  const b = new Redis(SERVICE_REDIS_URL!);
  return {
    stores: [new RedisKvStore(a, { prefix }), new RedisKvStore(b, { prefix })],
    async close() {
      const keys = await a.keys(`${backend.redisPrefix}:*`);
      if (keys.length > 0) await a.del(...keys);
      a.disconnect();
      b.disconnect();
      await backend.cleanup();
    },
  };
}

const BACKENDS = [
  { name: "SqlKvStore on PGlite", enabled: true, open: openSql(false) },
  { name: "SqlKvStore on PostgreSQL", enabled: !!SERVICE_DATABASE_URL, open: openSql(true) },
  { name: "RedisKvStore", enabled: !!SERVICE_REDIS_URL, open: openRedis },
];

for (const { name, enabled, open } of BACKENDS) {
  describe.skipIf(!enabled)(name, () => {
    let opened: OpenedStore;
    let kv: CasStore;
    let other: CasStore;
    // Each test works under its own top-level key part, so tests do not see each other.
    let n = 0;
    const fresh = () => `t${++n}`;

    beforeAll(async () => {
      opened = await open();
      [kv, other] = opened.stores;
    });
    afterAll(async () => {
      await opened?.close();
    });

    test("get, set, overwrite and delete", async () => {
      const t = fresh();
      expect(await kv.get([t, "missing"])).toBeUndefined();
      const values: unknown[] = [
        "text",
        "",
        42,
        -1.5,
        0,
        true,
        false,
        null,
        [1, "two", null, { three: 3 }],
        { nested: { deep: [true] }, 'quote"d': "ü\u0000\u001f" },
        {},
        [],
        // Not representable in PostgreSQL jsonb as such.
        "nul\u0000inside",
        { lone: "\ud800", pair: "😀" },
        // Looks like SqlKvStore's internal wrapper; must come back unchanged.
        { "$roost:json": "[1]" },
      ];
      for (const [i, value] of values.entries()) await kv.set([t, String(i)], value);
      for (const [i, value] of values.entries()) {
        expect(await kv.get([t, String(i)])).toEqual(value);
        // Visible through a second store object (another connection or pool).
        expect(await other.get([t, String(i)])).toEqual(value);
      }
      // null is a stored value, not absence.
      expect(await kv.get([t, "7"])).toBeNull();

      await kv.set([t, "0"], { replaced: true });
      expect(await kv.get([t, "0"])).toEqual({ replaced: true });
      await kv.delete([t, "0"]);
      expect(await kv.get([t, "0"])).toBeUndefined();
      await kv.delete([t, "never-set"]);
      // Deleting one key leaves its neighbours alone.
      expect(await kv.get([t, "1"])).toBe("");
    });

    test("keys with separator-like and glob characters round-trip", async () => {
      const t = fresh();
      const odd = ["", "a:b", "*", "?", "[x]", "\\", '"', "\u001f", 'a\u001f"b', "ü😀", " "];
      for (const part of odd) await kv.set([t, part], part);
      for (const part of odd) expect(await kv.get([t, part])).toBe(part);
      const listed = await collect(kv, [t]);
      expect(listed.map((e) => e.key[1]).sort()).toEqual([...odd].sort());
      for (const entry of listed) expect(entry.value).toBe(entry.key[1]);
      // Single-part and multi-part keys made of the same characters are distinct.
      await kv.set([`${t}\u001f`], "joined");
      expect(await kv.get([t, ""])).toBe("");
      expect(await kv.get([`${t}\u001f`])).toBe("joined");
    });

    test("list matches whole key parts only", async () => {
      const t = fresh();
      const keys: KvKey[] = [
        [t, "a"],
        [t, "a", "b"],
        [t, "a", "b", "c"],
        [t, "ab"],
        [t, "a*"],
        [t, "a?"],
        [t, "[a]"],
        [t, "b", "a"],
        [`${t}x`, "a"],
      ];
      for (const [i, key] of keys.entries()) await kv.set(key, i);

      const keysOf = async (prefix?: KvKey) => (await collect(kv, prefix)).map((e) => e.key);
      expect(await keysOf([t, "a"])).toEqual([
        [t, "a"],
        [t, "a", "b"],
        [t, "a", "b", "c"],
      ]);
      expect(await keysOf([t, "a", "b"])).toEqual([
        [t, "a", "b"],
        [t, "a", "b", "c"],
      ]);
      expect(await keysOf([t, "a*"])).toEqual([[t, "a*"]]);
      expect(await keysOf([t, "a?"])).toEqual([[t, "a?"]]);
      expect(await keysOf([t, "[a]"])).toEqual([[t, "[a]"]]);
      expect(await keysOf([t, "nothing"])).toEqual([]);
      expect(await keysOf([t])).toHaveLength(8);
      expect(await keysOf([`${t}x`])).toEqual([[`${t}x`, "a"]]);
      const all = await keysOf();
      for (const key of keys) expect(all).toContainEqual(key);
      const entries = await collect(kv, [t, "a", "b"]);
      expect(entries.map((e) => e.value)).toEqual([1, 2]);
    });

    test("list returns every entry of a large prefix exactly once", async () => {
      const t = fresh();
      const count = 1_234;
      for (let i = 0; i < count; i += 100) {
        const batch = [];
        for (let j = i; j < Math.min(i + 100, count); j++) batch.push(kv.set([t, String(j)], j));
        await Promise.all(batch);
      }
      const entries = await collect(kv, [t]);
      expect(entries).toHaveLength(count);
      expect(new Set(entries.map((e) => e.value)).size).toBe(count);
    });

    test("ttl expiry hides entries from get, list and cas", async () => {
      const t = fresh();
      await kv.set([t, "short"], "soon gone", { ttl: ms(300) });
      await kv.set([t, "long"], "stays", { ttl: ms(3_600_000) });
      await kv.set([t, "forever"], "stays");
      await kv.set([t, "reset"], "first", { ttl: ms(300) });
      // Setting again without ttl makes the entry persistent.
      await kv.set([t, "reset"], "second");
      await kv.set([t, "cas-expired"], "old", { ttl: ms(300) });
      expect(await kv.get([t, "short"])).toBe("soon gone");
      expect(await collect(kv, [t])).toHaveLength(5);

      await sleep(700);
      expect(await kv.get([t, "short"])).toBeUndefined();
      expect(await kv.get([t, "long"])).toBe("stays");
      expect(await kv.get([t, "forever"])).toBe("stays");
      expect(await kv.get([t, "reset"])).toBe("second");
      expect((await collect(kv, [t])).map((e) => e.key[1])).toEqual(["forever", "long", "reset"]);
      // An expired entry counts as absent for cas.
      expect(await kv.cas([t, "cas-expired"], "old", "new")).toBe(false);
      expect(await kv.cas([t, "cas-expired"], undefined, "new")).toBe(true);
      expect(await kv.get([t, "cas-expired"])).toBe("new");
      // A new value at an expired key is a fresh entry.
      await kv.set([t, "short"], "back");
      expect(await kv.get([t, "short"])).toBe("back");
    });

    test("cas succeeds only on the expected value", async () => {
      const t = fresh();
      const key: KvKey = [t, "k"];
      // undefined expected: only when absent.
      expect(await kv.cas(key, undefined, { v: 1 })).toBe(true);
      expect(await kv.cas(key, undefined, { v: 2 })).toBe(false);
      expect(await kv.get(key)).toEqual({ v: 1 });
      // A wrong expectation changes nothing.
      expect(await kv.cas(key, { v: 9 }, { v: 2 })).toBe(false);
      expect(await kv.cas(key, "v", { v: 2 })).toBe(false);
      expect(await kv.get(key)).toEqual({ v: 1 });
      expect(await kv.cas(key, { v: 1 }, { v: 2 })).toBe(true);
      expect(await kv.get(key)).toEqual({ v: 2 });
      // Values the SQL store has to wrap compare like any other.
      await kv.set(key, { z: "\u0000", a: 1 });
      expect(await kv.cas(key, { z: "\u0000", a: 2 }, "no")).toBe(false);
      expect(await kv.cas(key, { a: 1, z: "\u0000" }, { v: 1 })).toBe(true);
      // Deep equality: object key order does not matter.
      await kv.set(key, { a: 1, b: [1, { c: 2, d: 3 }] });
      expect(await kv.cas(key, { b: [1, { d: 3, c: 2 }], a: 1 }, "swapped")).toBe(true);
      expect(await kv.get(key)).toBe("swapped");
      // ...but array order does.
      await kv.set(key, [1, 2]);
      expect(await kv.cas(key, [2, 1], "no")).toBe(false);
      // Scalars and null.
      await kv.set(key, null);
      expect(await kv.cas(key, undefined, 1)).toBe(false);
      expect(await kv.cas(key, null, 1)).toBe(true);
      expect(await kv.cas(key, "1", 2)).toBe(false);
      expect(await kv.cas(key, 1, 2)).toBe(true);
      expect(await kv.get(key)).toBe(2);
      // undefined new value deletes, as Fedify's circuit breaker relies on.
      expect(await kv.cas(key, 3, undefined)).toBe(false);
      expect(await kv.get(key)).toBe(2);
      expect(await kv.cas(key, 2, undefined)).toBe(true);
      expect(await kv.get(key)).toBeUndefined();
      expect(await kv.cas(key, undefined, undefined)).toBe(true);
      await kv.set(key, 0);
      expect(await kv.cas(key, undefined, undefined)).toBe(false);
    });

    test("cas with ttl expires the new value", async () => {
      const t = fresh();
      await kv.set([t, "k"], "old");
      expect(await kv.cas([t, "k"], "old", "new", { ttl: ms(300) })).toBe(true);
      expect(await kv.cas([t, "fresh"], undefined, "new", { ttl: ms(300) })).toBe(true);
      expect(await kv.get([t, "k"])).toBe("new");
      await sleep(700);
      expect(await kv.get([t, "k"])).toBeUndefined();
      expect(await kv.get([t, "fresh"])).toBeUndefined();
    });

    test("exactly one of many concurrent cas calls wins", async () => {
      const t = fresh();
      const contenders = 24;
      for (const expected of [undefined, "start"]) {
        const key: KvKey = [t, String(expected)];
        if (expected !== undefined) await kv.set(key, expected);
        const results = await Promise.all(
          Array.from({ length: contenders }, (_, i) =>
            (i % 2 === 0 ? kv : other).cas(key, expected, { winner: i }),
          ),
        );
        const winners = results.flatMap((won, i) => (won ? [i] : []));
        expect(winners).toHaveLength(1);
        expect(await kv.get(key)).toEqual({ winner: winners[0] });
      }
    });

    test("cas-based increments lose no updates under contention", async () => {
      const t = fresh();
      const key: KvKey = [t, "counter"];
      await kv.set(key, 0);
      const workers = 6;
      const perWorker = 8;
      const increment = async (store: CasStore) => {
        for (;;) {
          const current = (await store.get<number>(key)) ?? 0;
          if (await store.cas(key, current, current + 1)) return;
        }
      };
      await Promise.all(
        Array.from({ length: workers }, async (_, w) => {
          for (let i = 0; i < perWorker; i++) await increment(w % 2 === 0 ? kv : other);
        }),
      );
      expect(await kv.get(key)).toBe(workers * perWorker);
    });
  });
}
