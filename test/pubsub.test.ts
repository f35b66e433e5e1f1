// Pub/sub: the in-process implementation always, the Redis one when REDIS_URL is set.
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { MemoryPubSub } from "../src/infra/pubsub/memory-pubsub.ts";
import { RedisPubSub } from "../src/infra/pubsub/redis-pubsub.ts";
import type { PubSub } from "../src/infra/pubsub/types.ts";
import { createTestBackend, SERVICE_REDIS_URL, type TestBackend } from "./helpers/backend.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Collects messages and lets a test wait for a number of them. */
function inbox() {
  const messages: string[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  return {
    messages,
    handler(message: string) {
      messages.push(message);
      for (const w of waiters.filter((w) => messages.length >= w.count)) w.resolve();
    },
    async waitFor(count: number, timeoutMs = 5_000) {
      if (messages.length >= count) return;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`got ${messages.length} of ${count} messages`)),
          timeoutMs,
        );
        waiters.push({
          count,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
      });
    },
  };
}

/**
 * Publishes a sentinel after the messages under test and waits for it: delivery is in
 * publish order, so once the sentinel is in, anything published before it would be too.
 */
async function flush(publisher: PubSub, subscriber: PubSub, channel = "sentinel") {
  const box = inbox();
  const unsubscribe = await subscriber.subscribe(channel, box.handler);
  await publisher.publish(channel, "flush");
  await box.waitFor(1);
  await unsubscribe();
}

describe("MemoryPubSub", () => {
  test("delivers to every subscriber of the channel only", async () => {
    const pubsub = new MemoryPubSub();
    const a = inbox();
    const b = inbox();
    const other = inbox();
    await pubsub.subscribe("timeline:1", a.handler);
    await pubsub.subscribe("timeline:1", b.handler);
    await pubsub.subscribe("timeline:2", other.handler);
    await pubsub.publish("timeline:1", "one");
    await pubsub.publish("timeline:1", "two");
    await a.waitFor(2);
    await b.waitFor(2);
    await flush(pubsub, pubsub);
    expect(a.messages).toEqual(["one", "two"]);
    expect(b.messages).toEqual(["one", "two"]);
    expect(other.messages).toEqual([]);
    await pubsub.close();
  });

  test("unsubscribe stops delivery for that subscription only", async () => {
    const pubsub = new MemoryPubSub();
    const box = inbox();
    // The same handler twice is two subscriptions.
    const first = await pubsub.subscribe("c", box.handler);
    const second = await pubsub.subscribe("c", box.handler);
    await pubsub.publish("c", "both");
    await box.waitFor(2);
    await first();
    await pubsub.publish("c", "one left");
    await second();
    await second();
    await pubsub.publish("c", "none left");
    await flush(pubsub, pubsub);
    expect(box.messages).toEqual(["both", "both", "one left"]);
    await pubsub.close();
  });

  test("a throwing handler does not stop the others or the publisher", async () => {
    const pubsub = new MemoryPubSub();
    const box = inbox();
    await pubsub.subscribe("c", () => {
      throw new Error("handler bug");
    });
    await pubsub.subscribe("c", box.handler);
    await pubsub.publish("c", "hello");
    await box.waitFor(1);
    expect(box.messages).toEqual(["hello"]);
    await pubsub.close();
    await expect(pubsub.publish("c", "late")).rejects.toThrow(/closed/);
  });
});

