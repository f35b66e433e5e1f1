// Hashtags: the Tag entity with its seven-day history, follow/unfollow, the followed list
// with Link paging, and trending tags.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { AccountRow } from "../src/auth/middleware.ts";
import type { Visibility } from "../src/infra/db/schema.ts";
import { newId } from "../src/infra/ids.ts";
import { findOrCreateTags } from "../src/tags/tags.ts";
import { createUserWithToken } from "./helpers/auth.ts";
import { expectResponseSchema, expectSchema } from "./helpers/openapi.ts";
import { createTestContext, type TestContext } from "./helpers/services.ts";

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field
type Json = any;

let ctx: TestContext;
let alice: Awaited<ReturnType<typeof createUserWithToken>>;
let bob: Awaited<ReturnType<typeof createUserWithToken>>;

async function call(
  method: string,
  path: string,
  token?: string,
): Promise<{ status: number; body: Json; link: string | null }> {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  const res = await ctx.app.request(path, { method, headers });
  return { status: res.status, body: await res.json(), link: res.headers.get("link") };
}

async function tagged(account: AccountRow, tag: string, visibility: Visibility = "public") {
  const id = newId();
  const db = ctx.services.db;
  await db
    .insertInto("statuses")
    .values({
      id,
      uri: `${ctx.config.publicUrl}/users/${account.username}/statuses/${id}`,
      account_id: account.id,
      local: true,
      content: `<p>#${tag}</p>`,
      visibility,
    })
    .execute();
  const [row] = await findOrCreateTags(db, [tag]);
  await db.insertInto("status_tags").values({ status_id: id, tag_id: row!.id }).execute();
}

beforeAll(async () => {
  ctx = await createTestContext();
  alice = await createUserWithToken(ctx, { username: "alice" });
  bob = await createUserWithToken(ctx, { username: "bob" });
});

afterAll(async () => {
  await ctx?.close();
});

describe("GET /api/v1/tags/:name", () => {
  test("history counts today's uses and distinct accounts", async () => {
    await tagged(alice.account, "Gardening");
    await tagged(alice.account, "gardening");
    await tagged(bob.account, "GARDENING");
    // Followers-only posts are not public usage.
    await tagged(bob.account, "gardening", "private");
    const r = await call("GET", "/api/v1/tags/gardening");
    expect(r.status).toBe(200);
    expectResponseSchema("GET", "/api/v1/tags/{name}", 200, r.body);
    expect(r.body.name).toBe("Gardening");
    expect(r.body.history).toHaveLength(7);
    const today = Date.UTC(
      new Date().getUTCFullYear(),
      new Date().getUTCMonth(),
      new Date().getUTCDate(),
    );
    expect(r.body.history[0]).toEqual({ day: String(today / 1000), uses: "3", accounts: "2" });
    expect(r.body.history[1]).toEqual({
      day: String(today / 1000 - 86400),
      uses: "0",
      accounts: "0",
    });
    // Anonymous: no `following`.
    expect(r.body).not.toHaveProperty("following");
  });

  test("an unused valid name is shown without being stored; invalid names are 404", async () => {
    const r = await call("GET", "/api/v1/tags/neverused", alice.token);
    expect(r.status).toBe(200);
    expect(r.body.following).toBe(false);
    expect(r.body.history.every((h: Json) => h.uses === "0")).toBe(true);
    const stored = await ctx.services.db
      .selectFrom("tags")
      .select("id")
      .where("name", "=", "neverused")
      .executeTakeFirst();
    expect(stored).toBeUndefined();
    expect((await call("GET", "/api/v1/tags/not-a-tag")).status).toBe(404);
    expect((await call("GET", "/api/v1/tags/1234")).status).toBe(404);
  });
});

describe("following tags", () => {
  test("follow, list with paging, unfollow", async () => {
    const names = ["alpha", "beta", "gamma"];
    for (const name of names) {
      const r = await call("POST", `/api/v1/tags/${name}/follow`, alice.token);
      expect(r.status).toBe(200);
      expectSchema("Tag", r.body);
      expect(r.body.following).toBe(true);
    }
    // Following twice is harmless.
    expect((await call("POST", "/api/v1/tags/alpha/follow", alice.token)).body.following).toBe(
      true,
    );
    expect((await call("GET", "/api/v1/tags/alpha", alice.token)).body.following).toBe(true);
    expect((await call("GET", "/api/v1/tags/alpha", bob.token)).body.following).toBe(false);

    const first = await call("GET", "/api/v1/followed_tags?limit=2", alice.token);
    expect(first.status).toBe(200);
    expectResponseSchema("GET", "/api/v1/followed_tags", 200, first.body);
    expect(first.body.map((t: Json) => t.name)).toEqual(["gamma", "beta"]);
    const next = /<([^>]+)>; rel="next"/.exec(first.link ?? "")?.[1];
    expect(next).toBeDefined();
    const url = new URL(next!);
    const second = await call("GET", `${url.pathname}${url.search}`, alice.token);
    expect(second.body.map((t: Json) => t.name)).toEqual(["alpha"]);

    const un = await call("POST", "/api/v1/tags/beta/unfollow", alice.token);
    expect(un.status).toBe(200);
    expect(un.body.following).toBe(false);
    const all = await call("GET", "/api/v1/followed_tags", alice.token);
    expect(all.body.map((t: Json) => t.name)).toEqual(["gamma", "alpha"]);
  });

  test("errors: unknown tag unfollow 404, invalid name 404, scopes, anonymous", async () => {
    expect((await call("POST", "/api/v1/tags/nosuchtagyet/unfollow", alice.token)).status).toBe(
      404,
    );
    expect((await call("POST", "/api/v1/tags/bad-name/follow", alice.token)).status).toBe(404);
    expect((await call("POST", "/api/v1/tags/alpha/follow")).status).toBe(401);
    const reader = await createUserWithToken(ctx, { scopes: ["read"] });
    expect((await call("POST", "/api/v1/tags/alpha/follow", reader.token)).status).toBe(403);
    expect((await call("GET", "/api/v1/followed_tags")).status).toBe(401);
  });
});

describe("trends", () => {
  test("tags ranked by distinct accounts; /trends is an alias", async () => {
    await tagged(alice.account, "solo");
    await tagged(alice.account, "solo");
    await tagged(alice.account, "solo");
    await tagged(alice.account, "shared");
    await tagged(bob.account, "shared");
    await tagged(bob.account, "hush", "private");
    const r = await call("GET", "/api/v1/trends/tags");
    expect(r.status).toBe(200);
    expectResponseSchema("GET", "/api/v1/trends/tags", 200, r.body);
    const names = r.body.map((t: Json) => t.name);
    expect(names.indexOf("shared")).toBeLessThan(names.indexOf("solo"));
    expect(names).not.toContain("hush");
    expect(names).not.toContain("alpha");
    const alias = await call("GET", "/api/v1/trends");
    expect(alias.body.map((t: Json) => t.name)).toEqual(names);

    const paged = await call("GET", "/api/v1/trends/tags?limit=1", alice.token);
    expect(paged.body).toHaveLength(1);
    expect(paged.link).toContain('rel="next"');
    expect(paged.link).toContain("offset=1");
    expect((await call("GET", "/api/v1/trends/tags?offset=x")).status).toBe(400);
  });
});
