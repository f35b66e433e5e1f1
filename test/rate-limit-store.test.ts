// Fixed-window rate-limit counters: in memory always, in Redis when REDIS_URL is set.
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { MemoryRateLimitStore } from "../src/infra/ratelimit/memory-store.ts";
import { RedisRateLimitStore } from "../src/infra/ratelimit/redis-store.ts";
import { createTestBackend, SERVICE_REDIS_URL, type TestBackend } from "./helpers/backend.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until the start of the next window, so a test's hits do not straddle a boundary. */
async function startOfWindow(windowMs: number) {
  await sleep(windowMs - (Date.now() % windowMs) + 5);
}

describe("MemoryRateLimitStore", () => {
  test("counts hits per key and per window length", async () => {
    let now = 1_000_000;
    const store = new MemoryRateLimitStore({ now: () => now });
    expect(await store.hit("ip:1", 60_000)).toEqual({ count: 1, resetAt: 1_020_000 });
    expect(await store.hit("ip:1", 60_000)).toEqual({ count: 2, resetAt: 1_020_000 });
    now += 19_999;
    expect((await store.hit("ip:1", 60_000)).count).toBe(3);
    expect((await store.hit("ip:2", 60_000)).count).toBe(1);
    // The same key under another window length is another counter.
    expect(await store.hit("ip:1", 3_600_000)).toEqual({ count: 1, resetAt: 3_600_000 });
    await store.close();
  });

  test("a new window starts from zero at an aligned boundary", async () => {
    let now = 120_000 - 1;
    const store = new MemoryRateLimitStore({ now: () => now });
    expect(await store.hit("k", 60_000)).toEqual({ count: 1, resetAt: 120_000 });
    expect((await store.hit("k", 60_000)).count).toBe(2);
    now = 120_000;
    expect(await store.hit("k", 60_000)).toEqual({ count: 1, resetAt: 180_000 });
    now = 179_999;
    expect((await store.hit("k", 60_000)).count).toBe(2);
    await store.close();
  });

  test("sweeping drops ended windows only", async () => {
    let now = 0;
    const store = new MemoryRateLimitStore({ now: () => now });
    await store.hit("short", 1_000);
    await store.hit("long", 10_000);
    expect(store.size).toBe(2);
    now = 1_000;
    store.sweep();
    expect(store.size).toBe(1);
    expect((await store.hit("long", 10_000)).count).toBe(2);
    await store.close();
  });

  test("the sweep timer runs on its own", async () => {
    let now = 0;
    const store = new MemoryRateLimitStore({ now: () => now, sweepIntervalMs: 20 });
    await store.hit("k", 1_000);
    now = 5_000;
    for (let i = 0; i < 50 && store.size > 0; i++) await sleep(10);
    expect(store.size).toBe(0);
    await store.close();
  });

  test("rejects a non-positive window", async () => {
    const store = new MemoryRateLimitStore();
    await expect(store.hit("k", 0)).rejects.toThrow(RangeError);
    await store.close();
  });
});

describe.skipIf(!SERVICE_REDIS_URL)("RedisRateLimitStore", () => {
  let backend: TestBackend;
  let prefix: string;
  let redisA: Redis;
  let redisB: Redis;

  beforeAll(async () => {
    backend = await createTestBackend({ services: true });
    prefix = `${backend.redisPrefix}:rl:`;
    redisA = new Redis(SERVICE_REDIS_URL!);
    redisB = new Redis(SERVICE_REDIS_URL!);
  });
  afterAll(async () => {
    if (redisA) {
      const keys = await redisA.keys(`${backend.redisPrefix}:*`);
      if (keys.length > 0) await redisA.del(...keys);
    }
    redisA?.disconnect();
    redisB?.disconnect();
    await backend?.cleanup();
  });

  test("two store instances on separate connections share counts", async () => {
    const a = new RedisRateLimitStore(redisA, prefix);
    const b = new RedisRateLimitStore(redisB, prefix);
    const windowMs = 60_000;
    await startOfWindow(1_000);
    const first = await a.hit("ip:1", windowMs);
    expect(first.count).toBe(1);
    expect(first.resetAt % windowMs).toBe(0);
    expect(first.resetAt).toBeGreaterThan(Date.now());
    expect((await b.hit("ip:1", windowMs)).count).toBe(2);
    expect((await a.hit("ip:1", windowMs)).count).toBe(3);
    expect((await b.hit("ip:2", windowMs)).count).toBe(1);
    // Concurrent hits are all counted.
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).hit("burst", windowMs)),
    );
    expect(results.map((r) => r.count).sort((x, y) => x - y)).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    // Another prefix is another namespace.
    const isolated = new RedisRateLimitStore(redisA, `${backend.redisPrefix}:other:`);
    expect((await isolated.hit("ip:1", windowMs)).count).toBe(1);
  });

  test("counters reset in the next window and expire in Redis", async () => {
    const store = new RedisRateLimitStore(redisA, prefix);
    const windowMs = 400;
    await startOfWindow(windowMs);
    expect((await store.hit("k", windowMs)).count).toBe(1);
    expect((await store.hit("k", windowMs)).count).toBe(2);
    const keys = await redisA.keys(`${prefix}${windowMs}:*`);
    expect(keys).toHaveLength(1);
    const ttl = await redisA.pttl(keys[0]!);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(windowMs + 5_000);
    await startOfWindow(windowMs);
    const next = await store.hit("k", windowMs);
    expect(next.count).toBe(1);
  });

  test("close leaves the shared connection open", async () => {
    const store = new RedisRateLimitStore(redisA, prefix);
    await store.hit("k", 1_000);
    await store.close();
    expect(await redisA.ping()).toBe("PONG");
  });
});
