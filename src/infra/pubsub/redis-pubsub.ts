// Pub/sub across processes over Redis. A connection in subscriber mode can do nothing else,
// so there are two: one for PUBLISH, and one for (UN)SUBSCRIBE, opened on first subscribe
// (a process that only publishes never needs it). Commands on one connection are handled
// in order, so an UNSUBSCRIBE followed by a SUBSCRIBE for the same channel ends subscribed.
import { Redis } from "ioredis";
import { log } from "../logging.ts";
import type { PubSub } from "./types.ts";

const logger = log("pubsub");

interface Subscription {
  handler: (message: string) => void;
}

interface Channel {
  subscriptions: Set<Subscription>;
  /** Settles once Redis has confirmed the SUBSCRIBE. */
  ready: Promise<void>;
}

export class RedisPubSub implements PubSub {
  readonly #redisUrl: string;
  readonly #prefix: string;
  readonly #publisher: Redis;
  #subscriber: Redis | undefined;
  /** Keyed by the prefixed channel name, as Redis reports it. */
  readonly #channels = new Map<string, Channel>();
  #closed = false;

  constructor(redisUrl: string, options: { prefix: string }) {
    this.#redisUrl = redisUrl;
    this.#prefix = options.prefix;
    // lazyConnect: no socket until the first publish, so short-lived CLI processes that
    // build services but never publish open nothing.
    this.#publisher = new Redis(redisUrl, { lazyConnect: true });
    this.#publisher.on("error", (error) => {
      logger.warn("Redis publisher connection error: {error}", { error });
    });
  }

  async publish(channel: string, message: string): Promise<void> {
    if (this.#closed) throw new Error("RedisPubSub is closed");
    await this.#publisher.publish(this.#prefix + channel, message);
  }

  async subscribe(
    channel: string,
    handler: (message: string) => void,
  ): Promise<() => Promise<void>> {
    if (this.#closed) throw new Error("RedisPubSub is closed");
    const name = this.#prefix + channel;
    const subscription: Subscription = { handler };
    let entry = this.#channels.get(name);
    if (entry === undefined) {
      const subscriber = this.#getSubscriber();
      entry = {
        subscriptions: new Set(),
        ready: subscriber.subscribe(name).then(() => {}),
      };
      this.#channels.set(name, entry);
    }
    entry.subscriptions.add(subscription);
    try {
      // Later subscribers to a channel wait for the same confirmation as the first.
      await entry.ready;
    } catch (error) {
      await this.#remove(name, entry, subscription);
      throw error;
    }
    let unsubscribed = false;
    return async () => {
      if (unsubscribed) return;
      unsubscribed = true;
      await this.#remove(name, entry, subscription);
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#channels.clear();
    const connections = [this.#publisher, this.#subscriber].filter((c) => c !== undefined);
    await Promise.all(connections.map((c) => quit(c)));
  }

  #getSubscriber(): Redis {
    if (this.#subscriber !== undefined) return this.#subscriber;
    // No request limit: a SUBSCRIBE issued while Redis is briefly away waits for the
    // reconnect instead of failing, and ioredis re-subscribes everything after it.
    // No ready check: ioredis 5.11 lets a SUBSCRIBE through while the connection is still
    // being set up, and its INFO ready check then fails ("Connection in subscriber mode").
    const subscriber = new Redis(this.#redisUrl, {
      maxRetriesPerRequest: null,
      enableReadyCheck: false,
    });
    subscriber.on("error", (error) => {
      logger.warn("Redis subscriber connection error: {error}", { error });
    });
    subscriber.on("message", (name: string, message: string) => this.#deliver(name, message));
    this.#subscriber = subscriber;
    return subscriber;
  }

  #deliver(name: string, message: string): void {
    const entry = this.#channels.get(name);
    if (entry === undefined) return;
    for (const subscription of [...entry.subscriptions]) {
      try {
        subscription.handler(message);
      } catch (error) {
        logger.error("Pub/sub handler for {channel} failed: {error}", { channel: name, error });
      }
    }
  }

  /** Drops one subscription; the last one to leave a channel unsubscribes it in Redis. */
  async #remove(name: string, entry: Channel, subscription: Subscription): Promise<void> {
    entry.subscriptions.delete(subscription);
    if (entry.subscriptions.size > 0 || this.#channels.get(name) !== entry) return;
    this.#channels.delete(name);
    if (this.#closed || this.#subscriber === undefined) return;
    await this.#subscriber.unsubscribe(name);
  }
}

/** QUIT politely when connected; a connection that never connected is just dropped. */
async function quit(connection: Redis): Promise<void> {
  if (connection.status === "wait" || connection.status === "end") {
    connection.disconnect();
    return;
  }
  try {
    await connection.quit();
  } catch {
    connection.disconnect();
  }
}
