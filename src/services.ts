// Builds the backends for one process: database, key-value store, queues, pub/sub and
// rate-limit counters. Redis-backed when REDIS_URL is set, embedded otherwise; callers
// only ever see the interfaces.
import type { KvStore } from "@fedify/fedify";
import { Redis } from "ioredis";
import type { Config } from "./config.ts";
import { type Db, openDatabase } from "./infra/db/index.ts";
import { migrateToLatest } from "./infra/db/migrate.ts";
import { RedisKvStore } from "./infra/kv/redis-kv-store.ts";
import { SqlKvStore } from "./infra/kv/sql-kv-store.ts";
import { MemoryPubSub } from "./infra/pubsub/memory-pubsub.ts";
import { RedisPubSub } from "./infra/pubsub/redis-pubsub.ts";
import type { PubSub } from "./infra/pubsub/types.ts";
import { createBullMqQueues } from "./infra/queue/bullmq-queue.ts";
import { createSqlQueues } from "./infra/queue/sql-queue.ts";
import { QUEUE_NAMES, type Queues } from "./infra/queue/types.ts";
import { MemoryRateLimitStore } from "./infra/ratelimit/memory-store.ts";
import { RedisRateLimitStore } from "./infra/ratelimit/redis-store.ts";
import type { RateLimitStore } from "./infra/ratelimit/types.ts";

export interface Services {
  config: Config;
  db: Db;
  dbKind: "postgres" | "pglite";
  kv: KvStore;
  queues: Queues;
  pubsub: PubSub;
  rateLimits: RateLimitStore;
  /** Present in Redis mode: a general-purpose connection for health checks and caches. */
  redis?: Redis;
  close(): Promise<void>;
}

export async function createServices(
  config: Config,
  options: { migrate?: boolean } = {},
): Promise<Services> {
  const database = await openDatabase(config);
  if (options.migrate ?? true) await migrateToLatest(database.db);
  const { db } = database;

  const backends = config.redisUrl
    ? redisBackends(config, config.redisUrl)
    : {
        kv: new SqlKvStore(db),
        queues: createSqlQueues(db, { concurrency: config.workerConcurrency }),
        pubsub: new MemoryPubSub() as PubSub,
        rateLimits: new MemoryRateLimitStore() as RateLimitStore,
        redis: undefined,
      };
  const { queues, pubsub, rateLimits, redis } = backends;
  return {
    config,
    db,
    dbKind: database.kind,
    ...backends,
    async close() {
      await Promise.allSettled(QUEUE_NAMES.map((n) => queues[n].close()));
      await pubsub.close();
      await rateLimits.close();
      redis?.disconnect();
      await database.close();
    },
  };
}

/** Key-value store, queues, pub/sub and rate limits on Redis, all under REDIS_PREFIX. */
function redisBackends(config: Config, redisUrl: string) {
  const prefix = config.redisPrefix;
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
  return {
    kv: new RedisKvStore(redis, { prefix: `${prefix}:kv:` }) as KvStore,
    queues: createBullMqQueues(redisUrl, {
      prefix: `${prefix}:bull`,
      concurrency: config.workerConcurrency,
    }),
    pubsub: new RedisPubSub(redisUrl, { prefix: `${prefix}:ps:` }) as PubSub,
    rateLimits: new RedisRateLimitStore(redis, `${prefix}:rl:`) as RateLimitStore,
    redis,
  };
}
