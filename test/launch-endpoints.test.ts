// What apps call at launch: none of it may 404, and every body must match Mastodon's
// schema. Then the user's own lists paged through Link headers, suggestions, the directory,
// trending posts and preferences (usage numbers: launch-instance-usage.test.ts).
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { AccountRow } from "../src/auth/middleware.ts";
import type { Visibility } from "../src/infra/db/schema.ts";
import { newId } from "../src/infra/ids.ts";
import { createUserWithToken } from "./helpers/auth.ts";
import { expectResponseSchema, expectSchema } from "./helpers/openapi.ts";
import { createTestContext, type TestContext } from "./helpers/services.ts";

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field
type Json = any;
type User = Awaited<ReturnType<typeof createUserWithToken>>;

let ctx: TestContext;
let alice: User;
let bob: User;
let carol: User;

async function call(method: string, path: string, token?: string) {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const res = await ctx.app.request(path, { method, headers });
  const text = await res.text();
  const body: Json =
    text && res.headers.get("content-type")?.includes("json") ? JSON.parse(text) : text;
  return { status: res.status, body, link: res.headers.get("link") };
}

async function insertStatus(
  account: AccountRow,
  visibility: Visibility = "public",
  extra: { favourites_count?: number; reblogs_count?: number } = {},
): Promise<string> {
  const id = newId();
  await ctx.services.db
    .insertInto("statuses")
    .values({
      id,
      uri: `${ctx.config.publicUrl}/users/${account.username}/statuses/${id}`,
      account_id: account.id,
      local: true,
      content: `<p>post ${id}</p>`,
      visibility,
      ...extra,
    })
    .execute();
  return id;
}

/** Follows `next` links from `path` and returns every id seen, in order. */
async function walk(path: string, token: string): Promise<string[]> {
  const ids: string[] = [];
  let next: string | undefined = path;
  for (let i = 0; next && i < 20; i++) {
    const r = await call("GET", next, token);
    expect(r.status).toBe(200);
    if (r.body.length === 0) break;
    ids.push(...r.body.map((x: Json) => x.id));
    const url = /<([^>]+)>; rel="next"/.exec(r.link ?? "")?.[1];
    next = url ? `${new URL(url).pathname}${new URL(url).search}` : undefined;
  }
  return ids;
}

beforeAll(async () => {
  ctx = await createTestContext();
  alice = await createUserWithToken(ctx, { username: "alice" });
  bob = await createUserWithToken(ctx, { username: "bob" });
  carol = await createUserWithToken(ctx, { username: "carol" });
});

afterAll(async () => {
  await ctx?.close();
});

