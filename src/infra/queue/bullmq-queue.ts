// The job queues on Redis through BullMQ, used when REDIS_URL is set. Retries are BullMQ's:
// each job carries the queue's attempt count and a custom backoff type that the worker maps
// to the queue's RetryPolicy. Completed jobs are removed; failed ones are kept for a while.
import type { MessageQueueDepth, MessageQueueEnqueueOptions } from "@fedify/fedify";
import { type Job, type JobsOptions, Queue, Worker } from "bullmq";
import { Redis } from "ioredis";
import { log } from "../logging.ts";
import { recordJobOutcome } from "../metrics.ts";
import { durationToMs } from "../temporal.ts";
import { ListenLoops } from "./listeners.ts";
import {
  type JobQueue,
  QUEUE_NAMES,
  type QueueName,
  type Queues,
  RETRY_POLICIES,
  type RetryPolicy,
} from "./types.ts";

const logger = log("queue");

export interface BullMqQueueOptions {
  /** Redis key prefix, e.g. `roost:bull`; lets several instances share one Redis. */
  prefix: string;
  /** Jobs run at once per listen() call. */
  concurrency: number;
  /** Overrides RETRY_POLICIES (tests use tiny backoffs). */
  policies?: Partial<Record<QueueName, RetryPolicy>>;
}

export function createBullMqQueues(redisUrl: string, opts: BullMqQueueOptions): Queues {
  const queues = {} as Partial<Queues>;
  for (const name of QUEUE_NAMES) queues[name] = new BullMqMessageQueue(redisUrl, name, opts);
  return queues as Queues;
}

// The backoff type stored on each job; the worker's backoffStrategy answers for it.
const BACKOFF_TYPE = "roost-policy";
// Jobs with an ordering key are named after it, so the worker can see the key.
const ORDERED_PREFIX = "ordered:";
const UNORDERED_NAME = "message";

// Per-process chains of running jobs, one per ordering key (see the class comment).
const orderingChains = new Map<string, Promise<void>>();

function runInOrder(chainKey: string, task: () => Promise<void>): Promise<void> {
  const previous = orderingChains.get(chainKey) ?? Promise.resolve();
  const run = previous.then(task);
  const settled = run.then(
    () => {},
    () => {},
  );
  orderingChains.set(chainKey, settled);
  void settled.then(() => {
    if (orderingChains.get(chainKey) === settled) orderingChains.delete(chainKey);
  });
  return run;
}

/**
 * One BullMQ queue. About `orderingKey`: BullMQ's open-source edition has no job groups, so
 * ordering is best effort only. Jobs are taken from Redis in enqueue order, and within one
 * process jobs sharing a key are run one after another in the order they were taken. That
 * is not guaranteed across several worker processes, nor when a job fails and is retried
 * after a backoff while later jobs with its key go ahead. Fedify uses the key to keep the
 * deliveries about one object in order (Create before Update before Delete), where a rare
 * inversion is tolerable; the SQL queue enforces the order strictly.
 */
export class BullMqMessageQueue implements JobQueue {
  readonly name: QueueName;
  readonly nativeRetrial = true as const;
  readonly #redisUrl: string;
  readonly #prefix: string;
  readonly #concurrency: number;
  readonly #policy: RetryPolicy;
  readonly #loops = new ListenLoops();
  #queue: Queue | undefined;
  #queueConnection: Redis | undefined;

  constructor(redisUrl: string, name: QueueName, opts: BullMqQueueOptions) {
    this.#redisUrl = redisUrl;
    this.name = name;
    this.#prefix = opts.prefix;
    this.#concurrency = Math.max(1, opts.concurrency);
    this.#policy = opts.policies?.[name] ?? RETRY_POLICIES[name];
  }

  // BullMQ requires maxRetriesPerRequest: null so that blocking commands wait out outages.
  #connect(): Redis {
    const redis = new Redis(this.#redisUrl, { maxRetriesPerRequest: null });
    redis.on("error", (error) => logger.warn("Redis (queue) error: {error}", { error }));
    return redis;
  }