describe.skipIf(!SERVICE_REDIS_URL)("RedisPubSub", () => {
  let backend: TestBackend;
  let prefix: string;
  let inspector: Redis;
  const instances: RedisPubSub[] = [];
  const make = (p = prefix) => {
    const pubsub = new RedisPubSub(SERVICE_REDIS_URL!, { prefix: p });
    instances.push(pubsub);
    return pubsub;
  };

  beforeAll(async () => {
    backend = await createTestBackend({ services: true });
    prefix = `${backend.redisPrefix}:ps:`;
    inspector = new Redis(SERVICE_REDIS_URL!);
  });
  afterAll(async () => {
    for (const pubsub of instances) await pubsub.close();
    inspector?.disconnect();
    await backend?.cleanup();
  });

  const subscribers = async (channel: string) => {
    const reply = (await inspector.pubsub("NUMSUB", channel)) as [string, number];
    return Number(reply[1]);
  };

  test("a message published by one instance reaches subscribers on another", async () => {
    const publisher = make();
    const subscriber = make();
    const box = inbox();
    const other = inbox();
    await subscriber.subscribe("events", box.handler);
    await subscriber.subscribe("other", other.handler);
    // No sleep: subscribe() resolves only once Redis has confirmed the subscription.
    await publisher.publish("events", "hello");
    await publisher.publish("events", "ünïcode ✓");
    await box.waitFor(2);
    await flush(publisher, subscriber);
    expect(box.messages).toEqual(["hello", "ünïcode ✓"]);
    expect(other.messages).toEqual([]);
    // The channel name carries the prefix in Redis.
    expect(await subscribers(`${prefix}events`)).toBe(1);
    expect(await subscribers("events")).toBe(0);
  });

  test("unsubscribe stops delivery; Redis is told when the last handler leaves", async () => {
    const publisher = make();
    const subscriber = make();
    const a = inbox();
    const b = inbox();
    const offA = await subscriber.subscribe("chan", a.handler);
    const offB = await subscriber.subscribe("chan", b.handler);
    await publisher.publish("chan", "first");
    await a.waitFor(1);
    await b.waitFor(1);

    await offA();
    expect(await subscribers(`${prefix}chan`)).toBe(1);
    await publisher.publish("chan", "second");
    await b.waitFor(2);

    await offB();
    expect(await subscribers(`${prefix}chan`)).toBe(0);
    await publisher.publish("chan", "third");
    await flush(publisher, subscriber);
    await sleep(50);
    expect(a.messages).toEqual(["first"]);
    expect(b.messages).toEqual(["first", "second"]);

    // Subscribing again after the last one left works.
    const c = inbox();
    await subscriber.subscribe("chan", c.handler);
    await publisher.publish("chan", "fourth");
    await c.waitFor(1);
    expect(c.messages).toEqual(["fourth"]);
  });

  test("instances with different prefixes do not hear each other", async () => {
    const publisher = make();
    const same = make();
    const otherPrefix = make(`${backend.redisPrefix}:other:`);
    const sameBox = inbox();
    const otherBox = inbox();
    await same.subscribe("shared-name", sameBox.handler);
    await otherPrefix.subscribe("shared-name", otherBox.handler);
    await publisher.publish("shared-name", "for my prefix");
    await sameBox.waitFor(1);
    // Redis pushes in publish order: once otherPrefix has a later message on its own
    // prefix, the earlier one would have arrived had it been routed there.
    const otherPublisher = make(`${backend.redisPrefix}:other:`);
    await flush(otherPublisher, otherPrefix);
    expect(otherBox.messages).toEqual([]);
    expect(sameBox.messages).toEqual(["for my prefix"]);
  });

  test("close quits both connections and refuses further use", async () => {
    const pubsub = new RedisPubSub(SERVICE_REDIS_URL!, { prefix });
    const box = inbox();
    await pubsub.subscribe("closing", box.handler);
    expect(await subscribers(`${prefix}closing`)).toBe(1);
    await pubsub.close();
    // The subscriber connection is gone, so Redis no longer counts it.
    for (let i = 0; i < 50 && (await subscribers(`${prefix}closing`)) > 0; i++) await sleep(20);
    expect(await subscribers(`${prefix}closing`)).toBe(0);
    await expect(pubsub.publish("closing", "late")).rejects.toThrow(/closed/);
    await expect(pubsub.subscribe("closing", box.handler)).rejects.toThrow(/closed/);
    // A never-used instance closes without having connected.
    await new RedisPubSub(SERVICE_REDIS_URL!, { prefix }).close();
  });
});