// What the official app, Ivory, Tusky, Elk, Phanpy and Ice Cubes request at start (and on
// the profile, notifications and settings screens), as [path, check]: `true` checks the body
// against the document's response schema for that path; a function checks it otherwise.
// Not here: /api/v1/push/subscription (push) and /api/v1/streaming/health (streaming).
function launchEndpoints(me: AccountRow): [string, ((body: Json) => void) | true][] {
  return [
    ["/api/v1/instance", true],
    ["/api/v2/instance", true],
    ["/api/v1/instance/peers", true],
    ["/api/v1/instance/activity", true],
    ["/api/v1/instance/rules", true],
    ["/api/v1/instance/extended_description", true],
    ["/api/v1/instance/translation_languages", (b) => expect(b).toEqual({})],
    ["/api/v1/accounts/verify_credentials", true],
    [`/api/v1/accounts/${me.id}`, true],
    [`/api/v1/accounts/${me.id}/statuses?limit=20`, true],
    [`/api/v1/accounts/${me.id}/statuses?pinned=true`, true],
    [`/api/v1/accounts/${me.id}/featured_tags`, true],
    [`/api/v1/accounts/${me.id}/followers`, true],
    [`/api/v1/accounts/${me.id}/following`, true],
    [`/api/v1/accounts/${me.id}/lists`, true],
    [`/api/v1/accounts/relationships?id[]=${me.id}`, true],
    ["/api/v1/preferences", (b) => expectSchema("Preferences", b)],
    ["/api/v1/custom_emojis", true],
    ["/api/v1/filters", (b) => expect(b).toEqual([])],
    ["/api/v2/filters", true],
    ["/api/v1/lists", true],
    ["/api/v1/announcements", true],
    ["/api/v1/followed_tags", true],
    ["/api/v1/featured_tags", true],
    ["/api/v1/featured_tags/suggestions", true],
    ["/api/v1/follow_requests", true],
    ["/api/v1/scheduled_statuses", true],
    ["/api/v1/markers?timeline[]=home&timeline[]=notifications", true],
    [
      "/api/v1/timelines/home",
      (b) => {
        expectResponseSchema("GET", "/api/v1/timelines/home", 200, b);
        expect(b).toHaveLength(1);
      },
    ],
    ["/api/v1/timelines/public?local=true", true],
    [
      "/api/v1/notifications",
      (b) => {
        expectResponseSchema("GET", "/api/v1/notifications", 200, b);
        expect(b.map((n: Json) => n.type)).toEqual(["follow"]);
      },
    ],
    ["/api/v1/notifications?types[]=mention", true],
    ["/api/v1/notifications/unread_count", (b) => expect(b).toEqual({ count: 1 })],
    ["/api/v2/notifications", true],
    ["/api/v2/notifications/unread_count", (b) => expect(b).toEqual({ count: 1 })],
    ["/api/v2/notifications/policy", true],
    [
      "/api/v1/notifications/policy",
      (b) => expect(b).toMatchObject({ filter_not_following: false, summary: expect.any(Object) }),
    ],
    ["/api/v1/notifications/requests", true],
    ["/api/v1/notifications/requests/merged", (b) => expect(b).toEqual({ merged: true })],
    ["/api/v1/trends", (b) => expectResponseSchema("GET", "/api/v1/trends/tags", 200, b)],
    ["/api/v1/trends/tags", true],
    ["/api/v1/trends/statuses", true],
    ["/api/v1/trends/links", true],
    ["/api/v1/suggestions", true],
    ["/api/v2/suggestions", true],
    ["/api/v1/conversations", true],
    ["/api/v1/domain_blocks", true],
    ["/api/v1/directory", true],
    ["/api/v1/bookmarks", true],
    ["/api/v1/favourites", true],
    ["/api/v1/blocks", true],
    ["/api/v1/mutes", true],
    ["/api/v1/endorsements", true],
    ["/api/v1/tags/launch", true],
    ["/api/v2/search?q=a", true],
  ];
}

/** The document's path for a concrete one: ids and names become `{id}`/`{name}`. */
function docPathOf(path: string): string {
  return path
    .split("?")[0]!
    .replace(/\/accounts\/\d+/, "/accounts/{id}")
    .replace("/tags/launch", "/tags/{name}");
}

describe("app launch", () => {
  test("every endpoint answers 200 with a schema-valid body", async () => {
    // Something to render: a post of alice's in her feed, and bob's follow notified.
    const db = ctx.services.db;
    const own = await insertStatus(alice.account);
    await db
      .insertInto("home_feed")
      .values({ account_id: alice.account.id, status_id: own, reblog_of_id: null })
      .execute();
    await db
      .insertInto("follows")
      .values({ id: newId(), account_id: bob.account.id, target_account_id: alice.account.id })
      .execute();
    await db
      .insertInto("notifications")
      .values({
        id: newId(),
        account_id: alice.account.id,
        from_account_id: bob.account.id,
        type: "follow",
      })
      .execute();
    for (const [path, check] of launchEndpoints(alice.account)) {
      const r = await call("GET", path, alice.token);
      expect(r.status, path).toBe(200);
      try {
        if (check === true) expectResponseSchema("GET", docPathOf(path), 200, r.body);
        else check(r.body);
      } catch (error) {
        throw new Error(`${path}: ${(error as Error).message}`);
      }
    }
  });

  test("public ones work without a token; user ones are 401", async () => {
    for (const path of [
      "/api/v1/custom_emojis",
      "/api/v1/trends/tags",
      "/api/v1/trends/statuses",
      "/api/v1/trends/links",
      "/api/v1/directory",
      "/api/v1/tags/launch",
      "/api/v1/instance/translation_languages",
    ]) {
      expect((await call("GET", path)).status, path).toBe(200);
    }
    for (const path of [
      "/api/v1/preferences",
      "/api/v1/filters",
      "/api/v1/lists",
      "/api/v1/announcements",
      "/api/v1/suggestions",
      "/api/v1/bookmarks",
      "/api/v1/blocks",
      "/api/v1/conversations",
      "/api/v1/domain_blocks",
      "/api/v1/followed_tags",
      "/api/v1/featured_tags",
      "/api/v1/scheduled_statuses",
      "/api/v1/notifications/policy",
      "/api/v2/notifications/policy",
      "/api/v1/notifications/requests",
    ]) {
      expect((await call("GET", path)).status, path).toBe(401);
    }
  });

  test("announcement dismissal is 404; bad paging input is 400", async () => {
    expect((await call("POST", "/api/v1/announcements/1/dismiss", alice.token)).status).toBe(404);
    expect((await call("GET", "/api/v1/bookmarks?limit=x", alice.token)).status).toBe(400);
    expect((await call("GET", "/api/v1/directory?offset=-3")).status).toBe(400);
  });
});

