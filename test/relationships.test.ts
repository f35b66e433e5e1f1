// Follows, follow requests, blocks, mutes, notes and endorsements through the HTTP API,
// checked through Relationship entities, counters and the domain events emitted.
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { emitEvent } from "../src/events/emit.ts";
import { newId } from "../src/infra/ids.ts";
import { createFollow } from "../src/relationships/follow-service.ts";
import { createUserWithToken } from "./helpers/auth.ts";
import { expectSchema } from "./helpers/openapi.ts";
import { createTestContext, type TestContext } from "./helpers/services.ts";

// Record the events services emit, still enqueueing them as usual.
vi.mock("../src/events/emit.ts", async (importOriginal) => {
  const original = await importOriginal<typeof import("../src/events/emit.ts")>();
  return { ...original, emitEvent: vi.fn(original.emitEvent) };
});
const emitted = vi.mocked(emitEvent);

let ctx: TestContext;

beforeAll(async () => {
  ctx = await createTestContext();
}, 60_000);

afterAll(async () => {
  await ctx?.close();
});

beforeEach(() => {
  emitted.mockClear();
});

function events() {
  return emitted.mock.calls.map(([, name, payload]) => ({ name, payload }));
}

function api(path: string, init: { method?: string; token?: string; body?: unknown } = {}) {
  const headers: Record<string, string> = {};
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  let body: string | undefined;
  if (init.body !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(init.body);
  }
  return ctx.app.request(`/api${path}`, { method: init.method ?? "GET", headers, body });
}

async function act(token: string, id: string, action: string, body?: unknown, status = 200) {
  const res = await api(`/v1/accounts/${id}/${action}`, { method: "POST", token, body });
  expect(res.status, `${action} ${id}`).toBe(status);
  const json = await res.json();
  if (status === 200) expectSchema("Relationship", json);
  return json;
}

async function counts(id: string) {
  return await ctx.services.db
    .selectFrom("accounts")
    .select(["followers_count", "following_count"])
    .where("id", "=", id)
    .executeTakeFirstOrThrow();
}

async function relationship(token: string, id: string) {
  const res = await api(`/v1/accounts/relationships?id[]=${id}`, { token });
  expect(res.status).toBe(200);
  const [rel] = await res.json();
  expectSchema("Relationship", rel);
  return rel;
}

