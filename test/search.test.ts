// GET /api/v2/search: accounts, statuses (full text, visibility-filtered) and hashtags,
// with Mastodon's rules for anonymous callers and bad input. Rows are inserted directly so
// the test depends on search alone.
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { AccountRow } from "../src/auth/middleware.ts";
import type { Visibility } from "../src/infra/db/schema.ts";
import { newId } from "../src/infra/ids.ts";
import { createUserWithToken } from "./helpers/auth.ts";
import { expectResponseSchema } from "./helpers/openapi.ts";
import { createTestContext, type TestContext } from "./helpers/services.ts";

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field
type Json = any;

let ctx: TestContext;
let alice: Awaited<ReturnType<typeof createUserWithToken>>;
let bob: Awaited<ReturnType<typeof createUserWithToken>>;
let carol: Awaited<ReturnType<typeof createUserWithToken>>;
let remote: AccountRow;

async function get(path: string, token?: string): Promise<{ status: number; body: Json }> {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const res = await ctx.app.request(path, { headers });
  return { status: res.status, body: await res.json() };
}

async function search(params: Record<string, string>, token?: string) {
  const r = await get(`/api/v2/search?${new URLSearchParams(params)}`, token);
  if (r.status === 200) expectResponseSchema("GET", "/api/v2/search", 200, r.body);
  return r;
}

async function insertStatus(
  account: AccountRow,
  html: string,
  visibility: Visibility = "public",
): Promise<string> {
  const id = newId();
  await ctx.services.db
    .insertInto("statuses")
    .values({
      id,
      uri: `${ctx.config.publicUrl}/users/${account.username}/statuses/${id}`,
      url: `${ctx.config.publicUrl}/@${account.username}/${id}`,
      account_id: account.id,
      local: account.domain === null,
      content: html,
      text: html.replace(/<[^>]*>/g, " "),
      visibility,
    })
    .execute();
  return id;
}

async function insertTag(name: string, statusIds: string[] = []): Promise<string> {
  const id = newId();
  await ctx.services.db.insertInto("tags").values({ id, name, display_name: name }).execute();
  for (const statusId of statusIds) {
    await ctx.services.db
      .insertInto("status_tags")
      .values({ status_id: statusId, tag_id: id })
      .execute();
  }
  return id;
}

beforeAll(async () => {
  ctx = await createTestContext();
  alice = await createUserWithToken(ctx, { username: "alice" });
  bob = await createUserWithToken(ctx, { username: "bobby" });
  carol = await createUserWithToken(ctx, { username: "carol" });
  const db = ctx.services.db;
  await db
    .updateTable("accounts")
    .set({ display_name: "Robert Tables" })
    .where("id", "=", bob.account.id)
    .execute();
  remote = await db
    .insertInto("accounts")
    .values({
      id: newId(),
      username: "bobcat",
      domain: "remote.example",
      display_name: "Wild Cat",
      uri: "https://remote.example/users/bobcat",
      url: "https://remote.example/@bobcat",
    })
    .returningAll()
    .executeTakeFirstOrThrow();
});

afterAll(async () => {
  await ctx?.close();
});

