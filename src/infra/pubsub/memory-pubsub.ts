// In-process pub/sub for embedded mode, where there is only one process to reach.
import { log } from "../logging.ts";
import type { PubSub } from "./types.ts";

const logger = log("pubsub");

/** One subscription; a wrapper so the same handler subscribed twice is two subscriptions. */
interface Subscription {
  handler: (message: string) => void;
}

export class MemoryPubSub implements PubSub {
  readonly #channels = new Map<string, Set<Subscription>>();
  #closed = false;

  async publish(channel: string, message: string): Promise<void> {
    if (this.#closed) throw new Error("MemoryPubSub is closed");
    const subscriptions = this.#channels.get(channel);
    if (subscriptions === undefined) return;
    // Delivered after publish() returns, like Redis: a handler that publishes or
    // (un)subscribes cannot re-enter this loop, and a throwing handler harms no one else.
    for (const subscription of [...subscriptions]) {
      queueMicrotask(() => {
        // Unsubscribed between publish and delivery.
        if (!this.#channels.get(channel)?.has(subscription)) return;
        try {
          subscription.handler(message);
        } catch (error) {
          logger.error("Pub/sub handler for {channel} failed: {error}", { channel, error });
        }
      });
    }
  }

  async subscribe(
    channel: string,
    handler: (message: string) => void,
  ): Promise<() => Promise<void>> {
    if (this.#closed) throw new Error("MemoryPubSub is closed");
    const subscription: Subscription = { handler };
    let subscriptions = this.#channels.get(channel);
    if (subscriptions === undefined) {
      subscriptions = new Set();
      this.#channels.set(channel, subscriptions);
    }
    subscriptions.add(subscription);
    return async () => {
      const current = this.#channels.get(channel);
      if (current === undefined) return;
      current.delete(subscription);
      if (current.size === 0) this.#channels.delete(channel);
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#channels.clear();
  }
}
