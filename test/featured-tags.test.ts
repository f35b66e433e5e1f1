// Featured hashtags: add, list (own and public per account), suggestions from recent use,
// delete, Mastodon's limit of 10, and counts computed from the account's public posts.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call } from "./helpers/api.ts";
import { createUserWithToken } from "./helpers/auth.ts";
import { expectResponseSchema } from "./helpers/openapi.ts";
import { createTestContext, type TestContext } from "./helpers/services.ts";

let ctx: TestContext;

beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => {
  await ctx?.close();
});

// biome-ignore lint/suspicious/noExplicitAny: JSON bodies of many shapes
type Json = any;

describe("featured tags", () => {
  it("features tags with counts, lists them publicly, suggests and deletes", async () => {
    const user = await createUserWithToken(ctx);
    for (const [status, visibility] of [
      ["first #Cats post", "public"],
      ["second #cats post, also #dogs", "unlisted"],
      ["private #cats post", "private"],
      ["something about #birds", "public"],
    ] as const) {
      expect(
        (await call(ctx, "POST", "/api/v1/statuses", user.token, { status, visibility })).status,
      ).toBe(200);
    }

    const suggestions = await call(ctx, "GET", "/api/v1/featured_tags/suggestions", user.token);
    expectResponseSchema("GET", "/api/v1/featured_tags/suggestions", 200, suggestions.body);
    expect(suggestions.body.map((t: Json) => t.name.toLowerCase()).sort()).toEqual([
      "birds",
      "cats",
      "dogs",
    ]);
    // Most recently used first.
    expect(suggestions.body[0].name.toLowerCase()).toBe("birds");

    const created = await call(ctx, "POST", "/api/v1/featured_tags", user.token, { name: "#cats" });
    expect(created.status).toBe(200);
    expectResponseSchema("POST", "/api/v1/featured_tags", 200, created.body);
    expect(created.body.name).toBe("Cats");
    // The private post is not counted.
    expect(created.body.statuses_count).toBe("2");
    expect(created.body.last_status_at).toBe(new Date().toISOString().slice(0, 10));
    expect(created.body.url).toBe(`${ctx.config.publicUrl}/@${user.account.username}/tagged/Cats`);

    const unused = await call(ctx, "POST", "/api/v1/featured_tags", user.token, {
      name: "neverused",
    });
    expect(unused.body.statuses_count).toBe("0");
    expect(unused.body.last_status_at).toBeNull();

    const duplicate = await call(ctx, "POST", "/api/v1/featured_tags", user.token, {
      name: "CATS",
    });
    expect(duplicate.status).toBe(422);
    const invalid = await call(ctx, "POST", "/api/v1/featured_tags", user.token, {
      name: "no spaces",
    });
    expect(invalid.status).toBe(422);

    const mine = await call(ctx, "GET", "/api/v1/featured_tags", user.token);
    expectResponseSchema("GET", "/api/v1/featured_tags", 200, mine.body);
    expect(mine.body.map((t: Json) => t.name)).toEqual(["Cats", "neverused"]);

    // Featured tags are no longer suggested.
    const after = await call(ctx, "GET", "/api/v1/featured_tags/suggestions", user.token);
    expect(after.body.map((t: Json) => t.name.toLowerCase()).sort()).toEqual(["birds", "dogs"]);

    // Anyone can read an account's featured tags.
    const pub = await call(ctx, "GET", `/api/v1/accounts/${user.account.id}/featured_tags`);
    expect(pub.status).toBe(200);
    expectResponseSchema("GET", "/api/v1/accounts/{id}/featured_tags", 200, pub.body);
    expect(pub.body).toEqual(mine.body);

    // Not someone else's to delete.
    const other = await createUserWithToken(ctx);
    const foreign = await call(
      ctx,
      "DELETE",
      `/api/v1/featured_tags/${created.body.id}`,
      other.token,
    );
    expect(foreign.status).toBe(404);
    const deleted = await call(
      ctx,
      "DELETE",
      `/api/v1/featured_tags/${created.body.id}`,
      user.token,
    );
    expect(deleted.status).toBe(200);
    expect(deleted.body).toEqual({});
    const left = await call(ctx, "GET", `/api/v1/accounts/${user.account.id}/featured_tags`);
    expect(left.body.map((t: Json) => t.name)).toEqual(["neverused"]);
    expect((await call(ctx, "DELETE", "/api/v1/featured_tags/12345", user.token)).status).toBe(404);
  });

  it("allows at most 10 and needs a token with the right scope", async () => {
    const user = await createUserWithToken(ctx);
    for (let i = 0; i < 10; i++) {
      const res = await call(ctx, "POST", "/api/v1/featured_tags", user.token, {
        name: `tag${i}x`,
      });
      expect(res.status).toBe(200);
    }
    const over = await call(ctx, "POST", "/api/v1/featured_tags", user.token, { name: "eleventh" });
    expect(over.status).toBe(422);
    expect(over.body.error).toMatch(/10/);
    expect((await call(ctx, "GET", "/api/v1/featured_tags", user.token)).body).toHaveLength(10);

    expect((await call(ctx, "GET", "/api/v1/featured_tags")).status).toBe(401);
    const readOnly = await createUserWithToken(ctx, { scopes: ["read"] });
    expect(
      (await call(ctx, "POST", "/api/v1/featured_tags", readOnly.token, { name: "nope" })).status,
    ).toBe(403);
    expect((await call(ctx, "GET", "/api/v1/accounts/99999/featured_tags")).status).toBe(404);
  });
});
