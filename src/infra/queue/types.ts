import type { MessageQueue, MessageQueueDepth } from "@fedify/fedify";

/** The queues Roost runs. Fedify's inbox/outbox/fanout, and `jobs` for Roost's own side effects. */
export const QUEUE_NAMES = ["inbox", "outbox", "fanout", "jobs"] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

export interface RetryPolicy {
  /** Total tries, the first included. 1 means no retry. */
  maxAttempts: number;
  /** Delay before try number `attempt + 1`, given `attempt` tries so far (1-based). */
  backoffMs(attempt: number): number;
}

/**
 * A Fedify MessageQueue that also reports its depth and can be closed. Implemented on
 * BullMQ (REDIS_URL set) and on the SQL database (embedded PGlite or PostgreSQL).
 * Both retry natively: a handler that throws is tried again by the queue per its RetryPolicy.
 */
export interface JobQueue extends MessageQueue {
  readonly name: QueueName;
  readonly nativeRetrial: true;
  getDepth(): Promise<MessageQueueDepth>;
  /** Stops listening and releases connections. Enqueued messages stay in the store. */
  close(): Promise<void>;
}

export type Queues = Record<QueueName, JobQueue>;

/** Exponential backoff with jitter, capped. */
export function exponentialBackoff(baseMs: number, capMs: number): (attempt: number) => number {
  return (attempt) => {
    const exp = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
    return Math.round(exp * (0.8 + Math.random() * 0.4));
  };
}

/**
 * Retry schedules per queue. Outbound delivery follows Mastodon's shape (about 16 tries
 * over two to three days: attempt⁴ seconds plus jitter); the rest retry briefly.
 */
export const RETRY_POLICIES: Record<QueueName, RetryPolicy> = {
  outbox: {
    maxAttempts: 16,
    backoffMs: (attempt) => (attempt ** 4 + 15 + Math.random() * 30 * attempt) * 1000,
  },
  fanout: { maxAttempts: 5, backoffMs: exponentialBackoff(1000, 60_000) },
  inbox: { maxAttempts: 5, backoffMs: exponentialBackoff(1000, 300_000) },
  jobs: { maxAttempts: 8, backoffMs: exponentialBackoff(2000, 3_600_000) },
};
