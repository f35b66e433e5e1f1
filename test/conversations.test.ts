// Direct messages as chat: conversations kept by the worker from direct statuses, read and
// removed through the API, the direct timeline, live `conversation` events, and direct
// statuses staying out of everyone else's sight.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADDRESSED_CHANNEL } from "../src/streaming/channels.ts";
import { createUserWithToken } from "./helpers/auth.ts";
import { expectSchema } from "./helpers/openapi.ts";
import { sleep, until } from "./helpers/queue-backends.ts";
import { createTestContext, type TestContext } from "./helpers/services.ts";

let ctx: TestContext;
type User = Awaited<ReturnType<typeof createUserWithToken>>;
let alice: User;
let bob: User;
let carol: User;

// biome-ignore lint/suspicious/noExplicitAny: JSON bodies of several shapes.
type Json = any;

beforeAll(async () => {
  ctx = await createTestContext({}, { workers: true });
  alice = await createUserWithToken(ctx, { username: "alice" });
  bob = await createUserWithToken(ctx, { username: "bob" });
  carol = await createUserWithToken(ctx, { username: "carol" });
});
afterAll(async () => {
  await ctx?.close();
});

async function call(method: string, path: string, token?: string, body?: unknown) {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body) headers["content-type"] = "application/json";
  const res = await ctx.app.request(path, {
    method,
    headers,
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    body: (text ? JSON.parse(text) : null) as Json,
  };
}

async function dm(from: User, text: string, inReplyToId?: string): Promise<string> {
  const r = await call("POST", "/api/v1/statuses", from.token, {
    status: text,
    visibility: "direct",
    in_reply_to_id: inReplyToId,
  });
  expect(r.status).toBe(200);
  return r.body.id as string;
}

async function conversations(user: User, query = ""): Promise<Json[]> {
  const r = await call("GET", `/api/v1/conversations${query}`, user.token);
  expect(r.status).toBe(200);
  return r.body;
}

/** Waits until `user`'s conversation list satisfies `check`, and returns it. */
async function waitFor(user: User, check: (list: Json[]) => boolean): Promise<Json[]> {
  let list: Json[] = [];
  await until(async () => {
    list = await conversations(user);
    return check(list);
  }, 15_000);
  return list;
}

