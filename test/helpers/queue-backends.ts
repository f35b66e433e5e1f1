// Queue backends for the queue tests: the SQL queue on embedded PGlite (always), and in
// service mode the SQL queue on PostgreSQL and the BullMQ queue on Redis. Each backend is
// isolated (fresh DATA_DIR / database / Redis prefix) and can be opened more than once, in
// sequence (a restart) or, on PostgreSQL and Redis, at once (several processes).
import { Redis } from "ioredis";
import type { Kysely } from "kysely";
import { type Db, openDatabase } from "../../src/infra/db/index.ts";
import { migrateToLatest } from "../../src/infra/db/migrate.ts";
import { createBullMqQueues } from "../../src/infra/queue/bullmq-queue.ts";
import { createSqlQueues } from "../../src/infra/queue/sql-queue.ts";
import {
  QUEUE_NAMES,
  type QueueName,
  type Queues,
  type RetryPolicy,
} from "../../src/infra/queue/types.ts";
import { createTestBackend, SERVICE_DATABASE_URL, SERVICE_REDIS_URL } from "./backend.ts";

export type QueueKind = "sql-pglite" | "sql-postgres" | "bullmq";

export const QUEUE_KINDS: readonly { kind: QueueKind; enabled: boolean }[] = [
  { kind: "sql-pglite", enabled: true },
  { kind: "sql-postgres", enabled: SERVICE_DATABASE_URL !== undefined },
  { kind: "bullmq", enabled: SERVICE_REDIS_URL !== undefined },
];

export interface OpenOptions {
  concurrency?: number;
  policies?: Partial<Record<QueueName, RetryPolicy>>;
  /** SQL only. */
  leaseMs?: number;
}

export interface OpenedQueues {
  queues: Queues;
  /** The database, for the SQL kinds. */
  db?: Db;
  close(): Promise<void>;
}

export interface QueueBackend {
  kind: QueueKind;
  /** Opens the queues with their own connections on the backend's shared storage. */
  open(options?: OpenOptions): Promise<OpenedQueues>;
  /** Redis prefix of the BullMQ queues, for inspecting them. */
  bullPrefix: string;
  redisUrl?: string;
  cleanup(): Promise<void>;
}

export async function createQueueBackend(kind: QueueKind): Promise<QueueBackend> {
  const backend = await createTestBackend({ services: kind !== "sql-pglite" });
  const bullPrefix = `${backend.redisPrefix}:bull`;
  const redisUrl = backend.redisUrl;
  const open = async (options: OpenOptions = {}): Promise<OpenedQueues> => {
    const concurrency = options.concurrency ?? 4;
    if (kind === "bullmq") {
      if (!redisUrl) throw new Error("bullmq needs REDIS_URL");
      const queues = createBullMqQueues(redisUrl, {
        prefix: bullPrefix,
        concurrency,
        policies: options.policies,
      });
      return { queues, close: () => closeQueues(queues) };
    }
    const database = await openDatabase({
      databaseUrl: kind === "sql-postgres" ? backend.databaseUrl : undefined,
      dataDir: backend.dataDir,
    });
    // migrateToLatest takes Kysely<unknown>, which a typed Kysely does not satisfy.
    await migrateToLatest(database.db as unknown as Kysely<unknown>);
    const queues = createSqlQueues(database.db, {
      concurrency,
      // Short polls keep the tests quick; in-process enqueues wake listeners anyway.
      pollIntervalMs: 100,
      leaseMs: options.leaseMs,
      policies: options.policies,
    });
    return {
      queues,
      db: database.db,
      async close() {
        await closeQueues(queues);
        await database.close();
      },
    };
  };
  return {
    kind,
    open,
    bullPrefix,
    redisUrl,
    async cleanup() {
      if (kind === "bullmq" && redisUrl) await deleteKeys(redisUrl, `${bullPrefix}:*`);
      await backend.cleanup();
    },
  };
}

async function closeQueues(queues: Queues): Promise<void> {
  await Promise.all(QUEUE_NAMES.map((name) => queues[name].close()));
}

async function deleteKeys(redisUrl: string, pattern: string): Promise<void> {
  const redis = new Redis(redisUrl);
  try {
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", pattern, "COUNT", 500);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
}

/** Waits until `predicate` holds, checking every 20 ms; throws after `timeoutMs`. */
export async function until(
  predicate: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const started = Date.now();
  while (!(await predicate())) {
    if (Date.now() - started > timeoutMs) throw new Error(`Condition not met in ${timeoutMs} ms`);
    await sleep(20);
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
