// The persistent job queue on the SQL database (the `jobs` table), used when REDIS_URL is
// absent. Works on embedded PGlite (one connection, one process) and on PostgreSQL with
// several processes claiming at once: a claim is one UPDATE over rows picked with
// FOR UPDATE SKIP LOCKED, so two claimers never take the same row, and it leases the row
// (locked_by/locked_until) so that a crashed process's jobs are taken again once the lease
// runs out. Jobs are rows, so they survive restarts; successful ones are deleted, and ones
// that used up their attempts stay with failed_at/last_error set for inspection.
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import type { MessageQueueDepth, MessageQueueEnqueueOptions } from "@fedify/fedify";
import { sql } from "kysely";
import type { Db } from "../db/index.ts";
import { compareIds } from "../ids.ts";
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

export interface SqlQueueOptions {
  /** Handlers run at once per listen() call. */
  concurrency: number;
  /** How often an idle listener looks for due jobs (other processes' and delayed ones). */
  pollIntervalMs?: number;
  /** How long a claim holds a job before another process may take it; renewed while running. */
  leaseMs?: number;
  /** Overrides RETRY_POLICIES (tests use tiny backoffs). */
  policies?: Partial<Record<QueueName, RetryPolicy>>;
}

export function createSqlQueues(db: Db, opts: SqlQueueOptions): Queues {
  const queues = {} as Partial<Queues>;
  for (const name of QUEUE_NAMES) queues[name] = new SqlMessageQueue(db, name, opts);
  return queues as Queues;
}

// Listeners of this process, per database and queue name, so that an enqueue wakes them
// at once instead of at their next poll. Other processes find new jobs by polling.
const localListeners = new WeakMap<Db, Map<QueueName, Set<() => void>>>();

function listenersOf(db: Db, name: QueueName): Set<() => void> {
  let byName = localListeners.get(db);
  if (!byName) {
    byName = new Map();
    localListeners.set(db, byName);
  }
  let set = byName.get(name);
  if (!set) {
    set = new Set();
    byName.set(name, set);
  }
  return set;
}

interface ClaimedJob {
  id: string;
  payload: unknown;
  attempts: number;
  max_attempts: number;
}

export class SqlMessageQueue implements JobQueue {
  readonly name: QueueName;
  readonly nativeRetrial = true as const;
  readonly #db: Db;
  readonly #concurrency: number;
  readonly #pollIntervalMs: number;
  readonly #leaseMs: number;
  readonly #policy: RetryPolicy;
  // Identifies this queue instance's claims; only for inspection and lease renewal.
  readonly #workerId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  readonly #loops = new ListenLoops();

  constructor(db: Db, name: QueueName, opts: SqlQueueOptions) {
    this.#db = db;
    this.name = name;
    this.#concurrency = Math.max(1, opts.concurrency);
    this.#pollIntervalMs = opts.pollIntervalMs ?? 1000;
    this.#leaseMs = opts.leaseMs ?? 5 * 60_000;
    this.#policy = opts.policies?.[name] ?? RETRY_POLICIES[name];
  }

  enqueue(message: unknown, options?: MessageQueueEnqueueOptions): Promise<void> {
    return this.enqueueMany([message], options);
  }

  async enqueueMany(
    messages: readonly unknown[],
    options?: MessageQueueEnqueueOptions,
  ): Promise<void> {
    if (messages.length === 0) return;
    const delayMs = Math.ceil(durationToMs(options?.delay));
    // The database clock decides when a job is due, so processes with skewed clocks agree.
    const runAt =
      delayMs > 0
        ? sql<Date>`now() + make_interval(secs => ${delayMs / 1000}::float8)`
        : sql<Date>`now()`;
    await this.#db
      .insertInto("jobs")
      .values(
        messages.map((message) => ({
          queue: this.name,
          // jsonb cannot hold `undefined`; Fedify's messages are always JSON objects.
          payload: JSON.stringify(message ?? null),
          ordering_key: options?.orderingKey ?? null,
          run_at: runAt,
          max_attempts: this.#policy.maxAttempts,
        })),
      )
      .execute();
    this.#wakeLocal();
    // A delayed job becomes due without any enqueue; wake local listeners right then.
    if (delayMs > 0) this.#wakeLocalIn(delayMs);
  }