describe("conversations", () => {
  let first: string;
  let reply: string;
  let conversationId: string;

  it("a direct message starts a conversation for both sides, unread for the recipient", async () => {
    const events: Json[] = [];
    // Streaming events for named accounts share one channel; keep those addressed to bob.
    const unsubscribe = await ctx.services.pubsub.subscribe(ADDRESSED_CHANNEL, (m) => {
      const message = JSON.parse(m);
      if (message.recipients.includes(bob.account.id)) events.push(message);
    });
    first = await dm(alice, "@bob hello there");
    const list = await waitFor(bob, (l) => l.length === 1);
    const [conv] = list;
    expectSchema("Conversation", conv);
    expect(conv.unread).toBe(true);
    expect(conv.accounts.map((a: Json) => a.id)).toEqual([alice.account.id]);
    expect(conv.last_status.id).toBe(first);
    expect(conv.last_status.visibility).toBe("direct");
    conversationId = conv.id;

    const [own] = await waitFor(alice, (l) => l.length === 1);
    expect(own.unread).toBe(false);
    expect(own.accounts.map((a: Json) => a.id)).toEqual([bob.account.id]);

    // The live event: the conversation, rendered for bob, on his direct stream.
    await until(() => events.some((e) => e.event === "conversation"));
    const event = events.find((e) => e.event === "conversation");
    expect(event.streams).toEqual(["direct"]);
    const payload = JSON.parse(event.payload);
    expectSchema("Conversation", payload);
    expect(payload).toMatchObject({ id: conversationId, unread: true });
    await unsubscribe();
  });

  it("a reply joins the same conversation and marks it unread for the other side", async () => {
    reply = await dm(bob, "@alice hi back", first);
    const [own] = await waitFor(alice, (l) => l[0]?.last_status?.id === reply);
    expect(own.unread).toBe(true);
    const [theirs] = await waitFor(bob, (l) => l[0]?.last_status?.id === reply);
    expect(theirs.id).toBe(conversationId);
    // Replying means having read it, as on Mastodon.
    expect(theirs.unread).toBe(false);
  });

  it("read marks it read; nobody else can touch it", async () => {
    const [own] = await conversations(alice);
    expect(own.unread).toBe(true);
    const r = await call("POST", `/api/v1/conversations/${own.id}/read`, alice.token);
    expect(r.status).toBe(200);
    expectSchema("Conversation", r.body);
    expect(r.body.unread).toBe(false);
    expect((await conversations(alice))[0].unread).toBe(false);

    // Even the other participant can't reach alice's copy of the conversation.
    for (const user of [bob, carol]) {
      expect((await call("POST", `/api/v1/conversations/${own.id}/read`, user.token)).status).toBe(
        404,
      );
      expect((await call("DELETE", `/api/v1/conversations/${own.id}`, user.token)).status).toBe(
        404,
      );
    }
    expect(await conversations(carol)).toEqual([]);
    expect((await call("GET", "/api/v1/conversations")).status).toBe(401);
  });

  it("timelines/direct lists the viewer's direct statuses, paged with Link", async () => {
    const r = await call("GET", "/api/v1/timelines/direct?limit=1", bob.token);
    expect(r.status).toBe(200);
    expect(r.body.map((s: Json) => s.id)).toEqual([reply]);
    const link = r.headers.get("link") ?? "";
    expect(link).toContain(`max_id=${reply}`);
    const older = await call("GET", `/api/v1/timelines/direct?max_id=${reply}`, bob.token);
    expect(older.body.map((s: Json) => s.id)).toEqual([first]);
    const none = await call("GET", "/api/v1/timelines/direct", carol.token);
    expect(none.body).toEqual([]);
  });

  it("direct statuses appear nowhere for others", async () => {
    const pub = await call("GET", "/api/v1/timelines/public", carol.token);
    const anon = await call("GET", "/api/v1/timelines/public");
    for (const list of [pub.body, anon.body]) {
      expect(list.map((s: Json) => s.id)).not.toContain(first);
    }
    const profile = await call("GET", `/api/v1/accounts/${alice.account.id}/statuses`, carol.token);
    expect(profile.body.map((s: Json) => s.id)).not.toContain(first);
    expect((await call("GET", `/api/v1/statuses/${first}`, carol.token)).status).toBe(404);
    expect((await call("GET", `/api/v1/statuses/${first}`)).status).toBe(404);
    const search = await call("GET", "/api/v2/search?q=hello%20there&type=statuses", carol.token);
    expect(search.body.statuses ?? []).toEqual([]);
    const home = await call("GET", "/api/v1/timelines/home", carol.token);
    expect(home.body.map((s: Json) => s.id)).not.toContain(first);
  });

  it("delete hides the conversation until a new message arrives", async () => {
    const r = await call("DELETE", `/api/v1/conversations/${conversationId}`, bob.token);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({});
    expect(await conversations(bob)).toEqual([]);
    // Alice's side is untouched.
    expect(await conversations(alice)).toHaveLength(1);

    const again = await dm(alice, "@bob are you there?", reply);
    const [back] = await waitFor(bob, (l) => l.length === 1);
    expect(back.last_status.id).toBe(again);
    expect(back.unread).toBe(true);
  });

  it("deleting the last message falls back to the previous one", async () => {
    const before = (await conversations(bob))[0];
    const last = before.last_status.id;
    expect((await call("DELETE", `/api/v1/statuses/${last}`, alice.token)).status).toBe(200);
    // Until the worker repairs it, the conversation (whose last status is gone) is hidden.
    const [after] = await waitFor(bob, (l) => l.length === 1 && l[0].last_status.id !== last);
    // Bob removed his view before `reply`, but the thread's earlier messages still count.
    expect(after.last_status.id).toBe(reply);
  });

  it("a group message lists every other participant; pages by last status", async () => {
    const group = await dm(carol, "@alice @bob planning the party");
    const [top] = await waitFor(alice, (l) => l[0]?.last_status?.id === group);
    expect(top.accounts.map((a: Json) => a.id).sort()).toEqual(
      [bob.account.id, carol.account.id].sort(),
    );
    expect(await waitFor(alice, (l) => l.length === 2)).toHaveLength(2);

    const r = await call("GET", "/api/v1/conversations?limit=1", alice.token);
    expect(r.body).toHaveLength(1);
    expect(r.body[0].last_status.id).toBe(group);
    const next = /<([^>]+)>; rel="next"/.exec(r.headers.get("link") ?? "")?.[1];
    expect(next).toContain(`max_id=${group}`);
    const page2 = await call("GET", new URL(next!).pathname + new URL(next!).search, alice.token);
    expect(page2.body).toHaveLength(1);
    expect(page2.body[0].last_status.id).not.toBe(group);
  });

  it("a blocked sender starts no conversation", async () => {
    const block = await call("POST", `/api/v1/accounts/${carol.account.id}/block`, bob.token);
    expect(block.status).toBe(200);
    const before = (await conversations(bob)).length;
    await dm(carol, "@bob you can't see this");
    // Alice's conversation list is the witness that the worker has processed it.
    const marker = await dm(alice, "@bob marker");
    await waitFor(bob, (l) => l.some((c) => c.last_status.id === marker));
    // Jobs run concurrently: give the blocked one a moment to have done (nothing).
    await sleep(300);
    const list = await conversations(bob);
    expect(list.length).toBe(before + 1);
    expect(list.every((c) => !c.last_status.content.includes("can't see"))).toBe(true);
  });
});
