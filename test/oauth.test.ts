// The authorization code flow through its HTML pages: sign-in redirect, consent form with
// CSRF, approve/deny, out-of-band codes, PKCE, and the errors that must never redirect.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import {
  api,
  authorize,
  authorizeUrl,
  Browser,
  createUser,
  formFields,
  OOB,
  pkcePair,
  REDIRECT,
  registerApp,
  type TestApp,
  token,
} from "./helpers/oauth.ts";
import { expectSchema } from "./helpers/openapi.ts";
import { createTestContext, type TestContext } from "./helpers/services.ts";

describe("OAuth authorization code flow", () => {
  let ctx: TestContext;
  let app: TestApp;
  let user: Awaited<ReturnType<typeof createUser>>;
  let browser: Browser;

  beforeAll(async () => {
    ctx = await createTestContext();
    app = await registerApp(ctx);
    user = await createUser(ctx);
    browser = new Browser(ctx);
    await browser.signIn(user.user.id);
  });
  afterAll(async () => {
    await ctx?.close();
  });

  // A user who has authorized nothing yet, so the consent page is always shown.
  async function freshBrowser(): Promise<Browser> {
    const b = new Browser(ctx);
    await b.signIn((await createUser(ctx)).user.id);
    return b;
  }

  test("without a session, authorize sends the browser to sign in and back", async () => {
    const url = authorizeUrl(app, { scope: "read write" });
    const res = await new Browser(ctx).request(url);
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get("location")!, "http://x");
    expect(location.pathname).toBe("/auth/sign_in");
    expect(location.searchParams.get("return_to")).toBe(url);
  });

  test("through the real sign-in form and back to the consent page", async () => {
    const someone = await createUser(ctx);
    const b = new Browser(ctx);
    const url = authorizeUrl(app, { scope: "read write" });
    const toSignIn = await b.request(url);
    const signInPath = toSignIn.headers.get("location")!;
    const form = await b.request(signInPath);
    expect(form.status).toBe(200);
    const html = await form.text();
    const hidden = Object.fromEntries(
      [...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [
        m[1]!,
        m[2]!.replaceAll("&amp;", "&"),
      ]),
    );
    expect(hidden.return_to).toBe(url);
    const signedIn = await b.postForm("/auth/sign_in", {
      ...hidden,
      email: someone.email,
      password: someone.password,
    });
    expect(signedIn.status).toBe(302);
    expect(signedIn.headers.get("location")).toBe(url);
    const consent = await b.request(url);
    expect(consent.status).toBe(200);
    expect(await consent.text()).toContain(`@${someone.account.username}`);
  });

  test("consent page, approve, PKCE exchange, then the token works", async () => {
    const { verifier, challenge } = pkcePair();
    const params = {
      scope: "read write profile",
      state: "st@te 1",
      code_challenge: challenge,
      code_challenge_method: "S256",
    };
    const page = await browser.request(authorizeUrl(app, params));
    expect(page.status).toBe(200);
    expect(page.headers.get("cache-control")).toContain("no-store");
    const html = await page.text();
    expect(html).toContain("Test client");
    expect(html).toContain(`@${user.account.username}`);
    for (const s of ["read", "write", "profile"]) expect(html).toContain(`<code>${s}</code>`);
    expect(html).toContain('name="authenticity_token"');

    const res = await browser.postForm("/oauth/authorize", formFields(html, "approve"));
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get("location")!);
    expect(`${location.origin}${location.pathname}`).toBe(REDIRECT);
    expect(location.searchParams.get("state")).toBe("st@te 1");
    const code = location.searchParams.get("code")!;
    expect(code).toMatch(/^[\w-]{40,}$/);

    const {
      status,
      body,
      res: tokenRes,
    } = await token(ctx, {
      grant_type: "authorization_code",
      code,
      redirect_uri: REDIRECT,
      client_id: app.client_id,
      client_secret: app.client_secret,
      code_verifier: verifier,
    });
    expect(status).toBe(200);
    expect(tokenRes.headers.get("cache-control")).toBe("no-store");
    expectSchema("Token", body);
    expect(body).toMatchObject({ token_type: "Bearer", scope: "read write profile" });
    expect(Math.abs(body.created_at - Date.now() / 1000)).toBeLessThan(60);

    const creds = await api(ctx, "/api/v1/apps/verify_credentials", body.access_token);
    expect(creds.status).toBe(200);
    expectSchema("Application", creds.body);
    expect(creds.body.name).toBe("Test client");

    const info = await api(ctx, "/oauth/userinfo", body.access_token);
    expect(info.status).toBe(200);
    expect(info.body).toEqual({
      iss: `${ctx.config.publicUrl}/`,
      sub: user.account.uri,
      name: user.account.display_name,
      preferred_username: user.account.username,
      profile: user.account.url,
      picture: `${ctx.config.publicUrl}/avatars/original/missing.png`,
    });

    // The code was spent; the store holds only hashes.
    const grants = await ctx.services.db.selectFrom("oauth_grants").selectAll().execute();
    expect(grants.some((g) => g.code_hash === code)).toBe(false);
    const tokens = await ctx.services.db.selectFrom("oauth_tokens").selectAll().execute();
    expect(tokens.some((t) => t.token_hash === body.access_token)).toBe(false);
  });

  test("the consent page drops form-action from its CSP so the redirect can leave", async () => {
    const page = await browser.request(authorizeUrl(app, { scope: "write" }));
    const csp = page.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain("form-action");
  });

  test("deny redirects with access_denied and the state, and issues no code", async () => {
    const page = await browser.request(authorizeUrl(app, { scope: "write", state: "s2" }));
    const res = await browser.postForm("/oauth/authorize", formFields(await page.text(), "deny"));
    expect(res.status).toBe(302);
    const location = new URL(res.headers.get("location")!);
    expect(location.searchParams.get("error")).toBe("access_denied");
    expect(location.searchParams.get("state")).toBe("s2");
    expect(location.searchParams.has("code")).toBe(false);
  });

  test("posting the form without the CSRF token is refused", async () => {
    const page = await browser.request(authorizeUrl(app, { scope: "write" }));
    const fields = formFields(await page.text(), "approve");
    fields.authenticity_token = "forged";
    const res = await browser.postForm("/oauth/authorize", fields);
    expect(res.status).toBe(403);
    expect(res.headers.get("location")).toBeNull();
  });

  test("out-of-band redirect URI shows the code on a page", async () => {
    const page = await browser.request(authorizeUrl(app, { redirect_uri: OOB, scope: "write" }));
    const res = await browser.postForm(
      "/oauth/authorize",
      formFields(await page.text(), "approve"),
    );
    expect(res.status).toBe(200);
    const code = (await res.text()).match(/<code id="authorization_code">([^<]+)<\/code>/)?.[1];
    expect(code).toBeTruthy();
    const { status, body } = await token(ctx, {
      grant_type: "authorization_code",
      code: code!,
      redirect_uri: OOB,
      client_id: app.client_id,
      client_secret: app.client_secret,
    });
    expect(status).toBe(200);
    expect(body.scope).toBe("write");
  });

  test("an already authorized app with the same scopes skips the consent page", async () => {
    const other = await createUser(ctx);
    const b = new Browser(ctx);
    await b.signIn(other.user.id);
    const { code } = await authorize(b, app, { scope: "read profile" });
    const first = await token(ctx, {
      grant_type: "authorization_code",
      code,
      redirect_uri: REDIRECT,
      client_id: app.client_id,
      client_secret: app.client_secret,
    });
    expect(first.status).toBe(200);
    const again = await b.request(authorizeUrl(app, { scope: "profile read" }));
    expect(again.status).toBe(302);
    expect(new URL(again.headers.get("location")!).searchParams.get("code")).toBeTruthy();
    // force_login signs the browser out and asks for a login, never looping back to itself.
    const forced = await b.request(authorizeUrl(app, { scope: "read profile", force_login: "1" }));
    expect(forced.status).toBe(302);
    const signIn = new URL(forced.headers.get("location")!, "http://x");
    expect(signIn.pathname).toBe("/auth/sign_in");
    expect(signIn.searchParams.get("return_to")).not.toContain("force_login");
    expect(b.cookies.has("roost_session")).toBe(false);
  });

  test("unknown client or unregistered redirect URI shows an error page, never redirects", async () => {
    const badClient = await browser.request(authorizeUrl({ ...app, client_id: "nope" }));
    expect(badClient.status).toBe(400);
    expect(badClient.headers.get("location")).toBeNull();
    expect(await badClient.text()).toContain("invalid_client");

    const badUri = await browser.request(
      authorizeUrl(app, { redirect_uri: "https://evil.example/cb" }),
    );
    expect(badUri.status).toBe(400);
    expect(badUri.headers.get("location")).toBeNull();
    expect(await badUri.text()).toContain("invalid_redirect_uri");

    const b = await freshBrowser();
    const posted = await b.postForm("/oauth/authorize", {
      ...formFields(await (await b.request(authorizeUrl(app))).text(), "approve"),
      redirect_uri: "https://evil.example/cb",
    });
    expect(posted.status).toBe(400);
    expect(posted.headers.get("location")).toBeNull();
  });

  test("request errors go back to the client with the state", async () => {
    const cases: [Record<string, string>, string][] = [
      [{ scope: "read admin:write" }, "invalid_scope"],
      [{ scope: "read:statuses" }, "invalid_scope"],
      [{ scope: "bogus" }, "invalid_scope"],
      [{ response_type: "token" }, "unsupported_response_type"],
      [{ code_challenge: "abc", code_challenge_method: "plain" }, "invalid_request"],
    ];
    for (const [params, error] of cases) {
      const res = await browser.request(authorizeUrl(app, { state: "k", ...params }));
      expect(res.status, JSON.stringify(params)).toBe(302);
      const location = new URL(res.headers.get("location")!);
      expect(location.searchParams.get("error"), JSON.stringify(params)).toBe(error);
      expect(location.searchParams.get("error_description")).toBeTruthy();
      expect(location.searchParams.get("state")).toBe("k");
    }
  });

  test("fragment response mode puts the code in the fragment", async () => {
    const b = await freshBrowser();
    const page = await b.request(authorizeUrl(app, { scope: "write", response_mode: "fragment" }));
    const res = await b.postForm("/oauth/authorize", formFields(await page.text(), "approve"));
    const location = new URL(res.headers.get("location")!);
    expect(location.search).toBe("");
    expect(new URLSearchParams(location.hash.slice(1)).get("code")).toBeTruthy();
  });

  test("a user who may not sign in cannot authorize", async () => {
    const pending = await createUser(ctx, { confirmed: false });
    const b = new Browser(ctx);
    await b.signIn(pending.user.id);
    const res = await b.request(authorizeUrl(app));
    expect(res.status).toBe(403);
    expect(res.headers.get("location")).toBeNull();
  });
});
