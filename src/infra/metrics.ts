// Prometheus metrics. Process-wide metrics (default process/runtime metrics, HTTP latency,
// job outcomes) live in one module-level Registry of our own rather than prom-client's
// global one, so importing this twice or building several apps in one test process never
// registers a name twice. Queue depth belongs to a particular Services, so each metrics
// route gets its own small registry for it and the two are merged at scrape time.
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { QueueName, Queues } from "./queue/types.ts";

export const processRegistry = new Registry();
collectDefaultMetrics({ register: processRegistry });

export const httpRequestDuration = new Histogram({
  name: "http_request_duration_seconds",
  help: "HTTP request latency, by method, matched route pattern and status",
  // Route patterns (never raw paths) keep the label set bounded.
  labelNames: ["method", "route", "status"] as const,
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [processRegistry],
});

export type JobOutcome = "completed" | "retried" | "failed";

export const jobOutcomes = new Counter({
  name: "job_outcomes_total",
  help: "Queue jobs finished, by queue and outcome (completed, retried, failed for good)",
  labelNames: ["queue", "outcome"] as const,
  registers: [processRegistry],
});

/** Called by the queue implementations once per handled message. */
export function recordJobOutcome(queue: QueueName, outcome: JobOutcome): void {
  jobOutcomes.inc({ queue, outcome });
}

/** A slow backend must not stall the scrape: Prometheus would time out and lose everything. */
const DEPTH_TIMEOUT_MS = 2000;

/** A registry holding `queue_depth` for these queues, read from the backend on each scrape. */
export function createQueueRegistry(queues: Queues): Registry {
  const registry = new Registry();
  new Gauge({
    name: "queue_depth",
    help: "Messages waiting in each queue, by state (queued = all waiting; ready/delayed where known)",
    labelNames: ["queue", "state"] as const,
    registers: [registry],
    async collect() {
      // Drop last scrape's values: a queue that fails to answer shows as absent, not stale.
      this.reset();
      await Promise.all(
        Object.values(queues).map(async (queue) => {
          try {
            const depth = await withTimeout(queue.getDepth(), DEPTH_TIMEOUT_MS);
            for (const state of ["queued", "ready", "delayed"] as const) {
              const value = depth[state];
              if (value !== undefined) this.set({ queue: queue.name, state }, value);
            }
          } catch {
            // Reported by /health; here the series simply goes missing for this scrape.
          }
        }),
      );
    },
  });
  return registry;
}

/** The Prometheus text exposition for the process metrics plus these queues' depths. */
export async function renderMetrics(
  queueRegistry: Registry,
): Promise<{ contentType: string; body: string }> {
  const merged = Registry.merge([processRegistry, queueRegistry]);
  return { contentType: merged.contentType, body: await merged.metrics() };
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