  // Created on first use, so processes that never touch a queue hold no connection for it.
  #getQueue(): Queue {
    if (!this.#queue) {
      this.#queueConnection = this.#connect();
      this.#queue = new Queue(this.name, {
        connection: this.#queueConnection,
        prefix: this.#prefix,
      });
      this.#queue.on("error", (error) => logger.warn("Queue error: {error}", { error }));
    }
    return this.#queue;
  }

  #jobOptions(options?: MessageQueueEnqueueOptions): JobsOptions {
    const delay = Math.ceil(durationToMs(options?.delay));
    return {
      attempts: this.#policy.maxAttempts,
      backoff: { type: BACKOFF_TYPE },
      ...(delay > 0 ? { delay } : {}),
      removeOnComplete: true,
      // Keep failures for inspection, bounded so a broken remote cannot fill Redis.
      removeOnFail: { age: 14 * 24 * 3600, count: 10_000 },
    };
  }

  #jobName(options?: MessageQueueEnqueueOptions): string {
    return options?.orderingKey == null ? UNORDERED_NAME : ORDERED_PREFIX + options.orderingKey;
  }

  async enqueue(message: unknown, options?: MessageQueueEnqueueOptions): Promise<void> {
    await this.#getQueue().add(this.#jobName(options), message, this.#jobOptions(options));
  }

  async enqueueMany(
    messages: readonly unknown[],
    options?: MessageQueueEnqueueOptions,
  ): Promise<void> {
    if (messages.length === 0) return;
    const name = this.#jobName(options);
    const opts = this.#jobOptions(options);
    await this.#getQueue().addBulk(messages.map((data) => ({ name, data, opts })));
  }

  async getDepth(): Promise<MessageQueueDepth> {
    // Jobs waiting for a retry sit in "delayed", which is right: they are not ready yet.
    const counts = await this.#getQueue().getJobCounts(
      "waiting",
      "prioritized",
      "paused",
      "delayed",
    );
    const ready = (counts.waiting ?? 0) + (counts.prioritized ?? 0) + (counts.paused ?? 0);
    const delayed = counts.delayed ?? 0;
    return { queued: ready + delayed, ready, delayed };
  }

  listen(
    handler: (message: unknown) => Promise<void> | void,
    options: { signal?: AbortSignal } = {},
  ): Promise<void> {
    return this.#loops.start((signal) => this.#listen(handler, signal), options.signal);
  }

  async #listen(
    handler: (message: unknown) => Promise<void> | void,
    signal: AbortSignal,
  ): Promise<void> {
    if (signal.aborted) return;
    const chainPrefix = `${this.#prefix}\0${this.name}\0`;
    const processJob = async (job: Job): Promise<void> => {
      if (!job.name.startsWith(ORDERED_PREFIX)) return await handler(job.data);
      const key = job.name.slice(ORDERED_PREFIX.length);
      await runInOrder(chainPrefix + key, async () => {
        await handler(job.data);
      });
    };
    const connection = this.#connect();
    let worker: Worker;
    try {
      worker = this.#createWorker(connection, processJob);
    } catch (error) {
      // listen() must not reject (Fedify's contract); a misconfiguration shows in the log.
      logger.error("Could not start a worker for queue {queue}: {error}", {
        queue: this.name,
        error,
      });
      connection.disconnect();
      return;
    }
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener("abort", () => resolve(), { once: true });
    });
    try {
      // Waits for the jobs in hand to finish (graceful drain), then releases its connections.
      await worker.close();
    } catch (error) {
      logger.warn("Could not close the worker of queue {queue}: {error}", {
        queue: this.name,
        error,
      });
    }
    connection.disconnect();
  }

  #createWorker(connection: Redis, processJob: (job: Job) => Promise<void>): Worker {
    const policy = this.#policy;
    const worker = new Worker(this.name, processJob, {
      connection,
      prefix: this.#prefix,
      concurrency: this.#concurrency,
      settings: {
        // attemptsMade counts the tries so far, the failed one included, as RetryPolicy expects.
        backoffStrategy: (attemptsMade, type) =>
          type === BACKOFF_TYPE ? policy.backoffMs(attemptsMade) : 0,
      },
    });
    worker.on("error", (error) => logger.warn("Worker error: {error}", { error }));
    worker.on("completed", () => recordJobOutcome(this.name, "completed"));
    worker.on("failed", (job, error) => {
      const final = !job || job.attemptsMade >= (job.opts.attempts ?? 1);
      recordJobOutcome(this.name, final ? "failed" : "retried");
      if (job && final) {
        logger.warn("Job {id} on queue {queue} failed permanently: {error}", {
          id: job.id,
          queue: this.name,
          error,
        });
      }
    });
    return worker;
  }

  async close(): Promise<void> {
    await this.#loops.close();
    const queue = this.#queue;
    this.#queue = undefined;
    if (queue) await queue.close().catch(() => {});
    this.#queueConnection?.disconnect();
    this.#queueConnection = undefined;
  }
}
