// The token cache (src/auth/token-cache.ts): reads are answered with a token looked up in the
// last TOKEN_CACHE_TTL_MS, but a revoked token, a suspended or disabled account and the
// client's own writes take effect at once, and a refusal is never cached.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { AuthInfo } from "../src/auth/middleware.ts";
import { announceRevocation, TokenCache, tokenCacheOf } from "../src/auth/token-cache.ts";
import { hashToken } from "../src/auth/tokens.ts";
import { MemoryPubSub } from "../src/infra/pubsub/memory-pubsub.ts";
import { issueAccessToken } from "../src/oauth/access-tokens.ts";
import { call } from "./helpers/api.ts";
import { createTestApplication, createUserWithToken } from "./helpers/auth.ts";
import { userWithRole } from "./helpers/moderation.ts";
import { createTestContext, type TestContext } from "./helpers/services.ts";

const TTL_MS = 2000;
let ctx: TestContext;

beforeAll(async () => {
  ctx = await createTestContext({ TOKEN_CACHE_TTL_MS: String(TTL_MS) });
});

afterAll(async () => {
  await ctx?.close();
});

const me = (token: string) => call(ctx, "GET", "/api/v1/accounts/verify_credentials", token);

/** Reads until the token is cached (the first read also subscribes the cache's channel). */
async function warm(token: string): Promise<void> {
  for (let i = 0; i < 50; i++) {
    expect((await me(token)).status).toBe(200);
    if (tokenCacheOf(ctx.services).get(hashToken(token))) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error("the token was never cached");
}

describe("over HTTP", () => {
  test("a read within the TTL is answered from the cache; after it, from the database", async () => {
    const user = await createUserWithToken(ctx);
    await warm(user.token);
    // Revoked behind the cache's back (no announcement): still answered until the TTL ends.
    await ctx.services.db
      .updateTable("oauth_tokens")
      .set({ revoked_at: new Date() })
      .where("account_id", "=", user.account.id)
      .execute();
    expect((await me(user.token)).status).toBe(200);
    // A write never uses the cache.
    const write = await call(ctx, "POST", "/api/v1/statuses", user.token, { status: "hi" });
    expect(write.status).toBe(401);
    await new Promise((r) => setTimeout(r, TTL_MS + 100));
    expect((await me(user.token)).status).toBe(401);
  });

  test("a token revoked through /oauth/revoke is refused at once", async () => {
    const app = await createTestApplication(ctx.services.db);
    const user = await createUserWithToken(ctx);
    const { access_token } = await issueAccessToken(ctx.services.db, {
      applicationId: app.id,
      accountId: user.account.id,
      scopes: ["read"],
    });
    await warm(access_token);
    const res = await ctx.app.request("/oauth/revoke", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        token: access_token,
        client_id: app.client_id,
        client_secret: app.client_secret,
      }).toString(),
    });
    expect(res.status).toBe(200);
    expect((await me(access_token)).status).toBe(401);
  });

  test("a suspended or disabled account is refused at once", async () => {
    const admin = await userWithRole(ctx, "admin");
    for (const type of ["suspend", "disable"]) {
      const user = await createUserWithToken(ctx);
      await warm(user.token);
      const done = await call(
        ctx,
        "POST",
        `/api/v1/admin/accounts/${user.account.id}/action`,
        admin.token,
        { type, send_email_notification: false },
      );
      expect(done.status).toBe(200);
      expect((await me(user.token)).status).toBe(403);
    }
  });

  test("the client reads its own writes at once", async () => {
    const user = await createUserWithToken(ctx);
    await warm(user.token);
    const patched = await call(ctx, "PATCH", "/api/v1/accounts/update_credentials", user.token, {
      display_name: "Renamed",
      locked: true,
    });
    expect(patched.status).toBe(200);
    const read = await me(user.token);
    expect(read.body).toMatchObject({ display_name: "Renamed", locked: true });
  });

  test("a refusal is not cached: a user confirmed meanwhile gets in at once", async () => {
    const user = await createUserWithToken(ctx, { confirmed: false });
    expect((await me(user.token)).status).toBe(403);
    expect((await me(user.token)).status).toBe(403);
    await ctx.services.db
      .updateTable("users")
      .set({ confirmed_at: new Date() })
      .where("id", "=", user.user.id)
      .execute();
    expect((await me(user.token)).status).toBe(200);
  });
});

