// Liveness/readiness probe for load balancers and orchestrators: 200 when every backend this
// process depends on answers, 503 naming the one that doesn't. Each check is time-bound so a
// hung backend gives a prompt 503 instead of a probe timeout.
import { Hono } from "hono";
import { sql } from "kysely";
import type { AppEnv } from "../http/types.ts";
import { log } from "../infra/logging.ts";
import { QUEUE_NAMES } from "../infra/queue/types.ts";
import type { Services } from "../services.ts";

const logger = log("health");

const CHECK_TIMEOUT_MS = 2000;

type CheckState = "ok" | "error" | "absent";

export function healthRoutes(services: Services): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get("/health", async (c) => {
    const [database, redis, queueDepths] = await Promise.all([
      check("database", async () => {
        await sql`select 1`.execute(services.db);
      }),
      services.redis
        ? check("redis", async () => {
            await services.redis!.ping();
          })
        : ("absent" as const),
      Promise.all(
        QUEUE_NAMES.map(async (name) => {
          try {
            return [name, await withTimeout(services.queues[name].getDepth())] as const;
          } catch (error) {
            logger.warn("Health check of queue {name} failed: {error}", { name, error });
            return [name, undefined] as const;
          }
        }),
      ),
    ]);
    const queueState: CheckState = queueDepths.every(([, d]) => d) ? "ok" : "error";
    const checks = { database, redis, queue: queueState };
    const ok = database !== "error" && redis !== "error" && queueState === "ok";
    c.header("Cache-Control", "no-store");
    return c.json(
      {
        status: ok ? "ok" : "error",
        checks,
        // Depth per queue; null for a queue that did not answer in time.
        queues: Object.fromEntries(queueDepths.map(([name, depth]) => [name, depth ?? null])),
      },
      ok ? 200 : 503,
    );
  });
  return app;
}

async function check(name: string, fn: () => Promise<void>): Promise<CheckState> {
  try {
    await withTimeout(fn());
    return "ok";
  } catch (error) {
    logger.warn("Health check {name} failed: {error}", { name, error });
    return "error";
  }
}

function withTimeout<T>(promise: Promise<T>, ms = CHECK_TIMEOUT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
