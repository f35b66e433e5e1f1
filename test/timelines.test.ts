// Home, public and tag timelines read from rows inserted directly (fast), with paging
// checked end to end through the Link headers.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AccountRow } from "../src/auth/middleware.ts";
import type { Visibility } from "../src/infra/db/schema.ts";
import { newId } from "../src/infra/ids.ts";
import { createUserWithToken } from "./helpers/auth.ts";
import { expectSchema } from "./helpers/openapi.ts";
import { createTestContext, type TestContext } from "./helpers/services.ts";

let ctx: TestContext;
let clock = Date.now() - 10_000_000;

beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => {
  await ctx?.close();
});

async function post(
  author: AccountRow,
  options: { visibility?: Visibility; local?: boolean; tags?: string[]; reblogOf?: string } = {},
) {
  clock += 1000;
  const id = newId(clock);
  const row = await ctx.services.db
    .insertInto("statuses")
    .values({
      id,
      uri: `https://example.test/statuses/${id}`,
      account_id: author.id,
      local: options.local ?? author.domain === null,
      visibility: options.visibility ?? "public",
      reblog_of_id: options.reblogOf ?? null,
      content: `<p>post ${id}</p>`,
      text: `post ${id}`,
      created_at: new Date(clock),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  for (const name of options.tags ?? []) {
    const db = ctx.services.db;
    const existing = await db
      .selectFrom("tags")
      .select("id")
      .where((eb) => eb(eb.fn("lower", ["name"]), "=", name.toLowerCase()))
      .executeTakeFirst();
    const tagId = existing?.id ?? newId();
    if (!existing)
      await db.insertInto("tags").values({ id: tagId, name, display_name: name }).execute();
    await ctx.services.db
      .insertInto("status_tags")
      .values({ status_id: id, tag_id: tagId })
      .execute();
  }
  return row;
}

async function feed(accountId: string, statusIds: string[]) {
  await ctx.services.db
    .insertInto("home_feed")
    .values(
      statusIds.map((status_id) => ({ account_id: accountId, status_id, reblog_of_id: null })),
    )
    .execute();
}

async function follow(follower: AccountRow, target: AccountRow) {
  await ctx.services.db
    .insertInto("follows")
    .values({
      id: newId(),
      account_id: follower.id,
      target_account_id: target.id,
      created_at: new Date(),
    })
    .execute();
}

async function mute(muter: AccountRow, target: AccountRow, expiresAt: Date | null = null) {
  await ctx.services.db
    .insertInto("mutes")
    .values({
      id: newId(),
      account_id: muter.id,
      target_account_id: target.id,
      expires_at: expiresAt,
    })
    .execute();
}

async function remoteAccount(username: string): Promise<AccountRow> {
  const id = newId();
  return ctx.services.db
    .insertInto("accounts")
    .values({
      id,
      username,
      domain: "remote.test",
      uri: `https://remote.test/users/${username}`,
      url: `https://remote.test/@${username}`,
      fields: "[]",
      also_known_as: "[]",
      discoverable: true,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

async function get(path: string, token?: string) {
  const res = await ctx.app.request(path, {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
  return { res, body: (await res.json()) as { id: string }[] & Record<string, unknown> };
}

function link(res: Response, rel: "next" | "prev"): string | undefined {
  const header = res.headers.get("link") ?? "";
  const match = header.match(new RegExp(`<([^>]+)>; rel="${rel}"`));
  if (!match) return undefined;
  const url = new URL(match[1]!);
  return `${url.pathname}${url.search}`;
}

describe("home timeline", () => {
  it("pages 120 posts through Link headers both ways without repeats or gaps", async () => {
    const reader = await createUserWithToken(ctx);
    const author = await createUserWithToken(ctx);
    await follow(reader.account, author.account);
    const ids: string[] = [];
    for (let i = 0; i < 120; i++) ids.push((await post(author.account)).id);
    await feed(reader.account.id, ids);
    const newestFirst = [...ids].reverse();

    // Down: next until exhausted.
    const seen: string[] = [];
    let path: string | undefined = "/api/v1/timelines/home?limit=20";
    let pages = 0;
    while (path) {
      const { res, body } = await get(path, reader.token);
      expect(res.status).toBe(200);
      if (pages === 0) for (const s of body) expectSchema("Status", s);
      if (body.length === 0) break;
      seen.push(...body.map((s) => s.id));
      path = link(res, "next");
      pages++;
    }
    expect(seen).toEqual(newestFirst);
    expect(pages).toBe(6);

    // Up: from the oldest, prev (min_id) until exhausted.
    const up: string[] = [];
    path = `/api/v1/timelines/home?limit=15&min_id=0`;
    while (path) {
      const { res, body } = await get(path, reader.token);
      if (body.length === 0) break;
      // Each page is newest first, and sits just above the previous one.
      up.unshift(...body.map((s) => s.id));
      path = link(res, "prev");
    }
    expect(up).toEqual(newestFirst);

    // since_id: the newest page above the cursor, not the oldest.
    const { body: since } = await get(
      `/api/v1/timelines/home?limit=5&since_id=${ids[10]}`,
      reader.token,
    );
    expect(since.map((s) => s.id)).toEqual(newestFirst.slice(0, 5));
    const { body: min } = await get(
      `/api/v1/timelines/home?limit=5&min_id=${ids[10]}`,
      reader.token,
    );
    expect(min.map((s) => s.id)).toEqual(ids.slice(11, 16).reverse());
  });

  it("hides muted authors and posts the reader may not see", async () => {
    const reader = await createUserWithToken(ctx);
    const muted = await createUserWithToken(ctx);
    const stranger = await createUserWithToken(ctx);
    await follow(reader.account, muted.account);
    const a = await post(muted.account);
    const hidden = await post(stranger.account, { visibility: "private" });
    await feed(reader.account.id, [a.id, hidden.id]);
    let { body } = await get("/api/v1/timelines/home", reader.token);
    // The private post of someone the reader doesn't follow stays out even if in the feed.
    expect(body.map((s) => s.id)).toEqual([a.id]);
    await mute(reader.account, muted.account);
    ({ body } = await get("/api/v1/timelines/home", reader.token));
    expect(body).toEqual([]);
  });

  it("hides boosts of posts from a domain the reader blocked, and takes any numeric cursor", async () => {
    const reader = await createUserWithToken(ctx);
    const booster = await createUserWithToken(ctx);
    await follow(reader.account, booster.account);
    const remote = await remoteAccount(`far${Date.now()}`);
    // Unlisted, so that the public timeline tests below never see it.
    const original = await post(remote, { visibility: "unlisted" });
    const boost = await post(booster.account, { reblogOf: original.id });
    const plain = await post(booster.account);
    await feed(reader.account.id, [boost.id, plain.id]);
    let { body } = await get("/api/v1/timelines/home", reader.token);
    expect(body.map((s) => s.id)).toEqual([plain.id, boost.id]);
    // Blocked after fan-out: the read must drop it.
    await ctx.services.db
      .insertInto("account_domain_blocks")
      .values({ id: newId(), account_id: reader.account.id, domain: "remote.test" })
      .execute();
    ({ body } = await get("/api/v1/timelines/home", reader.token));
    expect(body.map((s) => s.id)).toEqual([plain.id]);
    // Cursors beyond PostgreSQL's bigint mean "no bound" (max_id) or "nothing newer".
    const huge = "99999999999999999999";
    ({ body } = await get(`/api/v1/timelines/home?max_id=${huge}`, reader.token));
    expect(body.map((s) => s.id)).toEqual([plain.id]);
    for (const cursor of ["min_id", "since_id"]) {
      const answer = await get(`/api/v1/timelines/home?${cursor}=${huge}`, reader.token);
      expect(answer.res.status).toBe(200);
      expect(answer.body).toEqual([]);
    }
  });

  it("shows a muted author again once the mute expires, on the same built-once query", async () => {
    const reader = await createUserWithToken(ctx);
    const muted = await createUserWithToken(ctx);
    await follow(reader.account, muted.account);
    const a = await post(muted.account);
    await feed(reader.account.id, [a.id]);
    // The home query is built once per shape (src/infra/db/compiled.ts): this first read
    // builds it, so a "now" frozen into it would still be this instant after the expiry.
    expect((await get("/api/v1/timelines/home", reader.token)).body.map((s) => s.id)).toEqual([
      a.id,
    ]);
    await mute(reader.account, muted.account, new Date(Date.now() + 1500));
    expect((await get("/api/v1/timelines/home", reader.token)).body).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 1600));
    expect((await get("/api/v1/timelines/home", reader.token)).body.map((s) => s.id)).toEqual([
      a.id,
    ]);
  });

  it("reports the viewer's flags on the home page exactly as on each status", async () => {
    // Favourites, bookmarks, boosts, pins, conversation mutes and filters, on plain posts and
    // on a boost's original (src/statuses/viewer-flags.ts), as a single status shows them.
    const reader = await createUserWithToken(ctx);
    const alice = await createUserWithToken(ctx);
    const bob = await createUserWithToken(ctx);
    await follow(reader.account, alice.account);
    const a = await post(alice.account);
    const b = await post(bob.account);
    const boost = await post(alice.account, { reblogOf: b.id });
    const c = await post(alice.account);
    const d = await post(alice.account);
    const own = await post(reader.account);
    const filtered = await post(alice.account);
    // A boost of a post in the muted conversation: its original is muted.
    const mutedBoost = await post(bob.account, { reblogOf: d.id });
    const db = ctx.services.db;
    await db
      .updateTable("statuses")
      .set({ conversation_id: c.id })
      .where("id", "in", [c.id, d.id])
      .execute();
    const act = (id: string, action: string) =>
      ctx.app.request(`/api/v1/statuses/${id}/${action}`, {
        method: "POST",
        headers: { authorization: `Bearer ${reader.token}` },
      });
    for (const [id, action] of [
      [a.id, "favourite"],
      [b.id, "bookmark"],
      [b.id, "reblog"],
      [own.id, "pin"],
    ] as const) {
      expect((await act(id, action)).status).toBe(200);
    }
    // Muting c mutes its conversation, d included.
    await db
      .insertInto("status_mutes")
      .values({ id: newId(), account_id: reader.account.id, status_id: c.id, uri: null })
      .execute();
    const filterId = newId();
    await db
      .insertInto("custom_filters")
      .values({
        id: filterId,
        account_id: reader.account.id,
        title: "one post",
        context: '["home"]',
      })
      .execute();
    await db
      .insertInto("custom_filter_keywords")
      .values({ id: newId(), custom_filter_id: filterId, keyword: filtered.id })
      .execute();
    await feed(reader.account.id, [a.id, boost.id, c.id, d.id, own.id, filtered.id, mutedBoost.id]);

    type Flagged = Record<string, unknown> & { id: string; reblog: Flagged | null };
    const { body } = await get("/api/v1/timelines/home", reader.token);
    const page = body as unknown as Flagged[];
    const flagsOf = (s: Flagged) => ({
      favourited: s.favourited,
      reblogged: s.reblogged,
      muted: s.muted,
      bookmarked: s.bookmarked,
      pinned: s.pinned,
      filtered: (s.filtered as { filter: { id: string } }[]).map((f) => f.filter.id),
    });
    const byId = new Map(page.map((s) => [s.id, s]));
    expect(flagsOf(byId.get(a.id)!)).toMatchObject({ favourited: true, muted: false });
    expect(flagsOf(byId.get(boost.id)!.reblog!)).toMatchObject({
      bookmarked: true,
      reblogged: true,
      favourited: false,
    });
    expect(flagsOf(byId.get(c.id)!).muted).toBe(true);
    expect(flagsOf(byId.get(d.id)!).muted).toBe(true);
    expect(flagsOf(byId.get(mutedBoost.id)!.reblog!).muted).toBe(true);
    expect(flagsOf(byId.get(mutedBoost.id)!).muted).toBe(false);
    expect(flagsOf(byId.get(own.id)!).pinned).toBe(true);
    expect(flagsOf(byId.get(filtered.id)!).filtered).toEqual([filterId]);
    expect(page).toHaveLength(7);
    for (const entry of page) {
      const single = (await get(`/api/v1/statuses/${entry.id}`, reader.token))
        .body as unknown as Flagged;
      expect(flagsOf(entry), entry.id).toEqual(flagsOf(single));
      if (entry.reblog) expect(flagsOf(entry.reblog)).toEqual(flagsOf(single.reblog!));
    }
  });

  it("requires a token with read:statuses", async () => {
    expect((await get("/api/v1/timelines/home")).res.status).toBe(401);
    const limited = await createUserWithToken(ctx, { scopes: ["write"] });
    expect((await get("/api/v1/timelines/home", limited.token)).res.status).toBe(403);
    const reader = await createUserWithToken(ctx, { scopes: ["read:statuses"] });
    expect((await get("/api/v1/timelines/home", reader.token)).res.status).toBe(200);
  });
});

describe("public and tag timelines", () => {
  it("shows public posts only, filtered by local and remote, to anyone", async () => {
    const local = await createUserWithToken(ctx);
    const remote = await remoteAccount(`far${Date.now()}`);
    const pub = await post(local.account);
    const unlisted = await post(local.account, { visibility: "unlisted" });
    const priv = await post(local.account, { visibility: "private" });
    const far = await post(remote, { local: false });
    const boost = await post(local.account, { reblogOf: far.id });

    const all = (await get("/api/v1/timelines/public?limit=40")).body.map((s) => s.id);
    expect(all).toContain(pub.id);
    expect(all).toContain(far.id);
    for (const id of [unlisted.id, priv.id, boost.id]) expect(all).not.toContain(id);

    const localOnly = (await get("/api/v1/timelines/public?local=true&limit=40")).body;
    expect(localOnly.map((s) => s.id)).toContain(pub.id);
    expect(localOnly.map((s) => s.id)).not.toContain(far.id);
    for (const s of localOnly) expectSchema("Status", s);
    const remoteOnly = (await get("/api/v1/timelines/public?remote=1&limit=40")).body;
    expect(remoteOnly.map((s) => s.id)).toEqual([far.id]);
    expect((await get("/api/v1/timelines/public?only_media=true")).body).toEqual([]);
  });

  it("filters by tag with any, all and none", async () => {
    const author = await createUserWithToken(ctx);
    const cats = await post(author.account, { tags: ["Cats"] });
    const both = await post(author.account, { tags: ["cats", "dogs"] });
    const dogs = await post(author.account, { tags: ["dogs"] });
    const hidden = await post(author.account, { tags: ["cats"], visibility: "private" });
    const ids = async (q: string) =>
      (await get(`/api/v1/timelines/tag/${q}`)).body.map((s) => s.id);
    expect(await ids("cats")).toEqual([both.id, cats.id]);
    expect(await ids("CATS?any[]=dogs")).toEqual([dogs.id, both.id, cats.id]);
    expect(await ids("cats?all[]=dogs")).toEqual([both.id]);
    expect(await ids("cats?none[]=dogs")).toEqual([cats.id]);
    expect(await ids("cats")).not.toContain(hidden.id);
    expect(await ids("cats?remote=true")).toEqual([]);
  });

  it("answers 404 for lists, which don't exist yet", async () => {
    const user = await createUserWithToken(ctx);
    const { res, body } = await get("/api/v1/timelines/list/123", user.token);
    expect(res.status).toBe(404);
    expect(body).toHaveProperty("error");
  });
});
