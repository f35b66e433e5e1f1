import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { healthRoutes } from "../src/api/health.ts";
import { recordJobOutcome } from "../src/infra/metrics.ts";
import type { JobQueue } from "../src/infra/queue/types.ts";
import { startTracing } from "../src/infra/tracing.ts";
import type { Services } from "../src/services.ts";
import { createTestContext, type TestContext } from "./helpers/services.ts";

let ctx: TestContext;

beforeAll(async () => {
  ctx = await createTestContext();
});

afterAll(async () => {
  await ctx?.close();
});

describe("/health", () => {
  it("reports every backend ok", async () => {
    const res = await ctx.app.request("/health");
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    const body = (await res.json()) as Record<string, Record<string, unknown>>;
    expect(body).toMatchObject({
      status: "ok",
      checks: {
        database: "ok",
        redis: ctx.services.redis ? "ok" : "absent",
        queue: "ok",
      },
    });
    expect(Object.keys(body["queues"]!).sort()).toEqual(["fanout", "inbox", "jobs", "outbox"]);
    expect(body["queues"]!["inbox"]).toMatchObject({ queued: 0 });
  });

  // Fakes stand in for broken backends; the routes only touch db, redis and queues.
  const broken = (patch: Partial<Services>) => healthRoutes({ ...ctx.services, ...patch });

  it("answers 503 naming a failing queue", async () => {
    const failing = {
      ...ctx.services.queues.inbox,
      name: "inbox",
      getDepth: () => Promise.reject(new Error("queue down")),
    } as unknown as JobQueue;
    const app = broken({ queues: { ...ctx.services.queues, inbox: failing } });
    const res = await app.request("/health");
    expect(res.status).toBe(503);
    const body = (await res.json()) as Record<string, Record<string, unknown>>;
    expect(body["status"]).toBe("error");
    expect(body["checks"]).toMatchObject({ database: "ok", queue: "error" });
    expect(body["queues"]!["inbox"]).toBeNull();
  });

  it("answers 503 naming a failing database", async () => {
    const db = {
      getExecutor() {
        throw new Error("database down");
      },
    } as unknown as Services["db"];
    const res = await broken({ db }).request("/health");
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ status: "error", checks: { database: "error" } });
  });

  it("answers 503 when redis is present but does not answer", async () => {
    const redis = {
      ping: () => Promise.reject(new Error("ECONNREFUSED")),
    } as unknown as Services["redis"];
    const res = await broken({ redis }).request("/health");
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ status: "error", checks: { redis: "error" } });
  });

  it("gives up on a hung check after about two seconds", async () => {
    const db = {
      getExecutor: () => ({
        transformQuery: (q: unknown) => q,
        compileQuery: () => ({ sql: "select 1", parameters: [], query: {} }),
        executeQuery: () => new Promise(() => {}),
      }),
    } as unknown as Services["db"];
    const started = Date.now();
    const res = await broken({ db }).request("/health");
    const elapsed = Date.now() - started;
    expect(res.status).toBe(503);
    expect(elapsed).toBeGreaterThanOrEqual(1900);
    expect(elapsed).toBeLessThan(5000);
  });
});

describe("/metrics", () => {
  it("serves Prometheus text with request latency by route pattern and queue depth", async () => {
    await ctx.app.request("/health");
    await ctx.app.request("/api/v1/instance");
    await ctx.app.request("/api/v1/statuses/1234567890123");
    await ctx.app.request("/api/v1/no-such-resource/1234567890124");
    recordJobOutcome("inbox", "completed");
    recordJobOutcome("outbox", "failed");

    const res = await ctx.app.request("/metrics");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/plain");
    const text = await res.text();

    expect(text).toContain("# TYPE http_request_duration_seconds histogram");
    expect(text).toMatch(
      /http_request_duration_seconds_count\{method="GET",route="\/health",status="200"\} [1-9]/,
    );
    expect(text).toMatch(
      /http_request_duration_seconds_count\{method="GET",route="\/api\/v1\/instance",status="\d+"\}/,
    );
    // An unknown id is labelled by its route pattern, an unknown path by the catch-all,
    // never by the raw path.
    expect(text).toMatch(/route="\/api\/v1\/statuses\/:id",status="404"/);
    expect(text).toMatch(/route="\/api\/\*",status="404"/);
    expect(text).not.toContain("1234567890123");
    expect(text).not.toContain("no-such-resource");

    expect(text).toContain("# TYPE queue_depth gauge");
    for (const queue of ["inbox", "outbox", "fanout", "jobs"]) {
      expect(text).toContain(`queue_depth{queue="${queue}",state="queued"} 0`);
    }
    expect(text).toContain('job_outcomes_total{queue="inbox",outcome="completed"} 1');
    expect(text).toContain('job_outcomes_total{queue="outbox",outcome="failed"} 1');
    // Default process metrics are there too.
    expect(text).toContain("process_cpu_user_seconds_total");
  });

  it("can be built for several apps in one process", async () => {
    const other = await createTestContext();
    try {
      const res = await other.app.request("/metrics");
      expect(res.status).toBe(200);
      expect(await res.text()).toContain("queue_depth");
    } finally {
      await other.close();
    }
  });

  it("is absent with METRICS_ENABLED=false", async () => {
    const off = await createTestContext({ METRICS_ENABLED: "false" });
    try {
      expect((await off.app.request("/metrics")).status).toBe(404);
    } finally {
      await off.close();
    }
  });
});

describe("tracing", () => {
  it("stays off without an OTLP endpoint", async () => {
    expect(
      await startTracing({ otel: { endpoint: undefined, serviceName: "roost" } }),
    ).toBeUndefined();
  });

  it("starts and shuts down with one", async () => {
    // The exporter takes its address from OTEL_EXPORTER_OTLP_* itself (unset here).
    const tracing = await startTracing({
      otel: { endpoint: "http://127.0.0.1:4318/", serviceName: "roost-test" },
    });
    expect(tracing).toBeDefined();
    const { trace } = await import("@opentelemetry/api");
    const span = trace.getTracer("test").startSpan("probe");
    // A real provider hands out recording spans; the no-op default would not.
    expect(span.isRecording()).toBe(true);
    // Left unended: an ended span would be flushed at shutdown, and with no collector
    // listening the exporter's retries take seconds.
    await expect(tracing!.shutdown()).resolves.toBeUndefined();
  });
});