describe("TokenCache", () => {
  const good = (id: string, accountId = `a${id}`): AuthInfo =>
    ({
      tokenId: id,
      applicationId: "app",
      scopes: ["read"],
      account: { id: accountId, suspended_at: null },
      user: { confirmed_at: new Date(), approved: true, disabled: false },
    }) as unknown as AuthInfo;

  /** A cache whose control channel is already subscribed. */
  async function listening(pubsub = new MemoryPubSub(), ttl = 1000): Promise<TokenCache> {
    const cache = new TokenCache(ttl, pubsub);
    cache.store("warm-up", good("0"), cache.generation);
    for (let i = 0; i < 10 && cache.size === 0; i++) {
      await new Promise((r) => setTimeout(r, 1));
      cache.store("warm-up", good("0"), cache.generation);
    }
    expect(cache.size).toBe(1);
    return cache;
  }

  test("keeps an entry for the TTL, frozen", async () => {
    const cache = await listening();
    const now = performance.now();
    const info = cache.store("h1", good("1"), cache.generation);
    expect(cache.get("h1", now + 10)).toBe(info);
    expect(Object.isFrozen(info.account)).toBe(true);
    expect(() => {
      (info.scopes as string[]).push("write");
    }).toThrow();
    expect(cache.get("h1", now + 1001)).toBeUndefined();
  });

  test("stores nothing before it listens, nor a lookup older than an eviction", async () => {
    const fresh = new TokenCache(1000, new MemoryPubSub());
    fresh.store("h1", good("1"), fresh.generation);
    expect(fresh.get("h1")).toBeUndefined();
    const cache = await listening();
    const ticket = cache.generation;
    cache.evict({ accountIds: ["someone"] });
    cache.store("h2", good("2"), ticket);
    expect(cache.get("h2")).toBeUndefined();
  });

  test("stores only tokens in good standing, and nothing with a TTL of 0", async () => {
    const cache = await listening();
    const bad: Partial<Record<string, (i: AuthInfo) => void>> = {
      suspended: (i) => Object.assign(i.account!, { suspended_at: new Date() }),
      unconfirmed: (i) => Object.assign(i.user!, { confirmed_at: null }),
      unapproved: (i) => Object.assign(i.user!, { approved: false }),
      disabled: (i) => Object.assign(i.user!, { disabled: true }),
      appToken: (i) => {
        delete i.account;
        delete i.user;
      },
    };
    for (const [name, spoil] of Object.entries(bad)) {
      const info = good(name);
      spoil!(info);
      cache.store(name, info, cache.generation);
      expect(cache.get(name), name).toBeUndefined();
    }
    const off = new TokenCache(0, new MemoryPubSub());
    off.store("h", good("h"), off.generation);
    expect(off.size).toBe(0);
  });

  test("an announcement drops the tokens and accounts named from every cache on the channel", async () => {
    const pubsub = new MemoryPubSub();
    const [here, there] = [await listening(pubsub), await listening(pubsub)];
    for (const cache of [here, there]) {
      cache.store("t1", good("1", "alice"), cache.generation);
      cache.store("t2", good("2", "alice"), cache.generation);
      cache.store("t3", good("3", "bob"), cache.generation);
      cache.store("t4", good("4", "carol"), cache.generation);
    }
    await announceRevocation({ pubsub }, { accountIds: ["alice"], tokenIds: ["3"] });
    await new Promise((r) => setTimeout(r, 5));
    for (const cache of [here, there]) {
      expect(["t1", "t2", "t3", "t4"].map((h) => Boolean(cache.get(h)))).toEqual([
        false,
        false,
        false,
        true,
      ]);
    }
  });
});
