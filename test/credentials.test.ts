import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLocalUser } from "../src/accounts/local-account-service.ts";
import { serializeAccount } from "../src/accounts/serializers.ts";
import type { AccountRow } from "../src/auth/middleware.ts";
import type { Role } from "../src/infra/db/schema.ts";
import { newId } from "../src/infra/ids.ts";
import { issueAccessToken } from "../src/oauth/access-tokens.ts";
import { expectSchema } from "./helpers/openapi.ts";
import { createTestContext, type TestContext } from "./helpers/services.ts";

let ctx: TestContext;
let applicationId: string;

beforeAll(async () => {
  ctx = await createTestContext();
  applicationId = newId();
  await ctx.services.db
    .insertInto("oauth_applications")
    .values({
      id: applicationId,
      name: "Test app",
      redirect_uris: JSON.stringify(["urn:ietf:wg:oauth:2.0:oob"]),
      scopes: "read write follow push",
      client_id: randomBytes(16).toString("hex"),
      client_secret: randomBytes(16).toString("hex"),
    })
    .execute();
}, 60_000);

afterAll(async () => {
  await ctx?.close();
});

let counter = 0;
async function userWithToken(
  options: { role?: Role; confirmed?: boolean; scopes?: string[] } = {},
) {
  counter += 1;
  const username = `user${counter}`;
  const { account, user } = await createLocalUser(ctx.services.db, ctx.config, {
    username,
    email: `${username}@example.com`,
    password: "correct horse battery staple",
    role: options.role,
    confirmed: options.confirmed ?? true,
  });
  const token = await issueAccessToken(ctx.services.db, {
    applicationId,
    accountId: account.id,
    scopes: options.scopes ?? ["read", "write"],
  });
  return { account, user, token: token.access_token };
}

function verify(token?: string) {
  return ctx.app.request("/api/v1/accounts/verify_credentials", {
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });
}

describe("GET /api/v1/accounts/verify_credentials", () => {
  it("returns a CredentialAccount", async () => {
    const { account, token } = await userWithToken();
    const res = await verify(token);
    expect(res.status).toBe(200);
    const body = await res.json();
    expectSchema("CredentialAccount", body);
    const base = ctx.config.publicUrl;
    expect(body).toMatchObject({
      id: account.id,
      username: account.username,
      acct: account.username,
      url: `${base}/@${account.username}`,
      uri: `${base}/users/${account.username}`,
      avatar: `${base}/avatars/original/missing.png`,
      header: `${base}/headers/original/missing.png`,
      emojis: [],
      fields: [],
      roles: [],
      noindex: false,
      last_status_at: null,
      source: {
        privacy: "public",
        sensitive: false,
        language: null,
        note: "",
        fields: [],
        follow_requests_count: 0,
        attribution_domains: [],
      },
      role: { id: "-99", name: "", permissions: "65536", color: "", highlighted: false },
    });
    // Mastodon shows the sign-up day only.
    expect(body.created_at).toMatch(/^\d{4}-\d\d-\d\dT00:00:00\.000Z$/);
  });

  it("shows the user's role", async () => {
    const { token } = await userWithToken({ role: "admin" });
    const body = await (await verify(token)).json();
    expectSchema("CredentialAccount", body);
    expect(body.role).toMatchObject({ id: "2", name: "Admin" });
    expect(BigInt(body.role.permissions) & 0x400n).toBe(0x400n);
  });

  it("reflects posting defaults from the user's settings", async () => {
    const { user, token } = await userWithToken();
    await ctx.services.db
      .updateTable("users")
      .set({
        settings: JSON.stringify({
          default_privacy: "unlisted",
          default_sensitive: true,
          default_language: "de",
        }),
      })
      .where("id", "=", user.id)
      .execute();
    const body = await (await verify(token)).json();
    expectSchema("CredentialAccount", body);
    expect(body.source).toMatchObject({ privacy: "unlisted", sensitive: true, language: "de" });
  });

  it("renders the bio as HTML and keeps the plain text in source", async () => {
    const { account, token } = await userWithToken();
    const note = "Hello <world>\n\nSee https://example.com/about";
    await ctx.services.db
      .updateTable("accounts")
      .set({
        note,
        fields: JSON.stringify([{ name: "Site", value: "https://example.com", verified_at: null }]),
      })
      .where("id", "=", account.id)
      .execute();
    const body = await (await verify(token)).json();
    expectSchema("CredentialAccount", body);
    expect(body.source.note).toBe(note);
    expect(body.note).toMatch(
      /^<p>Hello &lt;world&gt;<\/p><p>See <a href="https:\/\/example.com\/about"/,
    );
    expect(body.fields[0].value).toContain('href="https://example.com"');
    expect(body.source.fields[0]).toEqual({
      name: "Site",
      value: "https://example.com",
      verified_at: null,
    });
  });

  it("accepts read:accounts and profile tokens", async () => {
    for (const scope of ["read:accounts", "profile"]) {
      const { token } = await userWithToken({ scopes: [scope] });
      expect((await verify(token)).status).toBe(200);
    }
  });

  it("answers 401 without a token or with an unknown one", async () => {
    const res = await verify();
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: "The access token is invalid" });
    expect((await verify("nope")).status).toBe(401);
  });

  it("answers 403 for a token without a read scope", async () => {
    const { token } = await userWithToken({ scopes: ["write:statuses"] });
    const res = await verify(token);
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: "This action is outside the authorized scopes" });
  });

  it("answers 403 for an unconfirmed user", async () => {
    const { token } = await userWithToken({ confirmed: false });
    const res = await verify(token);
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({
      error: "Your login is missing a confirmed e-mail address",
    });
  });
});