async function remoteAccount(username: string) {
  return await ctx.services.db
    .insertInto("accounts")
    .values({
      id: newId(),
      username,
      domain: "remote.example",
      uri: `https://remote.example/users/${username}`,
      inbox_url: `https://remote.example/users/${username}/inbox`,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

describe("follow and unfollow", () => {
  it("follows an unlocked local account directly and keeps counters", async () => {
    const alice = await createUserWithToken(ctx);
    const bob = await createUserWithToken(ctx);
    const rel = await act(alice.token, bob.account.id, "follow");
    expect(rel).toMatchObject({
      id: bob.account.id,
      following: true,
      requested: false,
      showing_reblogs: true,
      notifying: false,
      followed_by: false,
    });
    expect(await counts(alice.account.id)).toMatchObject({ following_count: 1 });
    expect(await counts(bob.account.id)).toMatchObject({ followers_count: 1 });
    expect(events()).toEqual([
      {
        name: "follow.created",
        payload: expect.objectContaining({
          accountId: alice.account.id,
          targetAccountId: bob.account.id,
        }),
      },
    ]);
    expect((await relationship(bob.token, alice.account.id)).followed_by).toBe(true);

    // Following again changes nothing but the options, and emits nothing.
    emitted.mockClear();
    const updated = await act(alice.token, bob.account.id, "follow", {
      reblogs: false,
      notify: true,
      languages: ["en", "de"],
    });
    expect(updated).toMatchObject({
      following: true,
      showing_reblogs: false,
      notifying: true,
      languages: ["en", "de"],
    });
    expect(await counts(bob.account.id)).toMatchObject({ followers_count: 1 });
    expect(events()).toEqual([]);

    const gone = await act(alice.token, bob.account.id, "unfollow");
    expect(gone.following).toBe(false);
    expect(await counts(alice.account.id)).toMatchObject({ following_count: 0 });
    expect(await counts(bob.account.id)).toMatchObject({ followers_count: 0 });
    expect(events().map((e) => e.name)).toEqual(["follow.removed"]);
    // Unfollowing again is not an error.
    await act(alice.token, bob.account.id, "unfollow");
  });

  it("refuses self, unknown and bad input", async () => {
    const alice = await createUserWithToken(ctx);
    const bob = await createUserWithToken(ctx);
    await act(alice.token, alice.account.id, "follow", undefined, 404);
    await act(alice.token, "12345", "follow", undefined, 404);
    await act(alice.token, "nope", "follow", undefined, 404);
    await act(alice.token, bob.account.id, "follow", { languages: ["not a language"] }, 422);
    await act(alice.token, bob.account.id, "follow", { reblogs: { x: 1 } }, 422);
  });

  it("sends every follow of a remote account as a pending request", async () => {
    const alice = await createUserWithToken(ctx);
    const remote = await remoteAccount("faraway");
    const rel = await act(alice.token, remote.id, "follow", { notify: true });
    expect(rel).toMatchObject({ following: false, requested: true, notifying: true });
    expect(events().map((e) => e.name)).toEqual(["follow_request.created"]);
    const request = await ctx.services.db
      .selectFrom("follow_requests")
      .selectAll()
      .where("account_id", "=", alice.account.id)
      .executeTakeFirstOrThrow();
    expect(request.uri).toMatch(/^https?:\/\//);

    // Withdrawing the request is an unfollow carrying the request's IRI (for the Undo).
    emitted.mockClear();
    expect((await act(alice.token, remote.id, "unfollow")).requested).toBe(false);
    expect(events()).toEqual([
      {
        name: "follow.removed",
        payload: { accountId: alice.account.id, targetAccountId: remote.id, uri: request.uri },
      },
    ]);
  });

  it("lets remote followers follow unlocked local accounts directly (federation entry point)", async () => {
    const bob = await createUserWithToken(ctx);
    const remote = await remoteAccount("inbound");
    const result = await createFollow(ctx.services, remote.id, bob.account.id, {
      uri: "https://remote.example/follows/1",
    });
    expect(result).toMatchObject({ state: "following", created: true });
    const row = await ctx.services.db
      .selectFrom("follows")
      .select("uri")
      .where("id", "=", result.id)
      .executeTakeFirstOrThrow();
    expect(row.uri).toBe("https://remote.example/follows/1");
  });

  it("removes a follower with remove_from_followers", async () => {
    const alice = await createUserWithToken(ctx);
    const bob = await createUserWithToken(ctx);
    await act(bob.token, alice.account.id, "follow");
    emitted.mockClear();
    const rel = await act(alice.token, bob.account.id, "remove_from_followers");
    expect(rel.followed_by).toBe(false);
    expect(await counts(alice.account.id)).toMatchObject({ followers_count: 0 });
    expect(events().map((e) => e.name)).toEqual(["follow.removed", "follow_request.rejected"]);
  });
});

describe("locked accounts and follow requests", () => {
  it("requests, lists, authorizes and rejects", async () => {
    const owner = await createUserWithToken(ctx);
    await api("/v1/accounts/update_credentials", {
      method: "PATCH",
      token: owner.token,
      body: { locked: true },
    });
    const fans = [await createUserWithToken(ctx), await createUserWithToken(ctx)];
    const fan3 = await createUserWithToken(ctx);
    for (const fan of [...fans, fan3]) {
      const rel = await act(fan.token, owner.account.id, "follow");
      expect(rel).toMatchObject({ following: false, requested: true });
    }
    expect((await relationship(owner.token, fans[0]!.account.id)).requested_by).toBe(true);

    const list = await api("/v1/follow_requests?limit=2", { token: owner.token });
    expect(list.status).toBe(200);
    const accounts = await list.json();
    for (const a of accounts) expectSchema("Account", a);
    expect(accounts.map((a: { id: string }) => a.id)).toEqual([
      fan3.account.id,
      fans[1]!.account.id,
    ]);
    const next = list.headers.get("link")!.match(/<([^>]+)>; rel="next"/)![1]!;
    const rest = await (
      await api(`/v1/follow_requests${new URL(next).search}`, { token: owner.token })
    ).json();
    expect(rest.map((a: { id: string }) => a.id)).toEqual([fans[0]!.account.id]);

    emitted.mockClear();
    const authorize = await api(`/v1/follow_requests/${fans[0]!.account.id}/authorize`, {
      method: "POST",
      token: owner.token,
    });
    expect(authorize.status).toBe(200);
    const rel = await authorize.json();
    expectSchema("Relationship", rel);
    expect(rel).toMatchObject({ followed_by: true, requested_by: false });
    expect(events().map((e) => e.name)).toEqual(["follow_request.authorized", "follow.created"]);
    expect((await relationship(fans[0]!.token, owner.account.id)).following).toBe(true);
    expect(await counts(owner.account.id)).toMatchObject({ followers_count: 1 });

    emitted.mockClear();
    const reject = await api(`/v1/follow_requests/${fans[1]!.account.id}/reject`, {
      method: "POST",
      token: owner.token,
    });
    expect(reject.status).toBe(200);
    expect((await reject.json()).requested_by).toBe(false);
    expect(events().map((e) => e.name)).toEqual(["follow_request.rejected"]);
    expect((await relationship(fans[1]!.token, owner.account.id)).requested).toBe(false);

    // No request from this account (any more): 404.
    const again = await api(`/v1/follow_requests/${fans[1]!.account.id}/reject`, {
      method: "POST",
      token: owner.token,
    });
    expect(again.status).toBe(404);
  });

  it("needs follow scopes", async () => {
    const { token } = await createUserWithToken(ctx, { scopes: ["read:accounts"] });
    expect((await api("/v1/follow_requests", { token })).status).toBe(403);
    const follower = await createUserWithToken(ctx, { scopes: ["follow"] });
    expect((await api("/v1/follow_requests", { token: follower.token })).status).toBe(200);
  });
});

describe("blocks and mutes", () => {
  it("blocking severs follows both ways and forbids following", async () => {
    const alice = await createUserWithToken(ctx);
    const bob = await createUserWithToken(ctx);
    await act(alice.token, bob.account.id, "follow");
    await act(bob.token, alice.account.id, "follow");
    emitted.mockClear();
    const rel = await act(alice.token, bob.account.id, "block");
    expect(rel).toMatchObject({ blocking: true, following: false, followed_by: false });
    expect(await counts(alice.account.id)).toEqual({ followers_count: 0, following_count: 0 });
    expect(await counts(bob.account.id)).toEqual({ followers_count: 0, following_count: 0 });
    expect(events().map((e) => e.name)).toEqual([
      "follow.removed",
      "follow.removed",
      "follow_request.rejected",
      "block.created",
    ]);
    expect((await relationship(bob.token, alice.account.id)).blocked_by).toBe(true);
    await act(bob.token, alice.account.id, "follow", undefined, 403);
    await act(alice.token, bob.account.id, "follow", undefined, 403);

    emitted.mockClear();
    expect((await act(alice.token, bob.account.id, "unblock")).blocking).toBe(false);
    expect(events().map((e) => e.name)).toEqual(["block.removed"]);
    await act(bob.token, alice.account.id, "follow");
  });

  it("mutes with notifications and a duration, and unmutes", async () => {
    const alice = await createUserWithToken(ctx);
    const bob = await createUserWithToken(ctx);
    const forever = await act(alice.token, bob.account.id, "mute");
    expect(forever).toMatchObject({ muting: true, muting_notifications: true });
    expect(forever.muting_expires_at).toBeNull();

    const before = Date.now();
    const timed = await act(alice.token, bob.account.id, "mute", {
      notifications: false,
      duration: 3600,
    });
    expect(timed).toMatchObject({ muting: true, muting_notifications: false });
    const expires = Date.parse(timed.muting_expires_at);
    expect(expires).toBeGreaterThanOrEqual(before + 3_599_000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 3_601_000);

    await act(alice.token, bob.account.id, "mute", { duration: -5 }, 422);
    await act(alice.token, bob.account.id, "mute", { duration: "soon" }, 422);
    expect((await act(alice.token, bob.account.id, "unmute")).muting).toBe(false);

    // An expired mute no longer counts.
    await ctx.services.db
      .insertInto("mutes")
      .values({
        id: newId(),
        account_id: alice.account.id,
        target_account_id: bob.account.id,
        expires_at: new Date(Date.now() - 1000),
      })
      .execute();
    expect((await relationship(alice.token, bob.account.id)).muting).toBe(false);
  });

  it("checks block and mute scopes separately", async () => {
    const bob = await createUserWithToken(ctx);
    const { token } = await createUserWithToken(ctx, { scopes: ["write:follows"] });
    await act(token, bob.account.id, "block", undefined, 403);
    await act(token, bob.account.id, "mute", undefined, 403);
    const reader = await createUserWithToken(ctx, { scopes: ["read"] });
    await act(reader.token, bob.account.id, "follow", undefined, 403);
  });
});

describe("notes, endorsements and batched reads", () => {
  it("keeps a private note", async () => {
    const alice = await createUserWithToken(ctx);
    const bob = await createUserWithToken(ctx);
    expect(
      (await act(alice.token, bob.account.id, "note", { comment: "met at a conf" })).note,
    ).toBe("met at a conf");
    expect((await relationship(bob.token, alice.account.id)).note).toBe("");
    expect((await act(alice.token, bob.account.id, "note", { comment: "" })).note).toBe("");
    await act(alice.token, bob.account.id, "note", { comment: "x".repeat(2001) }, 422);
  });

  it("endorses only followed accounts", async () => {
    const alice = await createUserWithToken(ctx);
    const bob = await createUserWithToken(ctx);
    await act(alice.token, bob.account.id, "endorse", undefined, 422);
    await act(alice.token, bob.account.id, "follow");
    expect((await act(alice.token, bob.account.id, "endorse")).endorsed).toBe(true);
    expect((await act(alice.token, bob.account.id, "unendorse")).endorsed).toBe(false);
  });

  it("answers relationships for many ids in request order, skipping unknown ones", async () => {
    const alice = await createUserWithToken(ctx);
    const bob = await createUserWithToken(ctx);
    const carol = await createUserWithToken(ctx);
    await act(alice.token, carol.account.id, "follow");
    await ctx.services.db
      .updateTable("accounts")
      .set({ suspended_at: new Date() })
      .where("id", "=", bob.account.id)
      .execute();
    const query = `id[]=${carol.account.id}&id[]=${bob.account.id}&id[]=999&id[]=${carol.account.id}`;
    const res = await api(`/v1/accounts/relationships?${query}`, { token: alice.token });
    const rels = await res.json();
    expect(rels.map((r: { id: string }) => r.id)).toEqual([carol.account.id]);
    expect(rels[0].following).toBe(true);
    const all = await (
      await api(`/v1/accounts/relationships?${query}&with_suspended=true`, { token: alice.token })
    ).json();
    expect(all.map((r: { id: string }) => r.id)).toEqual([carol.account.id, bob.account.id]);
    const single = await api(`/v1/accounts/relationships?id=${carol.account.id}`, {
      token: alice.token,
    });
    expect(await single.json()).toHaveLength(1);
    expect((await api(`/v1/accounts/relationships?id[]=1`)).status).toBe(401);
  });

  it("lists familiar followers", async () => {
    const me = await createUserWithToken(ctx);
    const friend = await createUserWithToken(ctx);
    const hidden = await createUserWithToken(ctx);
    const target = await createUserWithToken(ctx);
    const lonely = await createUserWithToken(ctx);
    await act(me.token, friend.account.id, "follow");
    await act(me.token, hidden.account.id, "follow");
    await act(friend.token, target.account.id, "follow");
    await act(hidden.token, target.account.id, "follow");
    await api("/v1/accounts/update_credentials", {
      method: "PATCH",
      token: hidden.token,
      body: { hide_collections: true },
    });
    const res = await api(
      `/v1/accounts/familiar_followers?id[]=${target.account.id}&id[]=${lonely.account.id}`,
      { token: me.token },
    );
    expect(res.status).toBe(200);
    const body = await res.json();
    for (const entry of body) expectSchema("FamiliarFollowers", entry);
    expect(body).toEqual([
      { id: target.account.id, accounts: [expect.objectContaining({ id: friend.account.id })] },
      { id: lonely.account.id, accounts: [] },
    ]);
  });
});
