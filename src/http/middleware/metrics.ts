// HTTP metrics: a latency histogram per matched route, and the scrape endpoint.
import type { MiddlewareHandler } from "hono";
import { Hono } from "hono";
import { routePath } from "hono/route";
import { createQueueRegistry, httpRequestDuration, renderMetrics } from "../../infra/metrics.ts";
import type { Services } from "../../services.ts";
import type { AppEnv } from "../types.ts";

const KNOWN_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

/**
 * Times every request. The route label is Hono's matched pattern (`/api/v1/statuses/:id`),
 * never the raw path, so ids and usernames cannot blow up the series count. After `next()`
 * Hono's route index points at whatever answered; a request no route matched is labelled
 * with the last middleware pattern it passed (`*`), which is still a bounded set.
 */
export function metricsMiddleware(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const start = performance.now();
    try {
      await next();
    } finally {
      const method = KNOWN_METHODS.has(c.req.method) ? c.req.method : "OTHER";
      httpRequestDuration.observe(
        { method, route: routePath(c) || "unmatched", status: String(c.res.status) },
        (performance.now() - start) / 1000,
      );
    }
  };
}

/**
 * GET /metrics in Prometheus text format. Served to anyone who can reach it, as Mastodon
 * does: it reveals traffic and queue volumes but nothing about users. Admins who mind
 * should block /metrics at the reverse proxy or set METRICS_ENABLED=false.
 */
export function metricsRoute(services: Services): Hono<AppEnv> {
  const queueRegistry = createQueueRegistry(services.queues);
  const app = new Hono<AppEnv>();
  app.get("/metrics", async (c) => {
    const { contentType, body } = await renderMetrics(queueRegistry);
    c.header("Cache-Control", "no-store");
    return c.body(body, 200, { "Content-Type": contentType });
  });
  return app;
}