describe("serializeAccount", () => {
  const remote = {
    id: "42",
    username: "alice",
    domain: "remote.example",
    display_name: "Alice",
    note: "<p>Hi</p>",
    uri: "https://remote.example/users/alice",
    url: null,
    avatar_url: "https://remote.example/a.png",
    header_url: null,
    locked: false,
    bot: false,
    group: false,
    discoverable: true,
    indexable: true,
    hide_collections: false,
    fields: [],
    moved_to_account_id: null,
    followers_count: 3,
    following_count: 4,
    statuses_count: 5,
    last_status_at: new Date("2024-05-06T07:08:09Z"),
    suspended_at: null,
    silenced_at: null,
    created_at: new Date("2020-01-02T03:04:05Z"),
  } as unknown as AccountRow;

  it("renders a remote account as an Account entity", () => {
    const body = serializeAccount(remote, ctx.config);
    expectSchema("Account", body);
    expect(body).toMatchObject({
      acct: "alice@remote.example",
      note: "<p>Hi</p>",
      url: "https://remote.example/users/alice",
      avatar: "https://remote.example/a.png",
      header: `${ctx.config.publicUrl}/headers/original/missing.png`,
      last_status_at: "2024-05-06",
      created_at: "2020-01-02T00:00:00.000Z",
      roles: [],
    });
    expect(body).not.toHaveProperty("noindex");
    expect(body).not.toHaveProperty("suspended");
  });

  it("hides a suspended account's profile and flags limited ones", () => {
    const suspended = serializeAccount(
      { ...remote, suspended_at: new Date() } as AccountRow,
      ctx.config,
    );
    expectSchema("Account", suspended);
    expect(suspended).toMatchObject({ suspended: true, display_name: "", note: "", fields: [] });
    const limited = serializeAccount(
      { ...remote, silenced_at: new Date() } as AccountRow,
      ctx.config,
    );
    expect(limited.limited).toBe(true);
  });

  it("includes the account moved to", () => {
    const moved = serializeAccount(
      { ...remote, moved_to_account_id: "43" } as AccountRow,
      ctx.config,
      { moved: { ...remote, id: "43", username: "alice2" } as AccountRow },
    );
    expectSchema("Account", moved);
    expect(moved.moved).toMatchObject({ id: "43", acct: "alice2@remote.example" });
  });
});

describe("placeholder images", () => {
  it("serves the missing avatar and header as cacheable PNGs", async () => {
    for (const path of ["/avatars/original/missing.png", "/headers/original/missing.png"]) {
      const res = await ctx.app.request(path);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toBe("image/png");
      expect(res.headers.get("cache-control")).toContain("max-age=31536000");
      const bytes = new Uint8Array(await res.arrayBuffer());
      expect([...bytes.slice(1, 4)]).toEqual([0x50, 0x4e, 0x47]); // "PNG"
    }
  });
});