describe("accounts", () => {
  test("prefix on username and on any word of the display name", async () => {
    const byName = await search({ q: "bob", type: "accounts" }, alice.token);
    expect(byName.status).toBe(200);
    expect(byName.body.accounts.map((a: Json) => a.acct).sort()).toEqual([
      "bobby",
      "bobcat@remote.example",
    ]);
    // Local before remote at equal standing.
    expect(byName.body.accounts[0].acct).toBe("bobby");
    expect(byName.body.statuses).toEqual([]);
    expect(byName.body.hashtags).toEqual([]);

    const byDisplay = await search({ q: "tab", type: "accounts" }, alice.token);
    expect(byDisplay.body.accounts.map((a: Json) => a.acct)).toEqual(["bobby"]);
    const byWord = await search({ q: "cat", type: "accounts" }, alice.token);
    expect(byWord.body.accounts.map((a: Json) => a.acct)).toEqual(["bobcat@remote.example"]);
  });

  test("user@domain handles, with or without @, and the local domain", async () => {
    for (const q of ["bobcat@remote.example", "@bobcat@remote.example", "bobc@remote"]) {
      const r = await search({ q }, alice.token);
      expect(
        r.body.accounts.map((a: Json) => a.acct),
        q,
      ).toEqual(["bobcat@remote.example"]);
    }
    const local = await search({ q: `@bobby@${ctx.config.domain}` }, alice.token);
    expect(local.body.accounts.map((a: Json) => a.acct)).toEqual(["bobby"]);
    // A handle does not search statuses or hashtags.
    expect(local.body.hashtags).toEqual([]);
  });

  test("following=true keeps followed accounts; blocks hide both ways", async () => {
    const db = ctx.services.db;
    const follow = await db
      .insertInto("follows")
      .values({ id: newId(), account_id: carol.account.id, target_account_id: remote.id })
      .returning("id")
      .executeTakeFirstOrThrow();
    const r = await search({ q: "bob", following: "true" }, carol.token);
    expect(r.body.accounts.map((a: Json) => a.acct)).toEqual(["bobcat@remote.example"]);
    await db.deleteFrom("follows").where("id", "=", follow.id).execute();

    const block = await db
      .insertInto("blocks")
      .values({ id: newId(), account_id: bob.account.id, target_account_id: carol.account.id })
      .returning("id")
      .executeTakeFirstOrThrow();
    const blocked = await search({ q: "bob" }, carol.token);
    expect(blocked.body.accounts.map((a: Json) => a.acct)).toEqual(["bobcat@remote.example"]);
    await db.deleteFrom("blocks").where("id", "=", block.id).execute();
  });

  test("suspended accounts are not found; anonymous search works", async () => {
    const db = ctx.services.db;
    await db
      .updateTable("accounts")
      .set({ suspended_at: new Date() })
      .where("id", "=", remote.id)
      .execute();
    const r = await search({ q: "bob" });
    expect(r.status).toBe(200);
    expect(r.body.accounts.map((a: Json) => a.acct)).toEqual(["bobby"]);
    await db
      .updateTable("accounts")
      .set({ suspended_at: null })
      .where("id", "=", remote.id)
      .execute();
  });

  test("limit and offset page through results", async () => {
    const first = await search({ q: "b", type: "accounts", limit: "1" }, alice.token);
    const second = await search({ q: "b", type: "accounts", limit: "1", offset: "1" }, alice.token);
    expect(first.body.accounts).toHaveLength(1);
    expect(second.body.accounts).toHaveLength(1);
    expect(first.body.accounts[0].id).not.toBe(second.body.accounts[0].id);
  });
});

describe("statuses", () => {
  let publicId: string;
  let privateId: string;
  let directId: string;

  beforeAll(async () => {
    publicId = await insertStatus(bob.account, "<p>Sourdough<br>baking tips for everyone</p>");
    privateId = await insertStatus(carol.account, "<p>secret sourdough recipe</p>", "private");
    directId = await insertStatus(carol.account, "<p>sourdough for alice only</p>", "direct");
    await ctx.services.db
      .insertInto("mentions")
      .values({ status_id: directId, account_id: alice.account.id })
      .execute();
    await insertStatus(bob.account, "<p>nothing to see</p>");
  });

  test("full text finds words across markup, only what the viewer may see", async () => {
    const r = await search({ q: "sourdough", type: "statuses" }, bob.token);
    expect(r.status).toBe(200);
    // Bob follows nobody and is not mentioned: Carol's private and direct posts stay hidden.
    expect(r.body.statuses.map((s: Json) => s.id)).toEqual([publicId]);
    expect(r.body.accounts).toEqual([]);

    // Alice is mentioned in the direct post, but does not follow Carol.
    const a = await search({ q: "sourdough", type: "statuses" }, alice.token);
    expect(a.body.statuses.map((s: Json) => s.id)).toEqual([directId, publicId]);
    expect(a.body.statuses.map((s: Json) => s.id)).not.toContain(privateId);

    // "<br>" separates words: "baking" is its own token.
    const split = await search({ q: "baking tips", type: "statuses" }, alice.token);
    expect(split.body.statuses.map((s: Json) => s.id)).toEqual([publicId]);
  });

  test("following the author reveals the private post", async () => {
    const db = ctx.services.db;
    const follow = await db
      .insertInto("follows")
      .values({ id: newId(), account_id: bob.account.id, target_account_id: carol.account.id })
      .returning("id")
      .executeTakeFirstOrThrow();
    const r = await search({ q: "secret", type: "statuses" }, bob.token);
    expect(r.body.statuses.map((s: Json) => s.id)).toEqual([privateId]);
    await db.deleteFrom("follows").where("id", "=", follow.id).execute();
    const after = await search({ q: "secret", type: "statuses" }, bob.token);
    expect(after.body.statuses).toEqual([]);
  });

  test("account_id narrows; anonymous searches get no statuses", async () => {
    const mine = await search(
      { q: "sourdough", type: "statuses", account_id: carol.account.id },
      alice.token,
    );
    expect(mine.body.statuses.map((s: Json) => s.id)).toEqual([directId]);
    const anon = await search({ q: "sourdough" });
    expect(anon.status).toBe(200);
    expect(anon.body.statuses).toEqual([]);
  });

  test("a status URL finds the stored status when visible", async () => {
    const url = `${ctx.config.publicUrl}/@bobby/${publicId}`;
    const r = await search({ q: url }, alice.token);
    expect(r.body.statuses.map((s: Json) => s.id)).toEqual([publicId]);
    const hidden = `${ctx.config.publicUrl}/users/carol/statuses/${privateId}`;
    const h = await search({ q: hidden, resolve: "true" }, bob.token);
    expect(h.status).toBe(200);
    expect(h.body.statuses).toEqual([]);
  });

  test("the query uses the full-text index", async () => {
    const db = ctx.services.db;
    const plan = await db.connection().execute(async (conn) => {
      await sql`set enable_seqscan = off`.execute(conn);
      try {
        const rows = await sql<{ "QUERY PLAN": string }>`explain select id from statuses
          where to_tsvector('simple', regexp_replace(content, '<[^>]*>', ' ', 'g'))
            @@ plainto_tsquery('simple', ${"sourdough"})`.execute(conn);
        return rows.rows.map((r) => r["QUERY PLAN"]).join("\n");
      } finally {
        await sql`reset enable_seqscan`.execute(conn);
      }
    });
    expect(plan).toContain("statuses_search_idx");
  });
});

