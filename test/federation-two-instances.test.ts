// Two live Roost processes on loopback federating over plain http: discovery by actor URL,
// follow with auto-accept, a post reaching the follower's instance, and unfollow.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseConfig } from "../src/config.ts";
import { createServices } from "../src/services.ts";
import { createUserWithToken } from "./helpers/auth.ts";
import { createTestBackend, type TestBackend } from "./helpers/backend.ts";
import { freePort, type RoostProcess, startRoost } from "./helpers/process.ts";
import { until } from "./helpers/queue-backends.ts";

const SECRET_KEY = "test-secret-key-test-secret-key-0123456789";

interface Instance {
  backend: TestBackend;
  port: number;
  url: string;
  token: string;
  accountId: string;
  username: string;
  roost?: RoostProcess;
}

async function prepare(username: string): Promise<Instance> {
  const backend = await createTestBackend();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // Users are created before the process starts: the embedded database has one owner.
  const config = parseConfig({ SECRET_KEY, PUBLIC_URL: url, LOG_LEVEL: "warning", ...backend.env });
  const services = await createServices(config);
  try {
    const { account, token } = await createUserWithToken({ services, config }, { username });
    return { backend, port, url, token, accountId: account.id, username };
  } finally {
    await services.close();
  }
}

async function api<T = Record<string, unknown>>(
  instance: Instance,
  path: string,
  init: { method?: string; body?: unknown } = {},
): Promise<{ status: number; body: T }> {
  const res = await fetch(`${instance.url}${path}`, {
    method: init.method ?? "GET",
    headers: {
      authorization: `Bearer ${instance.token}`,
      ...(init.body ? { "content-type": "application/json" } : {}),
    },
    body: init.body ? JSON.stringify(init.body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T };
}

let a: Instance;
let b: Instance;

beforeAll(async () => {
  [a, b] = await Promise.all([prepare("alice"), prepare("bob")]);
  const start = (i: Instance) =>
    startRoost({
      ...i.backend.env,
      SECRET_KEY,
      PORT: String(i.port),
      PUBLIC_URL: i.url,
      FEDERATION_ALLOW_PRIVATE_ADDRESS: "true",
    });
  [a.roost, b.roost] = await Promise.all([start(a), start(b)]);
}, 60_000);

afterAll(async () => {
  await Promise.all([a?.roost?.stop(), b?.roost?.stop()]);
  await Promise.all([a?.backend.cleanup(), b?.backend.cleanup()]);
});

describe("two instances", () => {
  let bobOnA: string;

  it("A resolves B's actor by URL", async () => {
    const q = encodeURIComponent(`${b.url}/users/bob`);
    const res = await api<{ accounts: { id: string; acct: string }[] }>(
      a,
      `/api/v2/search?q=${q}&resolve=true&type=accounts`,
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.accounts.map((x) => x.acct)).toEqual([`bob@127.0.0.1:${b.port}`]);
    bobOnA = res.body.accounts[0]!.id;
  }, 30_000);

  it("A follows B; B accepts automatically", async () => {
    const res = await api<{ following: boolean; requested: boolean }>(
      a,
      `/api/v1/accounts/${bobOnA}/follow`,
      { method: "POST" },
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    await until(async () => {
      const rel = await api<{ following: boolean }[]>(
        a,
        `/api/v1/accounts/relationships?id[]=${bobOnA}`,
      );
      return rel.body[0]?.following === true;
    }, 30_000);
    const bob = await api<{ followers_count: number }>(b, `/api/v1/accounts/${b.accountId}`);
    expect(bob.body.followers_count).toBe(1);
  }, 40_000);

  it("B's post reaches A", async () => {
    const posted = await api<{ id: string; uri: string }>(b, "/api/v1/statuses", {
      method: "POST",
      body: { status: "Hello from the other side", visibility: "public" },
    });
    expect(posted.status, JSON.stringify(posted.body)).toBe(200);
    await until(async () => {
      const res = await api<{ uri: string; content: string }[]>(
        a,
        `/api/v1/accounts/${bobOnA}/statuses`,
      );
      return res.body?.some?.((s) => s.uri === posted.body.uri) ?? false;
    }, 30_000);
    // Once stored, fan-out puts it in the follower's home timeline.
    await until(async () => {
      const home = await api<{ uri: string }[]>(a, "/api/v1/timelines/home");
      return home.body?.some?.((s) => s.uri === posted.body.uri) ?? false;
    }, 15_000);
  }, 60_000);

  it("A's unfollow reaches B", async () => {
    const res = await api(a, `/api/v1/accounts/${bobOnA}/unfollow`, { method: "POST" });
    expect(res.status).toBe(200);
    await until(async () => {
      const bob = await api<{ followers_count: number }>(b, `/api/v1/accounts/${b.accountId}`);
      return bob.body.followers_count === 0;
    }, 30_000);
  }, 40_000);
});
