// App registration and verification, token revocation, userinfo and the RFC 8414 metadata.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { ALL_SCOPES } from "../src/auth/scopes.ts";
import {
  api,
  createUser,
  type Json,
  OOB,
  REDIRECT,
  registerApp,
  type TestApp,
  token,
} from "./helpers/oauth.ts";
import { expectResponseSchema, expectSchema } from "./helpers/openapi.ts";
import { createTestContext, type TestContext } from "./helpers/services.ts";

describe("apps, revocation, userinfo, metadata", () => {
  let ctx: TestContext;
  let app: TestApp;

  beforeAll(async () => {
    ctx = await createTestContext();
    app = await registerApp(ctx);
  });
  afterAll(async () => {
    await ctx?.close();
  });

  async function postApp(body: string, type: string): Promise<{ status: number; body: Json }> {
    const res = await ctx.app.request("/api/v1/apps", {
      method: "POST",
      headers: { "content-type": type },
      body,
    });
    return { status: res.status, body: await res.json() };
  }

  const appToken = async (a: TestApp, scope = "read") =>
    (
      await token(ctx, {
        grant_type: "client_credentials",
        client_id: a.client_id,
        client_secret: a.client_secret,
        scope,
      })
    ).body.access_token as string;

  test("POST /api/v1/apps with JSON returns a CredentialApplication", async () => {
    const { status, body } = await postApp(
      JSON.stringify({
        client_name: "Elk",
        redirect_uris: ["https://elk.example/callback", "elk://callback", OOB],
        scopes: "read write follow push",
        website: "https://elk.example",
      }),
      "application/json",
    );
    expect(status).toBe(200);
    expectSchema("CredentialApplication", body);
    expectResponseSchema("POST", "/api/v1/apps", 200, body);
    expect(body).toMatchObject({
      name: "Elk",
      website: "https://elk.example",
      scopes: ["read", "write", "follow", "push"],
      redirect_uris: ["https://elk.example/callback", "elk://callback", OOB],
      redirect_uri: `https://elk.example/callback\nelk://callback\n${OOB}`,
      client_secret_expires_at: 0,
      vapid_key: expect.stringMatching(/^[A-Za-z0-9_-]{87}$/),
    });
    expect(body.client_id).toMatch(/^[\w-]{40,}$/);
    expect(body.client_secret).toMatch(/^[\w-]{40,}$/);
    expect(body.id).toMatch(/^\d+$/);
  });

  test("form body: newline-separated redirect_uris, default scope read, no website", async () => {
    const form = new URLSearchParams({
      client_name: "Script",
      redirect_uris: `${REDIRECT}\n${OOB}`,
      unknown: "ignored",
    });
    const { status, body } = await postApp(form.toString(), "application/x-www-form-urlencoded");
    expect(status).toBe(200);
    expectSchema("CredentialApplication", body);
    expect(body.scopes).toEqual(["read"]);
    expect(body.website).toBeNull();
    expect(body.redirect_uris).toEqual([REDIRECT, OOB]);
  });

  test("multipart with Rails array notation", async () => {
    const form = new FormData();
    form.append("client_name", "Multi");
    form.append("redirect_uris[]", REDIRECT);
    form.append("redirect_uris[]", "https://client.example/two");
    form.append("scopes", "read:statuses write:media profile");
    const res = await ctx.app.request("/api/v1/apps", { method: "POST", body: form });
    const body = await res.json();
    expect(res.status).toBe(200);
    expect(body.redirect_uris).toEqual([REDIRECT, "https://client.example/two"]);
    expect(body.scopes).toEqual(["read:statuses", "write:media", "profile"]);
  });

  test("invalid registrations are 422 with Mastodon's messages", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ redirect_uris: REDIRECT }, "Application name can't be blank"],
      [{ client_name: "x" }, "Redirect URI can't be blank"],
      [{ client_name: "x", redirect_uris: "/relative" }, "Redirect URI must be an absolute URI."],
      [{ client_name: "x", redirect_uris: "javascript:alert(1)" }, "forbidden"],
      [{ client_name: "x", redirect_uris: "https://a.example/#frag" }, "fragment"],
      [{ client_name: "x", redirect_uris: REDIRECT, scopes: "read bogus" }, "Scopes"],
      [{ client_name: "x".repeat(61), redirect_uris: REDIRECT }, "too long"],
      [{ client_name: "x", redirect_uris: REDIRECT, website: "not a url" }, "website"],
    ];
    for (const [input, message] of cases) {
      const { status, body } = await postApp(JSON.stringify(input), "application/json");
      expect(status, JSON.stringify(input)).toBe(422);
      expect(body.error).toMatch(/^Validation failed: /);
      expect(body.error).toContain(message);
    }
  });

  test("verify_credentials: app token and user token, no secret; 401 without", async () => {
    const cc = await appToken(app);
    const res = await api(ctx, "/api/v1/apps/verify_credentials", cc);
    expect(res.status).toBe(200);
    expectSchema("Application", res.body);
    expectResponseSchema("GET", "/api/v1/apps/verify_credentials", 200, res.body);
    expect(res.body).toMatchObject({ id: expect.any(String), name: "Test client" });
    expect(res.body.client_id).toBeUndefined();
    expect(res.body.client_secret).toBeUndefined();

    const user = await createUser(ctx);
    const pw = await token(ctx, {
      grant_type: "password",
      username: user.email,
      password: user.password,
      scope: "profile",
      client_id: app.client_id,
      client_secret: app.client_secret,
    });
    expect((await api(ctx, "/api/v1/apps/verify_credentials", pw.body.access_token)).status).toBe(
      200,
    );
    const none = await api(ctx, "/api/v1/apps/verify_credentials");
    expect(none.status).toBe(401);
    expect(none.body).toEqual({ error: "The access token is invalid" });
    expect((await api(ctx, "/api/v1/apps/verify_credentials", "bogus")).status).toBe(401);
  });

  async function revoke(fields: Record<string, string>, headers: Record<string, string> = {}) {
    const res = await ctx.app.request("/oauth/revoke", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
      body: new URLSearchParams(fields).toString(),
    });
    return { status: res.status, body: await res.json() };
  }

  test("revoke: own token → 200 {} and the token stops working; idempotent", async () => {
    const t = await appToken(app);
    const fields = { token: t, client_id: app.client_id, client_secret: app.client_secret };
    expect(await revoke(fields)).toEqual({ status: 200, body: {} });
    const after = await api(ctx, "/api/v1/apps/verify_credentials", t);
    expect(after.status).toBe(401);
    expect(after.body).toEqual({ error: "The access token is invalid" });
    expect(await revoke(fields)).toEqual({ status: 200, body: {} });
    expect(await revoke({ ...fields, token: "unknown" })).toEqual({ status: 200, body: {} });
  });

  test("revoke with Basic client authentication", async () => {
    const t = await appToken(app);
    const basic = Buffer.from(`${app.client_id}:${app.client_secret}`).toString("base64");
    expect(await revoke({ token: t }, { authorization: `Basic ${basic}` })).toEqual({
      status: 200,
      body: {},
    });
    expect((await api(ctx, "/api/v1/apps/verify_credentials", t)).status).toBe(401);
  });

  test("revoke: another client's token is refused and keeps working", async () => {
    const other = await registerApp(ctx, { client_name: "Other" });
    const t = await appToken(other);
    const res = await revoke({
      token: t,
      client_id: app.client_id,
      client_secret: app.client_secret,
    });
    expect(res.status).toBe(403);
    expect(res.body.error).toBe("unauthorized_client");
    expect((await api(ctx, "/api/v1/apps/verify_credentials", t)).status).toBe(200);
  });

  test("revoke without valid client credentials is 401 invalid_client", async () => {
    const t = await appToken(app);
    const res = await revoke({ token: t, client_id: app.client_id, client_secret: "wrong" });
    expect(res.status).toBe(401);
    expect(res.body.error).toBe("invalid_client");
    expect((await revoke({ token: t })).status).toBe(401);
    expect((await api(ctx, "/api/v1/apps/verify_credentials", t)).status).toBe(200);
  });

  test("userinfo needs the profile scope", async () => {
    const user = await createUser(ctx);
    const get = async (scope: string) =>
      (
        await token(ctx, {
          grant_type: "password",
          username: user.email,
          password: user.password,
          scope,
          client_id: app.client_id,
          client_secret: app.client_secret,
        })
      ).body.access_token as string;
    const withProfile = await api(ctx, "/oauth/userinfo", await get("profile"));
    expect(withProfile.status).toBe(200);
    expect(withProfile.body.preferred_username).toBe(user.account.username);
    const readOnly = await api(ctx, "/oauth/userinfo", await get("read"));
    expect(readOnly.status).toBe(403);
    expect(readOnly.body).toEqual({ error: "This action is outside the authorized scopes" });
    expect((await api(ctx, "/oauth/userinfo")).status).toBe(401);
    const post = await ctx.app.request("/oauth/userinfo", {
      method: "POST",
      headers: { authorization: `Bearer ${await get("profile")}` },
    });
    expect(post.status).toBe(200);
  });

  test("GET /.well-known/oauth-authorization-server", async () => {
    const res = await api(ctx, "/.well-known/oauth-authorization-server");
    expect(res.status).toBe(200);
    expectResponseSchema("GET", "/.well-known/oauth-authorization-server", 200, res.body);
    const base = ctx.config.publicUrl;
    expect(res.body).toEqual({
      issuer: `${base}/`,
      service_documentation: "https://docs.joinmastodon.org/",
      authorization_endpoint: `${base}/oauth/authorize`,
      token_endpoint: `${base}/oauth/token`,
      app_registration_endpoint: `${base}/api/v1/apps`,
      revocation_endpoint: `${base}/oauth/revoke`,
      userinfo_endpoint: `${base}/oauth/userinfo`,
      scopes_supported: [...ALL_SCOPES],
      response_types_supported: ["code"],
      response_modes_supported: ["query", "fragment", "form_post"],
      code_challenge_methods_supported: ["S256"],
      grant_types_supported: ["authorization_code", "password", "client_credentials"],
      token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"],
    });
    const cors = await ctx.app.request("/.well-known/oauth-authorization-server", {
      headers: { origin: "https://elk.example" },
    });
    expect(cors.headers.get("access-control-allow-origin")).toBe("*");
  });
});