describe("preferences", () => {
  test("reflect the user's settings", async () => {
    await ctx.services.db
      .updateTable("users")
      .set({
        settings: JSON.stringify({
          default_privacy: "private",
          default_sensitive: true,
          default_language: "de",
          expand_media: "show_all",
          expand_spoilers: true,
        }),
      })
      .where("id", "=", bob.user.id)
      .execute();
    const r = await call("GET", "/api/v1/preferences", bob.token);
    expectSchema("Preferences", r.body);
    expect(r.body).toEqual({
      "posting:default:visibility": "private",
      "posting:default:sensitive": true,
      "posting:default:language": "de",
      "reading:expand:media": "show_all",
      "reading:expand:spoilers": true,
    });
  });
});

describe("the user's lists", () => {
  test("bookmarks and favourites page by the relation, newest first, visible only", async () => {
    const statuses: string[] = [];
    for (let i = 0; i < 5; i++) statuses.push(await insertStatus(bob.account));
    const hidden = await insertStatus(carol.account, "private");
    const db = ctx.services.db;
    for (const table of ["bookmarks", "favourites"] as const) {
      // Saved oldest post last, so relation order differs from status order.
      for (const id of [...statuses, hidden]) {
        await db
          .insertInto(table)
          .values({ id: newId(), account_id: alice.account.id, status_id: id })
          .execute();
      }
      const seen = await walk(`/api/v1/${table}?limit=2`, alice.token);
      expect(seen, table).toEqual([...statuses].reverse());
      const first = await call("GET", `/api/v1/${table}?limit=2`, alice.token);
      expectResponseSchema("GET", `/api/v1/${table}`, 200, first.body);
      // min_id from the newest: nothing newer.
      const prev = /<([^>]+)>; rel="prev"/.exec(first.link ?? "")?.[1];
      expect(prev).toContain("min_id=");
      const url = new URL(prev!);
      expect((await call("GET", `${url.pathname}${url.search}`, alice.token)).body).toEqual([]);
    }
  });

  test("blocks, mutes (expired ones dropped) and endorsements", async () => {
    const db = ctx.services.db;
    const others: User[] = [];
    for (let i = 0; i < 3; i++) others.push(await createUserWithToken(ctx));
    for (const table of ["blocks", "mutes", "endorsements"] as const) {
      for (const o of others) {
        await db
          .insertInto(table)
          .values({ id: newId(), account_id: carol.account.id, target_account_id: o.account.id })
          .execute();
      }
    }
    const until = new Date(Date.now() + 3600_000);
    await db
      .updateTable("mutes")
      .set({ expires_at: until })
      .where("target_account_id", "=", others[0]!.account.id)
      .execute();
    await db
      .updateTable("mutes")
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where("target_account_id", "=", others[1]!.account.id)
      .execute();
    const expected = others.map((o) => o.account.id).reverse();
    expect(await walk("/api/v1/blocks?limit=2", carol.token)).toEqual(expected);
    expect(await walk("/api/v1/endorsements?limit=1", carol.token)).toEqual(expected);
    const mutes = await call("GET", "/api/v1/mutes", carol.token);
    expectResponseSchema("GET", "/api/v1/mutes", 200, mutes.body);
    expect(mutes.body.map((a: Json) => a.id)).toEqual([
      others[2]!.account.id,
      others[0]!.account.id,
    ]);
    expect(mutes.body[0].mute_expires_at).toBeNull();
    expect(mutes.body[1].mute_expires_at).toBe(until.toISOString());
  });
});

