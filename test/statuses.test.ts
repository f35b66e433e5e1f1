import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { setInstanceSetting } from "../src/instance/settings.ts";
import { createUserWithToken } from "./helpers/auth.ts";
import type { Json } from "./helpers/oauth.ts";
import { expectSchema } from "./helpers/openapi.ts";
import { createTestContext, type TestContext } from "./helpers/services.ts";

let ctx: TestContext;
let alice: Awaited<ReturnType<typeof createUserWithToken>>;
let bob: Awaited<ReturnType<typeof createUserWithToken>>;

beforeAll(async () => {
  ctx = await createTestContext();
  alice = await createUserWithToken(ctx, { username: "alice" });
  bob = await createUserWithToken(ctx, { username: "bob" });
});
afterAll(async () => {
  await ctx?.close();
});

async function call(
  method: string,
  path: string,
  token: string | null,
  body?: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Json; headers: Headers }> {
  const h: Record<string, string> = { ...headers };
  if (token) h.authorization = `Bearer ${token}`;
  if (body) h["content-type"] = "application/json";
  const res = await ctx.app.request(path, {
    method,
    headers: h,
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
}

const post = (token: string, body: Record<string, unknown>, headers?: Record<string, string>) =>
  call("POST", "/api/v1/statuses", token, body, headers);

describe("POST /api/v1/statuses", () => {
  it("creates a status with rendered content, mentions and tags", async () => {
    const res = await post(alice.token, {
      status: "Hello @bob and @nobody! #Roost https://example.com",
      language: "en",
    });
    expect(res.status).toBe(200);
    expectSchema("Status", res.body);
    const s = res.body;
    const { publicUrl } = ctx.config;
    expect(s.url).toBe(`${publicUrl}/@alice/${s.id}`);
    expect(s.uri).toBe(`${publicUrl}/users/alice/statuses/${s.id}`);
    expect(s.visibility).toBe("public");
    expect(s.language).toBe("en");
    expect(s.account.id).toBe(alice.account.id);
    expect(s.mentions).toEqual([
      { id: bob.account.id, username: "bob", acct: "bob", url: expect.any(String) },
    ]);
    expect(s.tags).toEqual([{ name: "roost", url: `${publicUrl}/tags/roost` }]);
    expect(s.content).toContain('class="u-url mention">@<span>bob</span></a>');
    expect(s.content).toContain("@nobody!");
    expect(s.content).toContain('class="mention hashtag" rel="tag">#<span>Roost</span>');
    expect(s.application).toEqual({ name: "Test app", website: null });
    expect(s.favourited).toBe(false);
    expect(s.pinned).toBe(false);

    const account = await ctx.services.db
      .selectFrom("accounts")
      .select(["statuses_count", "last_status_at"])
      .where("id", "=", alice.account.id)
      .executeTakeFirstOrThrow();
    expect(account.statuses_count).toBeGreaterThanOrEqual(1);
    expect(account.last_status_at).not.toBeNull();
  });

  it("hides the application from others", async () => {
    const created = await post(alice.token, { status: "app check" });
    const seen = await call("GET", `/api/v1/statuses/${created.body.id}`, bob.token);
    expect(seen.body.application).toBeNull();
    const anon = await call("GET", `/api/v1/statuses/${created.body.id}`, null);
    expect(anon.status).toBe(200);
    expectSchema("Status", anon.body);
    expect(anon.body.favourited).toBeUndefined();
  });

  it("refuses blank text, media, polls and bad visibility", async () => {
    const blank = await post(alice.token, { status: "   " });
    expect(blank.status).toBe(422);
    expect(blank.body.error).toBe("Validation failed: Text can't be blank");
    // Media must be one's own uploads (test/media.test.ts covers attaching).
    expect((await post(alice.token, { status: "x", media_ids: ["1"] })).body.error).toBe(
      "Validation failed: Media ids are invalid",
    );
    // A poll needs an end (test/polls.test.ts covers the other checks).
    const poll = await post(alice.token, { status: "x", poll: { options: ["a", "b"] } });
    expect(poll.status).toBe(422);
    expect(poll.body.error).toBe("Validation failed: Poll expires at can't be blank");
    expect((await post(alice.token, { status: "x", visibility: "secret" })).status).toBe(422);
    expect((await post(alice.token, { status: "x", in_reply_to_id: "999" })).status).toBe(404);
    expect((await call("POST", "/api/v1/statuses", null, { status: "x" })).status).toBe(401);
  });

  it("enforces the character limit, counting URLs as 23 and the spoiler", async () => {
    await setInstanceSetting(ctx.services.db, "max_status_chars", 30);
    try {
      const url = `https://example.com/${"a".repeat(100)}`;
      expect((await post(alice.token, { status: `123456 ${url}` })).status).toBe(200);
      const over = await post(alice.token, {
        status: "x".repeat(20),
        spoiler_text: "y".repeat(11),
      });
      expect(over.status).toBe(422);
      expect(over.body.error).toContain("character limit of 30");
    } finally {
      await ctx.services.db.deleteFrom("instance_settings").execute();
    }
  });

  it("uses the default visibility setting and marks spoilers sensitive", async () => {
    await ctx.services.db
      .updateTable("users")
      .set({ settings: JSON.stringify({ default_privacy: "unlisted" }) })
      .where("id", "=", bob.user.id)
      .execute();
    const res = await post(bob.token, { status: "quiet", spoiler_text: "cw" });
    expect(res.body.visibility).toBe("unlisted");
    expect(res.body.sensitive).toBe(true);
  });

  it("returns the same status for a repeated Idempotency-Key", async () => {
    const key = { "Idempotency-Key": "abc-123" };
    const first = await post(alice.token, { status: "once" }, key);
    const second = await post(alice.token, { status: "once" }, key);
    expect(second.status).toBe(200);
    expect(second.body.id).toBe(first.body.id);
    const other = await post(bob.token, { status: "once" }, key);
    expect(other.body.id).not.toBe(first.body.id);
    const third = await post(alice.token, { status: "once" }, { "Idempotency-Key": "other" });
    expect(third.body.id).not.toBe(first.body.id);
  });

  it("threads replies and counts them", async () => {
    const root = await post(alice.token, { status: "root" });
    const reply = await post(bob.token, { status: "@alice reply", in_reply_to_id: root.body.id });
    expect(reply.status).toBe(200);
    expect(reply.body.in_reply_to_id).toBe(root.body.id);
    expect(reply.body.in_reply_to_account_id).toBe(alice.account.id);
    const nested = await post(alice.token, { status: "nested", in_reply_to_id: reply.body.id });
    const again = await call("GET", `/api/v1/statuses/${root.body.id}`, alice.token);
    expect(again.body.replies_count).toBe(1);

    const context = await call("GET", `/api/v1/statuses/${reply.body.id}/context`, null);
    expect(context.status).toBe(200);
    expectSchema("Context", context.body);
    expect(context.body.ancestors.map((s: Json) => s.id)).toEqual([root.body.id]);
    expect(context.body.descendants.map((s: Json) => s.id)).toEqual([nested.body.id]);
    const fromRoot = await call("GET", `/api/v1/statuses/${root.body.id}/context`, null);
    expect(fromRoot.body.descendants.map((s: Json) => s.id)).toEqual([
      reply.body.id,
      nested.body.id,
    ]);
  });

  it("keeps a reply to a followers-only post followers-only", async () => {
    const root = await post(alice.token, { status: "secret", visibility: "private" });
    const reply = await post(alice.token, {
      status: "more",
      visibility: "public",
      in_reply_to_id: root.body.id,
    });
    expect(reply.body.visibility).toBe("private");
  });
});

describe("reading", () => {
  it("GET /api/v1/statuses?id[]= returns the visible ones in order", async () => {
    const a = await post(alice.token, { status: "one" });
    const b = await post(alice.token, { status: "two", visibility: "direct" });
    const res = await call(
      "GET",
      `/api/v1/statuses?id[]=${a.body.id}&id[]=${b.body.id}&id[]=nonsense`,
      bob.token,
    );
    expect(res.status).toBe(200);
    expect(res.body.map((s: Json) => s.id)).toEqual([a.body.id]);
    const mine = await call(
      "GET",
      `/api/v1/statuses?id[]=${b.body.id}&id[]=${a.body.id}`,
      alice.token,
    );
    expect(mine.body.map((s: Json) => s.id)).toEqual([b.body.id, a.body.id]);
  });

  it("answers 404 for unknown and malformed ids", async () => {
    expect((await call("GET", "/api/v1/statuses/123", null)).status).toBe(404);
    expect((await call("GET", "/api/v1/statuses/abc", null)).status).toBe(404);
    expect((await call("GET", "/api/v1/statuses/abc/context", null)).status).toBe(404);
  });
});

describe("edit, history, source, delete", () => {
  it("edits keep history; source and delete return the text", async () => {
    const created = await post(alice.token, { status: "first #one", spoiler_text: "" });
    const id = created.body.id;
    const history0 = await call("GET", `/api/v1/statuses/${id}/history`, null);
    expect(history0.body).toHaveLength(1);

    const edited = await call("PUT", `/api/v1/statuses/${id}`, alice.token, {
      status: "second #two @bob",
      spoiler_text: "cw",
    });
    expect(edited.status).toBe(200);
    expectSchema("Status", edited.body);
    expect(edited.body.edited_at).not.toBeNull();
    expect(edited.body.content).toContain("second");
    expect(edited.body.tags.map((t: Json) => t.name)).toEqual(["two"]);
    expect(edited.body.mentions.map((m: Json) => m.id)).toEqual([bob.account.id]);
    await call("PUT", `/api/v1/statuses/${id}`, alice.token, { status: "third" });

    const history = await call("GET", `/api/v1/statuses/${id}/history`, alice.token);
    expect(history.status).toBe(200);
    expect(history.body).toHaveLength(3);
    for (const v of history.body) expectSchema("StatusEdit", v);
    expect(history.body[0].content).toContain("first");
    expect(history.body[1].spoiler_text).toBe("cw");
    expect(history.body[2].content).toContain("third");

    const source = await call("GET", `/api/v1/statuses/${id}/source`, alice.token);
    expectSchema("StatusSource", source.body);
    expect(source.body).toEqual({ id, text: "third", spoiler_text: "cw" });

    expect((await call("PUT", `/api/v1/statuses/${id}`, bob.token, { status: "x" })).status).toBe(
      403,
    );
    expect((await call("DELETE", `/api/v1/statuses/${id}`, bob.token)).status).toBe(403);

    const deleted = await call("DELETE", `/api/v1/statuses/${id}`, alice.token);
    expect(deleted.status).toBe(200);
    expectSchema("Status", deleted.body);
    expect(deleted.body.text).toBe("third");
    expect(deleted.body.spoiler_text).toBe("cw");
    expect((await call("GET", `/api/v1/statuses/${id}`, alice.token)).status).toBe(404);
    expect((await call("DELETE", `/api/v1/statuses/${id}`, alice.token)).status).toBe(404);
  });
});

describe("actions", () => {
  it("favourites, boosts, bookmarks, mutes and pins", async () => {
    const created = await post(alice.token, { status: "like me" });
    const id = created.body.id;

    const fav = await call("POST", `/api/v1/statuses/${id}/favourite`, bob.token);
    expect(fav.status).toBe(200);
    expectSchema("Status", fav.body);
    expect(fav.body.favourited).toBe(true);
    expect(fav.body.favourites_count).toBe(1);
    const fav2 = await call("POST", `/api/v1/statuses/${id}/favourite`, bob.token);
    expect(fav2.body.favourites_count).toBe(1);
    const favBy = await call("GET", `/api/v1/statuses/${id}/favourited_by`, null);
    expect(favBy.body.map((a: Json) => a.id)).toEqual([bob.account.id]);
    expect(favBy.headers.get("link")).toContain('rel="next"');

    const boost = await call("POST", `/api/v1/statuses/${id}/reblog`, bob.token, {
      visibility: "unlisted",
    });
    expect(boost.status).toBe(200);
    expectSchema("Status", boost.body);
    expect(boost.body.visibility).toBe("unlisted");
    expect(boost.body.reblog.id).toBe(id);
    expect(boost.body.reblog.reblogged).toBe(true);
    expect(boost.body.reblog.reblogs_count).toBe(1);
    const again = await call("POST", `/api/v1/statuses/${id}/reblog`, bob.token);
    expect(again.body.id).toBe(boost.body.id);
    const rebBy = await call("GET", `/api/v1/statuses/${id}/reblogged_by`, alice.token);
    expect(rebBy.body.map((a: Json) => a.id)).toEqual([bob.account.id]);
    // Favouriting the boost favourites the original.
    const viaBoost = await call("POST", `/api/v1/statuses/${boost.body.id}/bookmark`, alice.token);
    expect(viaBoost.body.id).toBe(id);
    expect(viaBoost.body.bookmarked).toBe(true);

    const unboost = await call("POST", `/api/v1/statuses/${id}/unreblog`, bob.token);
    expect(unboost.body.reblogged).toBe(false);
    expect(unboost.body.reblogs_count).toBe(0);
    expect((await call("GET", `/api/v1/statuses/${boost.body.id}`, bob.token)).status).toBe(404);

    const unfav = await call("POST", `/api/v1/statuses/${id}/unfavourite`, bob.token);
    expect(unfav.body.favourited).toBe(false);
    expect(unfav.body.favourites_count).toBe(0);

    const unbookmark = await call("POST", `/api/v1/statuses/${id}/unbookmark`, alice.token);
    expect(unbookmark.body.bookmarked).toBe(false);

    const mute = await call("POST", `/api/v1/statuses/${id}/mute`, alice.token);
    expect(mute.body.muted).toBe(true);
    expect((await call("POST", `/api/v1/statuses/${id}/unmute`, alice.token)).body.muted).toBe(
      false,
    );

    const pin = await call("POST", `/api/v1/statuses/${id}/pin`, alice.token);
    expect(pin.body.pinned).toBe(true);
    expect((await call("POST", `/api/v1/statuses/${id}/pin`, bob.token)).status).toBe(422);
    const pinned = await call(
      "GET",
      `/api/v1/accounts/${alice.account.id}/statuses?pinned=true`,
      null,
    );
    expect(pinned.body.map((s: Json) => s.id)).toEqual([id]);
    expect((await call("POST", `/api/v1/statuses/${id}/unpin`, alice.token)).body.pinned).toBe(
      false,
    );
  });

  it("refuses to boost followers-only posts of others and pins past five", async () => {
    const priv = await post(alice.token, { status: "p", visibility: "private" });
    await ctx.services.db
      .insertInto("follows")
      .values({
        id: `${Date.now()}1`,
        account_id: bob.account.id,
        target_account_id: alice.account.id,
        uri: null,
        created_at: new Date(),
      })
      .execute();
    expect((await call("POST", `/api/v1/statuses/${priv.body.id}/reblog`, bob.token)).status).toBe(
      403,
    );
    const own = await call("POST", `/api/v1/statuses/${priv.body.id}/reblog`, alice.token);
    expect(own.status).toBe(200);
    expect(own.body.visibility).toBe("private");
    expect((await call("POST", `/api/v1/statuses/${priv.body.id}/pin`, alice.token)).status).toBe(
      422,
    );

    for (let i = 0; i < 5; i++) {
      const s = await post(bob.token, { status: `pin ${i}`, visibility: "public" });
      expect((await call("POST", `/api/v1/statuses/${s.body.id}/pin`, bob.token)).status).toBe(200);
    }
    const sixth = await post(bob.token, { status: "pin 6", visibility: "public" });
    const res = await call("POST", `/api/v1/statuses/${sixth.body.id}/pin`, bob.token);
    expect(res.status).toBe(422);
  });
});

describe("GET /api/v1/accounts/:id/statuses", () => {
  it("filters and pages with Link headers", async () => {
    const carol = await createUserWithToken(ctx, { username: "carol" });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push((await post(carol.token, { status: `n${i} #tagged` })).body.id);
    const reply = await post(carol.token, { status: "@alice hi", in_reply_to_id: ids[0] });
    const other = await post(alice.token, { status: "other" });
    const replyOther = await post(carol.token, { status: "re", in_reply_to_id: other.body.id });
    const boost = await call("POST", `/api/v1/statuses/${other.body.id}/reblog`, carol.token);

    const url = `/api/v1/accounts/${carol.account.id}/statuses`;
    const all = await call("GET", url, null);
    expect(all.status).toBe(200);
    for (const s of all.body) expectSchema("Status", s);
    expect(all.body.map((s: Json) => s.id)).toEqual([
      boost.body.id,
      replyOther.body.id,
      reply.body.id,
      ...[...ids].reverse(),
    ]);
    const noReplies = await call("GET", `${url}?exclude_replies=true&exclude_reblogs=true`, null);
    // Self-replies stay, as in Mastodon.
    expect(noReplies.body.map((s: Json) => s.id)).toEqual([reply.body.id, ...[...ids].reverse()]);
    const tagged = await call("GET", `${url}?tagged=TAGGED`, null);
    expect(tagged.body).toHaveLength(5);
    expect((await call("GET", `${url}?only_media=true`, null)).body).toEqual([]);

    const page1 = await call("GET", `${url}?limit=3`, null);
    expect(page1.body).toHaveLength(3);
    const link = page1.headers.get("link")!;
    const next = /<([^>]+)>; rel="next"/.exec(link)![1]!;
    const page2 = await call("GET", new URL(next).pathname + new URL(next).search, null);
    expect(page2.body.map((s: Json) => s.id)).toEqual(all.body.slice(3, 6).map((s: Json) => s.id));
    const prev = /<([^>]+)>; rel="prev"/.exec(page2.headers.get("link")!)![1]!;
    const back = await call("GET", new URL(prev).pathname + new URL(prev).search, null);
    expect(back.body.map((s: Json) => s.id)).toEqual(all.body.slice(0, 3).map((s: Json) => s.id));

    expect((await call("GET", "/api/v1/accounts/999/statuses", null)).status).toBe(404);
  });
});
