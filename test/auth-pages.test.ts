// The server-rendered account pages through their HTML forms: sign-in with return_to,
// CSRF, sign-up and confirmation, password reset by the mailed link, email change, and the
// login and reset throttles.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { issueAccessToken } from "../src/oauth/access-tokens.ts";
import {
  appToken,
  Browser,
  confirmedUser,
  csrfFrom,
  linkPath,
  readMails,
  waitForMail,
} from "./helpers/auth-flow.ts";
import { awayFromWindowEdge } from "./helpers/rate-windows.ts";
import { createTestContext, type TestContext } from "./helpers/services.ts";

describe("auth pages", () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext({ INSTANCE_TITLE: "Birdhouse" }, { workers: true });
  });
  afterAll(async () => {
    await ctx?.close();
  });

  it("serves a landing page with sign-in and sign-up links", async () => {
    const res = await ctx.app.request("/");
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain("<h1>Birdhouse</h1>");
    expect(html).toContain('href="/auth/sign_in"');
    expect(html).toContain('href="/auth/sign_up"');
  });

  it("signs in and returns to a same-site return_to", async () => {
    const { email, password } = await confirmedUser(ctx, "alice");
    const browser = new Browser(ctx);
    const page = await browser.get("/auth/sign_in?return_to=%2Foauth%2Fauthorize%3Fclient_id%3Dx");
    expect(page.status).toBe(200);
    expect(page.headers.get("cache-control")).toBe("no-store");
    const form = await page.text();
    expect(form).toContain('name="return_to" value="/oauth/authorize?client_id=x"');
    expect(form).not.toContain("<script");

    const wrong = await browser.submit("/auth/sign_in", "/auth/sign_in", {
      email,
      password: "not the password",
      return_to: "/oauth/authorize?client_id=x",
    });
    expect(wrong.status).toBe(422);
    expect(await wrong.text()).toContain("Invalid email or password.");
    expect(browser.cookies.has("roost_session")).toBe(false);

    const ok = await browser.submit("/auth/sign_in", "/auth/sign_in", {
      email: email.toUpperCase(),
      password,
      return_to: "/oauth/authorize?client_id=x",
    });
    expect(ok.status).toBe(302);
    expect(ok.headers.get("location")).toBe("/oauth/authorize?client_id=x");
    expect(browser.cookies.has("roost_session")).toBe(true);
    const session = ok.headers.getSetCookie().find((c) => c.startsWith("roost_session="));
    expect(session).toMatch(/HttpOnly/i);
    expect(session).toMatch(/SameSite=Lax/i);

    const home = await browser.get("/");
    expect(await home.text()).toContain("Signed in as <strong>@alice</strong>");
    // Already signed in: the sign-in page passes straight through to return_to.
    const through = await browser.get("/auth/sign_in?return_to=%2Fauth%2Fsettings");
    expect(through.status).toBe(302);
    expect(through.headers.get("location")).toBe("/auth/settings");

    const out = await browser.submit("/", "/auth/sign_out", {});
    expect(out.status).toBe(302);
    expect(browser.cookies.has("roost_session")).toBe(false);
    expect(await (await browser.get("/")).text()).not.toContain("Signed in as");
  });

  it("ignores return_to values that leave the site", async () => {
    const { email, password } = await confirmedUser(ctx, "bob");
    for (const target of ["//evil.example/x", "https://evil.example/", "/\\evil.example", "x"]) {
      const browser = new Browser(ctx);
      const res = await browser.submit("/auth/sign_in", "/auth/sign_in", {
        email,
        password,
        return_to: target,
      });
      expect(res.status).toBe(302);
      expect(res.headers.get("location")).toBe("/");
    }
  });

  it("refuses forms without a valid CSRF token", async () => {
    const { email, password } = await confirmedUser(ctx, "carol");
    const browser = new Browser(ctx);
    const missing = await browser.submit(
      "/auth/sign_in",
      "/auth/sign_in",
      { email, password },
      { csrf: false },
    );
    expect(missing.status).toBe(403);
    const forged = await browser.submit(
      "/auth/sign_in",
      "/auth/sign_in",
      { email, password, authenticity_token: "forged" },
      { csrf: false },
    );
    expect(forged.status).toBe(403);
    // Another browser's token does not work either.
    const other = new Browser(ctx);
    const page = await other.get("/auth/sign_up");
    const token = /name="authenticity_token" value="([^"]+)"/.exec(await page.text())![1]!;
    await browser.get("/auth/sign_in");
    const stolen = await browser.post(
      "/auth/sign_in",
      new URLSearchParams({ email, password, authenticity_token: token }),
    );
    expect(stolen.status).toBe(403);
    expect(browser.cookies.has("roost_session")).toBe(false);
  });

  it("signs up through the form and confirms by the mailed link", async () => {
    const browser = new Browser(ctx);
    const noAgreement = await browser.submit("/auth/sign_up", "/auth/sign_up", {
      username: "dave",
      email: "dave@example.com",
      password: "a good password",
      password_confirmation: "a good password",
    });
    expect(noAgreement.status).toBe(422);
    expect(await noAgreement.text()).toContain("Agreement must be accepted");

    const mismatch = await browser.submit("/auth/sign_up", "/auth/sign_up", {
      username: "dave",
      email: "dave@example.com",
      password: "a good password",
      password_confirmation: "another password",
      agreement: "1",
    });
    expect(mismatch.status).toBe(422);

    const res = await browser.submit("/auth/sign_up", "/auth/sign_up", {
      username: "dave",
      email: "dave@example.com",
      password: "a good password",
      password_confirmation: "a good password",
      agreement: "1",
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("Check your inbox");

    const mail = await waitForMail(ctx, "dave@example.com");
    const confirmed = await browser.get(linkPath(mail, "/auth/confirmation"));
    expect(confirmed.status).toBe(200);
    expect(await confirmed.text()).toContain("Your email address has been confirmed.");
    const bad = await browser.get("/auth/confirmation?confirmation_token=nope");
    expect(bad.status).toBe(404);
  });

  it("resets a password through the mailed link", async () => {
    const { email, password, account } = await confirmedUser(ctx, "erin");
    const { applicationId } = await appToken(ctx);
    const apiToken = await issueAccessToken(ctx.services.db, {
      applicationId,
      accountId: account.id,
      scopes: ["read"],
    });
    const signedIn = new Browser(ctx);
    await signedIn.submit("/auth/sign_in", "/auth/sign_in", { email, password });
    expect(signedIn.cookies.has("roost_session")).toBe(true);

    // Known and unknown addresses get the same answer.
    const browser = new Browser(ctx);
    const unknown = await browser.submit("/auth/password/new", "/auth/password/new", {
      email: "nobody@example.com",
    });
    const known = await browser.submit("/auth/password/new", "/auth/password/new", { email });
    expect(unknown.status).toBe(200);
    expect(known.status).toBe(200);
    const strip = (html: string) => html.replace(/value="[^"]*"/g, "");
    expect(strip(await known.text())).toBe(strip(await unknown.text()));

    const mail = await waitForMail(ctx, email);
    expect(mail.subject).toContain("Reset your password");
    const link = linkPath(mail, "/auth/password/edit");
    const form = await browser.get(link);
    expect(form.status).toBe(200);
    const token = new URL(link, "http://x").searchParams.get("reset_password_token")!;

    const short = await browser.submit(link, "/auth/password/edit", {
      reset_password_token: token,
      password: "short",
      password_confirmation: "short",
    });
    expect(short.status).toBe(422);
    expect(await short.text()).toContain("Password is too short");

    const done = await browser.submit(link, "/auth/password/edit", {
      reset_password_token: token,
      password: "a brand new password",
      password_confirmation: "a brand new password",
    });
    expect(done.status).toBe(200);
    expect(await done.text()).toContain("Your password has been changed.");

    // The link is spent; the old password, token and session are gone.
    expect((await browser.get(link)).status).toBe(404);
    const reuse = await browser.submit("/auth/password/new", "/auth/password/edit", {
      reset_password_token: token,
      password: "yet another password",
      password_confirmation: "yet another password",
    });
    expect(reuse.status).toBe(404);
    const old = await new Browser(ctx).submit("/auth/sign_in", "/auth/sign_in", {
      email,
      password,
    });
    expect(old.status).toBe(422);
    const fresh = await new Browser(ctx).submit("/auth/sign_in", "/auth/sign_in", {
      email,
      password: "a brand new password",
    });
    expect(fresh.status).toBe(302);
    const api = await ctx.app.request("/api/v1/emails/confirmations", {
      method: "POST",
      headers: { authorization: `Bearer ${apiToken.access_token}` },
    });
    expect(api.status).toBe(401);
    expect(await (await signedIn.get("/")).text()).not.toContain("Signed in as");
  });

  it("changes the email only once the new address is confirmed", async () => {
    const { email, password, user } = await confirmedUser(ctx, "frank");
    const browser = new Browser(ctx);
    expect((await browser.get("/auth/settings")).headers.get("location")).toBe(
      "/auth/sign_in?return_to=%2Fauth%2Fsettings",
    );
    await browser.submit("/auth/sign_in", "/auth/sign_in", { email, password });

    const wrong = await browser.submit("/auth/settings", "/auth/settings", {
      email: "frank.new@example.com",
      current_password: "wrong password",
    });
    expect(wrong.status).toBe(422);
    expect(await wrong.text()).toContain("Current password is invalid");

    const taken = await browser.submit("/auth/settings", "/auth/settings", {
      email: "alice@example.com",
      current_password: password,
    });
    expect(taken.status).toBe(422);
    expect(await taken.text()).toContain("Email has already been taken");

    const ok = await browser.submit("/auth/settings", "/auth/settings", {
      email: "frank.new@example.com",
      current_password: password,
    });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain(
      "Waiting for confirmation of <code>frank.new@example.com</code>",
    );
    const before = await ctx.services.db
      .selectFrom("users")
      .select(["email", "unconfirmed_email"])
      .where("id", "=", user.id)
      .executeTakeFirstOrThrow();
    expect(before).toEqual({ email, unconfirmed_email: "frank.new@example.com" });
    expect(
      readMails(ctx).some((m) => m.to.includes(email) && m.subject.includes("new email")),
    ).toBe(false);

    const mail = await waitForMail(ctx, "frank.new@example.com");
    expect(mail.subject).toContain("Confirm your new email address");
    const confirmed = await browser.get(linkPath(mail, "/auth/confirmation"));
    expect(confirmed.status).toBe(200);
    expect(await confirmed.text()).toContain("Your email address is now frank.new@example.com.");
    const after = await ctx.services.db
      .selectFrom("users")
      .select(["email", "unconfirmed_email"])
      .where("id", "=", user.id)
      .executeTakeFirstOrThrow();
    expect(after).toEqual({ email: "frank.new@example.com", unconfirmed_email: null });
  });

  it("shows a closed page when registrations are closed", async () => {
    const { setInstanceSetting } = await import("../src/instance/settings.ts");
    await setInstanceSetting(ctx.services.db, "registrations", "closed");
    const page = await ctx.app.request("/auth/sign_up");
    expect(page.status).toBe(403);
    expect(await page.text()).toContain("Registrations are closed");
    expect(await (await ctx.app.request("/")).text()).not.toContain('href="/auth/sign_up"');
    await setInstanceSetting(ctx.services.db, "registrations", "open");
  });
});