describe("hashtags", () => {
  beforeAll(async () => {
    await insertTag("Cooking");
    await insertTag("cook");
    await insertTag("cookbooks");
    const hidden = await insertTag("cookies");
    await ctx.services.db
      .updateTable("tags")
      .set({ listable: false })
      .where("id", "=", hidden)
      .execute();
  });

  test("prefix search, exact match first, unlisted tags hidden", async () => {
    const r = await search({ q: "#cook", type: "hashtags" }, alice.token);
    expect(r.status).toBe(200);
    expect(r.body.hashtags.map((t: Json) => t.name)).toEqual(["cook", "Cooking", "cookbooks"]);
    for (const tag of r.body.hashtags) {
      expect(tag.history).toHaveLength(7);
      expect(tag.following).toBe(false);
      expect(tag.url).toBe(`${ctx.config.publicUrl}/tags/${tag.name}`);
    }
    // "#..." searches only hashtags.
    const all = await search({ q: "#cook" }, alice.token);
    expect(all.body.accounts).toEqual([]);
  });

  test("a signed-in search for an unused valid name offers that tag", async () => {
    const r = await search({ q: "#brandnewtag", type: "hashtags" }, alice.token);
    expect(r.body.hashtags.map((t: Json) => t.name)).toEqual(["brandnewtag"]);
    expect(r.body.hashtags[0].id).toMatch(/^\d+$/);
    const anon = await search({ q: "#otherunusedtag", type: "hashtags" });
    expect(anon.body.hashtags).toEqual([]);
  });

  test("LIKE wildcards in the query are literal", async () => {
    const r = await search({ q: "co%", type: "hashtags" }, alice.token);
    expect(r.body.hashtags).toEqual([]);
  });
});

describe("errors", () => {
  test("missing q is 400; anonymous offset or resolve is 401; bad limit is 400", async () => {
    expect((await get("/api/v2/search", alice.token)).status).toBe(400);
    expect((await get("/api/v2/search?q=%20", alice.token)).status).toBe(400);
    const offset = await get("/api/v2/search?q=bob&offset=5");
    expect(offset.status).toBe(401);
    expect(offset.body.error).toMatch(/pagination/);
    expect((await get("/api/v2/search?q=bob&resolve=true")).status).toBe(401);
    expect((await get("/api/v2/search?q=bob&limit=abc", alice.token)).status).toBe(400);
    expect((await get("/api/v2/search?q=bob&offset=-1", alice.token)).status).toBe(400);
  });

  test("an unknown type finds nothing; a token without read:search is 403", async () => {
    const r = await search({ q: "bob", type: "everything" }, alice.token);
    expect(r.body).toEqual({ accounts: [], statuses: [], hashtags: [] });
    const writeOnly = await createUserWithToken(ctx, { scopes: ["write"] });
    expect((await get("/api/v2/search?q=bob", writeOnly.token)).status).toBe(403);
  });

  test("the v1 endpoint is gone, as in Mastodon 3.0+", async () => {
    expect((await get("/api/v1/search?q=bob", alice.token)).status).toBe(404);
  });
});
