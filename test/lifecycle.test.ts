// The server as an admin runs it: start, answer, stop on SIGTERM, restart with nothing lost;
// in service mode also split into web and worker processes sharing PostgreSQL and Redis.
import { existsSync, readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { parseConfig } from "../src/config.ts";
import { createServices } from "../src/services.ts";
import {
  createTestBackend,
  SERVICE_DATABASE_URL,
  SERVICE_REDIS_URL,
  type TestBackend,
} from "./helpers/backend.ts";
import { type RoostProcess, startRoost } from "./helpers/process.ts";

// Each step starts real processes (PGlite start-up, migrations); on a loaded 2-core machine
// that takes a while, so these tests get generous limits.
const running: RoostProcess[] = [];
const backends: TestBackend[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop("SIGKILL")));
  await Promise.all(backends.splice(0).map((b) => b.cleanup()));
});

async function backend(): Promise<TestBackend> {
  const b = await createTestBackend();
  backends.push(b);
  return b;
}

async function start(env: Record<string, string>): Promise<RoostProcess> {
  const roost = await startRoost({ LOG_LEVEL: "info", ...env });
  running.push(roost);
  return roost;
}

/** Opens the same backend from the test process (only while no server holds PGlite). */
async function withServices<T>(
  env: Record<string, string>,
  fn: (services: Awaited<ReturnType<typeof createServices>>) => Promise<T>,
): Promise<T> {
  const services = await createServices(parseConfig({ LOG_LEVEL: "error", ...env }));
  try {
    return await fn(services);
  } finally {
    await services.close();
  }
}

async function waitFor(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("a single process (NODE_ROLE=all)", () => {
  it("starts, answers, drains on SIGTERM and keeps its data across a restart", async () => {
    const b = await backend();
    const first = await start(b.env);
    const health = await fetch(`${first.url}/health`);
    expect(health.status).toBe(200);
    expect((await health.json()).status).toBe("ok");
    const instance = await fetch(`${first.url}/api/v2/instance`);
    expect(instance.status).toBe(200);
    expect((await instance.json()).domain).toBe(new URL(first.url).host);
    expect(await first.stop("SIGTERM")).toBe(0);
    expect(first.output()).toContain("Stopped");

    // While it is down: change a setting and queue a job, as an admin CLI or a crash would leave them.
    await withServices(b.env, async (services) => {
      await services.db
        .insertInto("instance_settings")
        .values({ key: "title", value: JSON.stringify("Survivor") })
        .execute();
      await services.queues.jobs.enqueue({ type: "noop", marker: "queued-while-down" });
      expect((await services.queues.jobs.getDepth()).queued).toBe(1);
    });

    const second = await start(b.env);
    const body = await (await fetch(`${second.url}/api/v1/instance`)).json();
    expect(body.title).toBe("Survivor");
    // The worker in this process picks the job up.
    await waitFor(async () => {
      const h = await (await fetch(`${second.url}/health`)).json();
      return h.queues?.jobs?.queued === 0;
    });
    expect(await second.stop("SIGTERM")).toBe(0);
    await withServices(b.env, async (services) => {
      expect((await services.queues.jobs.getDepth()).queued).toBe(0);
    });
  }, 180_000);

  it("reuses the secret key it generated in DATA_DIR", async () => {
    const b = await backend();
    const { readFileSync } = await import("node:fs");
    const first = await start(b.env);
    await first.stop();
    const key = readFileSync(`${b.dataDir}/secret_key`, "utf8");
    expect(key.length).toBeGreaterThanOrEqual(32);
    const second = await start(b.env);
    await second.stop();
    expect(readFileSync(`${b.dataDir}/secret_key`, "utf8")).toBe(key);
  }, 180_000);
});

describe.skipIf(!SERVICE_DATABASE_URL || !SERVICE_REDIS_URL)("web and worker processes", () => {
  it("splits HTTP and queues across processes sharing PostgreSQL and Redis", async () => {
    const b = await backend();
    const web = await start({ ...b.env, NODE_ROLE: "web" });
    const web2 = await start({ ...b.env, NODE_ROLE: "web" });
    for (const w of [web, web2]) {
      expect((await fetch(`${w.url}/health`)).status).toBe(200);
    }

    // With only web processes up, a queued job waits.
    await withServices(b.env, (s) => s.queues.jobs.enqueue({ type: "noop" }));
    await new Promise((r) => setTimeout(r, 1500));
    const waiting = await (await fetch(`${web.url}/health`)).json();
    expect(waiting.queues.jobs.queued).toBe(1);

    const worker = await start({ ...b.env, NODE_ROLE: "worker" });
    await waitFor(async () => {
      const h = await (await fetch(`${web2.url}/health`)).json();
      return h.queues.jobs.queued === 0;
    });
    // A worker serves no HTTP.
    await expect(fetch(worker.url)).rejects.toThrow();
    for (const p of [web, web2, worker]) expect(await p.stop("SIGTERM")).toBe(0);
  }, 180_000);
});

describe.skipIf(!SERVICE_DATABASE_URL || !SERVICE_REDIS_URL)("WEB_CONCURRENCY", () => {
  it("serves one port from several processes, and stops them all on SIGTERM", async () => {
    const b = await backend();
    const roost = await start({ ...b.env, WEB_CONCURRENCY: "2" });
    // Both children come up (each logs its own "ready").
    await waitFor(async () => (roost.output().match(/ready at/g) ?? []).length === 2, 60_000);
    const pid = roost.proc.pid!;
    const children = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(" ");
    expect(children).toHaveLength(2);
    for (let i = 0; i < 10; i++) {
      expect((await fetch(`${roost.url}/api/v2/instance`)).status).toBe(200);
    }
    expect(await roost.stop("SIGTERM")).toBe(0);
    // No child is left behind.
    for (const child of children) expect(existsSync(`/proc/${child}`)).toBe(false);
  }, 180_000);
});

describe("WEB_CONCURRENCY's requirements", () => {
  it("is refused without PostgreSQL or without Redis", () => {
    const base = { WEB_CONCURRENCY: "2", SECRET_KEY: "x".repeat(32), PUBLIC_URL: "http://a.test" };
    expect(() => parseConfig(base)).toThrow(/WEB_CONCURRENCY/);
    expect(() => parseConfig({ ...base, DATABASE_URL: "postgres://h/db" })).toThrow(
      /WEB_CONCURRENCY/,
    );
    expect(() =>
      parseConfig({ ...base, DATABASE_URL: "postgres://h/db", REDIS_URL: "redis://h" }),
    ).not.toThrow();
  });
});