describe("throttles", () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext({ TRUST_PROXY: "true", RATE_LIMIT_EXEMPT_LOOPBACK: "false" });
  });
  afterAll(async () => {
    await ctx?.close();
  });

  it("allows 25 sign-in attempts per IP in 5 minutes", async () => {
    await awayFromWindowEdge(5 * 60_000);
    const { email, password } = await confirmedUser(ctx, "gina");
    const attacker = new Browser(ctx, { "x-forwarded-for": "198.51.100.1" });
    const csrf = csrfFrom(await (await attacker.get("/auth/sign_in")).text());
    for (let i = 0; i < 25; i++) {
      const res = await attacker.post(
        "/auth/sign_in",
        new URLSearchParams({
          email: `guess${i}@example.com`,
          password: "guess",
          authenticity_token: csrf,
        }),
      );
      expect(res.status).toBe(422);
    }
    const blocked = await attacker.submit("/auth/sign_in", "/auth/sign_in", { email, password });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(await blocked.text()).toContain("Too many attempts");

    const elsewhere = new Browser(ctx, { "x-forwarded-for": "198.51.100.2" });
    const ok = await elsewhere.submit("/auth/sign_in", "/auth/sign_in", { email, password });
    expect(ok.status).toBe(302);
  }, 60_000);

  it("allows 5 password reset requests per address in 30 minutes", async () => {
    await awayFromWindowEdge(30 * 60_000);
    const { email } = await confirmedUser(ctx, "hank");
    for (let i = 0; i < 5; i++) {
      // A different IP each time: the limit follows the address.
      const browser = new Browser(ctx, { "x-forwarded-for": `192.0.2.${i + 1}` });
      const res = await browser.submit("/auth/password/new", "/auth/password/new", { email });
      expect(res.status).toBe(200);
    }
    const browser = new Browser(ctx, { "x-forwarded-for": "192.0.2.99" });
    const blocked = await browser.submit("/auth/password/new", "/auth/password/new", {
      email: email.toUpperCase(),
    });
    expect(blocked.status).toBe(429);
    const other = await browser.submit("/auth/password/new", "/auth/password/new", {
      email: "someone-else@example.com",
    });
    expect(other.status).toBe(200);
  }, 60_000);
});
