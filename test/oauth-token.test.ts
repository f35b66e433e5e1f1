// POST /oauth/token: every grant type end to end, and each way a request can be wrong. Every
// failure must carry the RFC 6749 error name and issue no token.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  api,
  authorize,
  Browser,
  createUser,
  pkcePair,
  REDIRECT,
  registerApp,
  type TestApp,
  token,
} from "./helpers/oauth.ts";
import { expectSchema } from "./helpers/openapi.ts";
import { createTestContext, type TestContext } from "./helpers/services.ts";

describe("POST /oauth/token", () => {
  let ctx: TestContext;
  let app: TestApp;
  let otherApp: TestApp;
  let browser: Browser;
  let user: Awaited<ReturnType<typeof createUser>>;

  beforeAll(async () => {
    ctx = await createTestContext();
    app = await registerApp(ctx);
    otherApp = await registerApp(ctx, { client_name: "Other" });
    user = await createUser(ctx);
    browser = new Browser(ctx);
    await browser.signIn(user.user.id);
  });
  afterAll(async () => {
    await ctx?.close();
  });

  const creds = (a: TestApp = app) => ({ client_id: a.client_id, client_secret: a.client_secret });

  async function tokenCount(): Promise<number> {
    const rows = await ctx.services.db.selectFrom("oauth_tokens").select("id").execute();
    return rows.length;
  }

  /** Asserts an OAuth error body with no token, and that no token row appeared. */
  async function expectError(
    fields: Record<string, string>,
    error: string,
    status = 400,
    headers: Record<string, string> = {},
  ) {
    const before = await tokenCount();
    const res = await token(ctx, fields, headers);
    expect(res.status, JSON.stringify(res.body)).toBe(status);
    expect(res.body.error).toBe(error);
    expect(typeof res.body.error_description).toBe("string");
    expect(res.body.access_token).toBeUndefined();
    expect(await tokenCount()).toBe(before);
    return res;
  }

  test("authorization_code with client credentials in HTTP Basic", async () => {
    const { code } = await authorize(browser, app, { scope: "read" });
    const basic = Buffer.from(`${app.client_id}:${app.client_secret}`).toString("base64");
    const res = await token(
      ctx,
      { grant_type: "authorization_code", code, redirect_uri: REDIRECT, extra: "ignored" },
      { authorization: `Basic ${basic}` },
    );
    expect(res.status).toBe(200);
    expectSchema("Token", res.body);
    expect(res.body.scope).toBe("read");
  });

  test("authorization_code as a JSON body", async () => {
    const { code } = await authorize(browser, app, { scope: "write" });
    const res = await ctx.app.request("/oauth/token", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        grant_type: "authorization_code",
        code,
        redirect_uri: REDIRECT,
        ...creds(),
        unknown_param: { nested: true },
      }),
    });
    expect(res.status).toBe(200);
    expectSchema("Token", await res.json());
  });

  test("PKCE: wrong verifier is invalid_grant, missing verifier invalid_request", async () => {
    const { verifier, challenge } = pkcePair();
    const { code } = await authorize(browser, app, {
      scope: "read write",
      code_challenge: challenge,
      code_challenge_method: "S256",
    });
    const base = { grant_type: "authorization_code", code, redirect_uri: REDIRECT, ...creds() };
    await expectError({ ...base, code_verifier: pkcePair().verifier }, "invalid_grant");
    await expectError(base, "invalid_request");
    // A failed verifier does not burn the code for its rightful owner.
    const ok = await token(ctx, { ...base, code_verifier: verifier });
    expect(ok.status).toBe(200);
  });

  test("a verifier for a code issued without a challenge is invalid_grant", async () => {
    const { code } = await authorize(browser, app, { scope: "read profile" });
    await expectError(
      {
        grant_type: "authorization_code",
        code,
        redirect_uri: REDIRECT,
        code_verifier: pkcePair().verifier,
        ...creds(),
      },
      "invalid_grant",
    );
  });

  test("a replayed code is invalid_grant and revokes the token it bought", async () => {
    const { code } = await authorize(browser, app, { scope: "write profile" });
    const fields = { grant_type: "authorization_code", code, redirect_uri: REDIRECT, ...creds() };
    const first = await token(ctx, fields);
    expect(first.status).toBe(200);
    expect(
      (await api(ctx, "/api/v1/apps/verify_credentials", first.body.access_token)).status,
    ).toBe(200);
    await expectError(fields, "invalid_grant");
    const after = await api(ctx, "/api/v1/apps/verify_credentials", first.body.access_token);
    expect(after.status).toBe(401);
    expect(after.body).toEqual({ error: "The access token is invalid" });
  });

  test("an expired code is invalid_grant", async () => {
    const { code } = await authorize(browser, app, { scope: "read write profile" });
    await ctx.services.db
      .updateTable("oauth_grants")
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where("used_at", "is", null)
      .execute();
    await expectError(
      { grant_type: "authorization_code", code, redirect_uri: REDIRECT, ...creds() },
      "invalid_grant",
    );
  });

  test("codes expire ten minutes after issue", async () => {
    await authorize(browser, app, { scope: "profile" });
    const grant = await ctx.services.db
      .selectFrom("oauth_grants")
      .selectAll()
      .orderBy("id", "desc")
      .executeTakeFirstOrThrow();
    const ttl = grant.expires_at.getTime() - grant.created_at.getTime();
    expect(Math.abs(ttl - 600_000)).toBeLessThan(5_000);
  });

  test("wrong redirect URI, another client's code, unknown code", async () => {
    const { code } = await authorize(browser, app, { scope: "read" });
    const base = { grant_type: "authorization_code", code, ...creds() };
    await expectError({ ...base, redirect_uri: "https://client.example/other" }, "invalid_grant");
    await expectError(base, "invalid_request");
    await expectError({ ...base, ...creds(otherApp), redirect_uri: REDIRECT }, "invalid_grant");
    await expectError({ ...base, code: "not-a-code", redirect_uri: REDIRECT }, "invalid_grant");
    // None of the failures consumed it.
    expect((await token(ctx, { ...base, redirect_uri: REDIRECT })).status).toBe(200);
  });

  test("client authentication failures are 401 invalid_client", async () => {
    const { code } = await authorize(browser, app, { scope: "read" });
    const base = { grant_type: "authorization_code", code, redirect_uri: REDIRECT };
    const res = await expectError(
      { ...base, client_id: app.client_id, client_secret: "wrong" },
      "invalid_client",
      401,
    );
    expect(res.res.headers.get("www-authenticate")).toContain("invalid_client");
    await expectError({ ...base, client_id: app.client_id }, "invalid_client", 401);
    await expectError({ ...base, client_id: "nope", client_secret: "x" }, "invalid_client", 401);
    const badBasic = Buffer.from(`${app.client_id}:nope`).toString("base64");
    await expectError(base, "invalid_client", 401, { authorization: `Basic ${badBasic}` });
    await expectError(
      { grant_type: "client_credentials", client_id: app.client_id, client_secret: "" },
      "invalid_client",
      401,
    );
  });

  test("password grant: email and password of a confirmed user", async () => {
    const res = await token(ctx, {
      grant_type: "password",
      username: user.email.toUpperCase(),
      password: user.password,
      scope: "read write",
      ...creds(),
    });
    expect(res.status).toBe(200);
    expectSchema("Token", res.body);
    expect(res.body.scope).toBe("read write");
    const info = await api(ctx, "/api/v1/apps/verify_credentials", res.body.access_token);
    expect(info.status).toBe(200);
  });

  test("password grant: default scope is read", async () => {
    const res = await token(ctx, {
      grant_type: "password",
      username: user.email,
      password: user.password,
      ...creds(),
    });
    expect(res.status).toBe(200);
    expect(res.body.scope).toBe("read");
  });

  test("password grant failures are invalid_grant; scope escalation invalid_scope", async () => {
    const base = { grant_type: "password", ...creds() };
    await expectError(
      { ...base, username: user.email, password: "wrong password" },
      "invalid_grant",
    );
    await expectError({ ...base, username: "nobody@example.com", password: "x" }, "invalid_grant");
    await expectError({ ...base, username: user.email }, "invalid_grant");
    const unconfirmed = await createUser(ctx, { confirmed: false });
    await expectError(
      { ...base, username: unconfirmed.email, password: unconfirmed.password },
      "invalid_grant",
    );
    const pending = await createUser(ctx, { approved: false });
    await expectError(
      { ...base, username: pending.email, password: pending.password },
      "invalid_grant",
    );
    await expectError(
      { ...base, username: user.email, password: user.password, scope: "read admin:read" },
      "invalid_scope",
    );
  });

  test("client_credentials: an app token without a user", async () => {
    const res = await token(ctx, { grant_type: "client_credentials", scope: "write", ...creds() });
    expect(res.status).toBe(200);
    expectSchema("Token", res.body);
    expect(res.body.scope).toBe("write");
    const row = await ctx.services.db
      .selectFrom("oauth_tokens")
      .selectAll()
      .orderBy("id", "desc")
      .executeTakeFirstOrThrow();
    expect(row.account_id).toBeNull();
    const info = await api(ctx, "/api/v1/apps/verify_credentials", res.body.access_token);
    expect(info.status).toBe(200);
    expect(info.body.client_secret).toBeUndefined();
    // An app token has no user behind it: Mastodon's require_user! answers 422.
    const profile = await token(ctx, {
      grant_type: "client_credentials",
      scope: "profile",
      ...creds(),
    });
    const info2 = await api(ctx, "/oauth/userinfo", profile.body.access_token);
    expect(info2.status).toBe(422);
  });

  test("client_credentials scope escalation is invalid_scope", async () => {
    const base = { grant_type: "client_credentials", ...creds() };
    await expectError({ ...base, scope: "read follow" }, "invalid_scope");
    await expectError({ ...base, scope: "read:statuses" }, "invalid_scope");
    await expectError({ ...base, scope: "nonsense" }, "invalid_scope");
    const writeOnly = await registerApp(ctx, { scopes: "write" });
    // Mastodon's default scope is read, which this app did not register.
    await expectError({ grant_type: "client_credentials", ...creds(writeOnly) }, "invalid_scope");
  });

  test("grant_type missing or unsupported", async () => {
    await expectError({ ...creds() }, "invalid_request");
    await expectError(
      { grant_type: "refresh_token", refresh_token: "x", ...creds() },
      "unsupported_grant_type",
    );
    await expectError({ grant_type: "implicit", ...creds() }, "unsupported_grant_type");
  });

  test("a malformed JSON body is invalid_request", async () => {
    const res = await ctx.app.request("/oauth/token", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{nope",
    });
    expect(res.status).toBe(400);
    expect((await res.json()).error).toBe("invalid_request");
  });
});
