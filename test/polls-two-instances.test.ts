// A poll between two live Roost processes on loopback (plain http, actors by URL): A's
// poll reaches B as a Question, B's vote reaches A and is counted there, and A's new
// totals (after a local vote too) come back to B as an Update.
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
  tokens: Record<string, string>;
  roost?: RoostProcess;
}

async function prepare(usernames: string[]): Promise<Instance> {
  const backend = await createTestBackend();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // Users are created before the process starts: the embedded database has one owner.
  const config = parseConfig({ SECRET_KEY, PUBLIC_URL: url, LOG_LEVEL: "warning", ...backend.env });
  const services = await createServices(config);
  try {
    const tokens: Record<string, string> = {};
    for (const username of usernames) {
      tokens[username] = (await createUserWithToken({ services, config }, { username })).token;
    }
    return { backend, port, url, tokens };
  } finally {
    await services.close();
  }
}

// biome-ignore lint/suspicious/noExplicitAny: bodies are checked field by field
type Json = any;

async function api(
  instance: Instance,
  user: string,
  path: string,
  init: { method?: string; body?: unknown } = {},
): Promise<{ status: number; body: Json }> {
  const res = await fetch(`${instance.url}${path}`, {
    method: init.method ?? "GET",
    headers: {
      authorization: `Bearer ${instance.tokens[user]}`,
      ...(init.body ? { "content-type": "application/json" } : {}),
    },
    body: init.body ? JSON.stringify(init.body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

let a: Instance;
let b: Instance;

beforeAll(async () => {
  [a, b] = await Promise.all([prepare(["alice", "carol"]), prepare(["bob"])]);
  const start = (i: Instance) =>
    startRoost({
      ...i.backend.env,
      SECRET_KEY,
      PORT: String(i.port),
      PUBLIC_URL: i.url,
      FEDERATION_ALLOW_PRIVATE_ADDRESS: "true",
    });
  [a.roost, b.roost] = await Promise.all([start(a), start(b)]);
}, 180_000);

afterAll(async () => {
  await Promise.all([a?.roost?.stop(), b?.roost?.stop()]);
  await Promise.all([a?.backend.cleanup(), b?.backend.cleanup()]);
});

describe("a poll across two instances", () => {
  it("travels as a Question, takes a remote vote and sends the totals back", async () => {
    // B's bob follows A's alice.
    const q = encodeURIComponent(`${a.url}/users/alice`);
    const found = await api(b, "bob", `/api/v2/search?q=${q}&resolve=true&type=accounts`);
    expect(found.status, JSON.stringify(found.body)).toBe(200);
    const aliceOnB = found.body.accounts[0].id as string;
    await api(b, "bob", `/api/v1/accounts/${aliceOnB}/follow`, { method: "POST" });
    await until(async () => {
      const rel = await api(b, "bob", `/api/v1/accounts/relationships?id[]=${aliceOnB}`);
      return rel.body[0]?.following === true;
    }, 30_000);

    const posted = await api(a, "alice", "/api/v1/statuses", {
      method: "POST",
      body: { status: "Cats or dogs?", poll: { options: ["Cats", "Dogs"], expires_in: 3600 } },
    });
    expect(posted.status, JSON.stringify(posted.body)).toBe(200);
    const pollOnA = posted.body.poll.id as string;

    // The Question reaches B with its poll.
    let onB: Json;
    await until(async () => {
      const res = await api(b, "bob", `/api/v1/accounts/${aliceOnB}/statuses`);
      onB = res.body?.find?.((s: Json) => s.uri === posted.body.uri);
      return onB?.poll != null;
    }, 30_000);
    expect(onB.poll.options.map((o: Json) => o.title)).toEqual(["Cats", "Dogs"]);
    expect(Date.parse(onB.poll.expires_at)).toBe(Date.parse(posted.body.poll.expires_at));

    // Bob votes on B; A counts the vote.
    const vote = await api(b, "bob", `/api/v1/polls/${onB.poll.id}/votes`, {
      method: "POST",
      body: { choices: [1] },
    });
    expect(vote.status, JSON.stringify(vote.body)).toBe(200);
    await until(async () => {
      const poll = await api(a, "alice", `/api/v1/polls/${pollOnA}`);
      return poll.body.votes_count === 1 && poll.body.options[1].votes_count === 1;
    }, 30_000);
    // Counted as a vote, not shown as a reply.
    const context = await api(a, "alice", `/api/v1/statuses/${posted.body.id}/context`);
    expect(context.body.descendants).toEqual([]);

    // Carol votes on A; the debounced Update brings both votes to B.
    const carolVote = await api(a, "carol", `/api/v1/polls/${pollOnA}/votes`, {
      method: "POST",
      body: { choices: [0] },
    });
    expect(carolVote.status).toBe(200);
    await until(async () => {
      const poll = await api(b, "bob", `/api/v1/polls/${onB.poll.id}`);
      return (
        poll.body.votes_count === 2 &&
        poll.body.options[0].votes_count === 1 &&
        poll.body.voters_count === 2
      );
    }, 40_000);
    const mine = await api(b, "bob", `/api/v1/polls/${onB.poll.id}`);
    expect(mine.body.own_votes).toEqual([1]);
  }, 150_000);
});