describe("discovery", () => {
  let famous: User;
  let known: User;
  let shy: User;

  beforeAll(async () => {
    famous = await createUserWithToken(ctx, { username: "famous" });
    known = await createUserWithToken(ctx, { username: "known" });
    shy = await createUserWithToken(ctx, { username: "shy" });
    const db = ctx.services.db;
    await db
      .updateTable("accounts")
      .set({ discoverable: true, followers_count: 10 })
      .where("id", "=", famous.account.id)
      .execute();
    await db
      .updateTable("accounts")
      .set({ discoverable: true, followers_count: 5 })
      .where("id", "=", known.account.id)
      .execute();
    await db
      .updateTable("accounts")
      .set({ discoverable: false, followers_count: 99 })
      .where("id", "=", shy.account.id)
      .execute();
  });

  test("suggestions: discoverable, most followed, not followed, dismissable", async () => {
    const v1 = await call("GET", "/api/v1/suggestions", alice.token);
    expectResponseSchema("GET", "/api/v1/suggestions", 200, v1.body);
    expect(v1.body.map((a: Json) => a.username)).toEqual(["famous", "known"]);

    await ctx.services.db
      .insertInto("follows")
      .values({ id: newId(), account_id: alice.account.id, target_account_id: famous.account.id })
      .execute();
    const v2 = await call("GET", "/api/v2/suggestions", alice.token);
    expectResponseSchema("GET", "/api/v2/suggestions", 200, v2.body);
    expect(v2.body).toHaveLength(1);
    expect(v2.body[0].account.username).toBe("known");
    expect(v2.body[0].sources).toEqual(["most_followed"]);

    const del = await call("DELETE", `/api/v1/suggestions/${known.account.id}`, alice.token);
    expect(del.status).toBe(200);
    expect((await call("GET", "/api/v2/suggestions", alice.token)).body).toEqual([]);
    // Someone else still sees it.
    const bobs = await call("GET", "/api/v1/suggestions", bob.token);
    expect(bobs.body.map((a: Json) => a.username)).toEqual(["famous", "known"]);
  });

  test("directory lists discoverable accounts by activity or age", async () => {
    const db = ctx.services.db;
    await db
      .updateTable("accounts")
      .set({ last_status_at: new Date() })
      .where("id", "=", known.account.id)
      .execute();
    const active = await call("GET", "/api/v1/directory?local=true");
    expectResponseSchema("GET", "/api/v1/directory", 200, active.body);
    expect(active.body.map((a: Json) => a.username)).toEqual(["known", "famous"]);
    const newest = await call("GET", "/api/v1/directory?order=new&limit=1");
    expect(newest.body.map((a: Json) => a.username)).toEqual(["known"]);
    const offset = await call("GET", "/api/v1/directory?order=new&offset=1");
    expect(offset.body.map((a: Json) => a.username)).toEqual(["famous"]);
  });

  test("trending posts need engagement, public visibility and a discoverable author", async () => {
    const hot = await insertStatus(famous.account, "public", { favourites_count: 5 });
    const warm = await insertStatus(famous.account, "public", { reblogs_count: 1 });
    await insertStatus(famous.account, "public");
    await insertStatus(famous.account, "private", { favourites_count: 50 });
    await insertStatus(shy.account, "public", { favourites_count: 50 });
    const r = await call("GET", "/api/v1/trends/statuses");
    expectResponseSchema("GET", "/api/v1/trends/statuses", 200, r.body);
    expect(r.body.map((s: Json) => s.id)).toEqual([hot, warm]);
  });
});