  #wakeLocal(): void {
    for (const wake of listenersOf(this.#db, this.name)) wake();
  }

  // Wakes local listeners when a delayed job comes due, for punctuality. Long delays (hours
  // of retry backoff) are left to polling rather than holding a timer each.
  #wakeLocalIn(ms: number): void {
    if (ms <= 0) this.#wakeLocal();
    else if (ms <= 10 * 60_000) setTimeout(() => this.#wakeLocal(), ms + 5).unref();
  }

  async getDepth(): Promise<MessageQueueDepth> {
    // Leased jobs are in a worker's hands, so they are not "waiting"; failed ones never run again.
    const row = await sql<{ ready: string | number; delayed: string | number }>`
      select count(*) filter (where run_at <= now()) as ready,
             count(*) filter (where run_at > now()) as delayed
      from jobs
      where queue = ${this.name} and failed_at is null
        and (locked_until is null or locked_until < now())`
      .execute(this.#db)
      .then((r) => r.rows[0]);
    const ready = Number(row?.ready ?? 0);
    const delayed = Number(row?.delayed ?? 0);
    return { queued: ready + delayed, ready, delayed };
  }

  /**
   * Claims up to `limit` due jobs. A job with an ordering key is claimable only when no
   * earlier unfailed job with that key remains (pending, retrying or running) and no other
   * job with the key is leased, so each key's jobs run one at a time in enqueue order.
   */
  async #claim(limit: number): Promise<ClaimedJob[]> {
    const lease = this.#leaseMs / 1000;
    const result = await sql<ClaimedJob>`
      update jobs set locked_by = ${this.#workerId}, attempts = attempts + 1,
                      locked_until = now() + make_interval(secs => ${lease}::float8)
      where id in (
        select j.id from jobs j
        where j.queue = ${this.name} and j.failed_at is null and j.run_at <= now()
          and (j.locked_until is null or j.locked_until < now())
          and (j.ordering_key is null or not exists (
            select 1 from jobs o
            where o.queue = j.queue and o.ordering_key = j.ordering_key and o.id <> j.id
              and o.failed_at is null and (o.id < j.id or o.locked_until >= now())))
        order by j.run_at, j.id
        limit ${limit}
        for update skip locked)
      returning id, payload, attempts, max_attempts`.execute(this.#db);
    // UPDATE ... RETURNING gives no order; run the oldest first.
    return result.rows.sort((a, b) => compareIds(a.id, b.id));
  }

  async #run(job: ClaimedJob, handler: (message: unknown) => Promise<void> | void): Promise<void> {
    let failure: unknown;
    let failed = false;
    // Tries are counted when claimed, so a job whose handler kills the process (and is
    // taken again when its lease ends) still runs out of tries instead of looping forever.
    if (job.attempts > job.max_attempts) {
      failed = true;
      failure = new Error("the worker stopped during every try (crash or kill)");
    } else {
      try {
        await handler(job.payload);
      } catch (error) {
        failed = true;
        failure = error;
      }
    }
    try {
      if (!failed) {
        await this.#db.deleteFrom("jobs").where("id", "=", job.id).execute();
        recordJobOutcome(this.name, "completed");
        return;
      }
      const attempts = Math.min(job.attempts, job.max_attempts);
      const lastError = describeError(failure);
      if (attempts < job.max_attempts) {
        const backoff = Math.max(0, this.#policy.backoffMs(attempts)) / 1000;
        await this.#db
          .updateTable("jobs")
          .set({
            attempts,
            last_error: lastError,
            run_at: sql<Date>`now() + make_interval(secs => ${backoff}::float8)`,
            locked_by: null,
            locked_until: null,
          })
          .where("id", "=", job.id)
          .execute();
        this.#wakeLocalIn(backoff * 1000);
        recordJobOutcome(this.name, "retried");
      } else {
        recordJobOutcome(this.name, "failed");
        logger.warn(
          "Job {id} on queue {queue} failed permanently after {attempts} tries: {error}",
          {
            id: job.id,
            queue: this.name,
            attempts,
            error: lastError,
          },
        );
        await this.#db
          .updateTable("jobs")
          .set({
            attempts,
            last_error: lastError,
            failed_at: sql<Date>`now()`,
            locked_by: null,
            locked_until: null,
          })
          .where("id", "=", job.id)
          .execute();
      }
    } catch (error) {
      // The job stays leased and is taken again when the lease expires.
      logger.error("Could not record the outcome of job {id} on queue {queue}: {error}", {
        id: job.id,
        queue: this.name,
        error,
      });
    }
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
    const inFlight = new Map<string, Promise<void>>();
    // Set by wake(); checked before sleeping so that a wake during a claim is not lost.
    let woken = true;
    let wakeUp: (() => void) | undefined;
    const wake = () => {
      woken = true;
      wakeUp?.();
    };
    const local = listenersOf(this.#db, this.name);
    local.add(wake);
    signal.addEventListener("abort", wake, { once: true });
    // Renew the leases of running jobs so a long handler is not taken over by another process.
    const renew = setInterval(() => {
      if (inFlight.size === 0) return;
      this.#db
        .updateTable("jobs")
        .set({
          locked_until: sql<Date>`now() + make_interval(secs => ${this.#leaseMs / 1000}::float8)`,
        })
        .where("id", "in", [...inFlight.keys()])
        .where("locked_by", "=", this.#workerId)
        .execute()
        .catch((error) => logger.warn("Could not renew job leases: {error}", { error }));
    }, this.#leaseMs / 3);
    renew.unref();
    try {
      while (!signal.aborted) {
        woken = false;
        const free = this.#concurrency - inFlight.size;
        if (free > 0) {
          let jobs: ClaimedJob[] = [];
          try {
            jobs = await this.#claim(free);
          } catch (error) {
            logger.error("Could not claim jobs on queue {queue}: {error}", {
              queue: this.name,
              error,
            });
          }
          for (const job of jobs) {
            const running = this.#run(job, handler).finally(() => {
              inFlight.delete(job.id);
              wake();
            });
            inFlight.set(job.id, running);
          }
          // A full batch suggests more are due: claim again without sleeping.
          if (jobs.length > 0 && jobs.length === free) continue;
        }
        if (woken || signal.aborted) continue;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.#pollIntervalMs);
          wakeUp = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wakeUp = undefined;
      }
    } finally {
      local.delete(wake);
      // Graceful drain: the promise settles only after the jobs in hand have finished.
      await Promise.allSettled(inFlight.values());
      clearInterval(renew);
    }
  }

  async close(): Promise<void> {
    await this.#loops.close();
  }
}

function describeError(error: unknown): string {
  if (error instanceof Error)
    return (error.stack ?? `${error.name}: ${error.message}`).slice(0, 4000);
  return String(error).slice(0, 4000);
}
