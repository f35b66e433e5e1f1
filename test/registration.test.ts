// Sign-up through the API (POST /api/v1/accounts) in each registration mode, Mastodon's 422
// details, the unconfirmed-user 403, confirmation by the mailed link, and resending it.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { authenticate, requireAuth } from "../src/auth/middleware.ts";
import { setInstanceSetting } from "../src/instance/settings.ts";
import { apiPost, appToken, linkPath, waitForMail } from "./helpers/auth-flow.ts";
import { expectSchema } from "./helpers/openapi.ts";
import { awayFromWindowEdge } from "./helpers/rate-windows.ts";
import { createTestContext, type TestContext } from "./helpers/services.ts";

const UNCONFIRMED = { error: "Your login is missing a confirmed e-mail address" };

/** A route needing a functional user, in case verify_credentials is not there yet. */
function mountProbe(ctx: TestContext) {
  ctx.app.get("/test-probe/me", authenticate(), requireAuth("read"), (c) =>
    c.json({ username: c.get("auth")?.account?.username }),
  );
}

async function probe(ctx: TestContext, token: string) {
  const res = await ctx.app.request("/test-probe/me", {
    headers: { authorization: `Bearer ${token}` },
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

function signUpBody(username: string, extra: Record<string, unknown> = {}) {
  return {
    username,
    email: `${username.toLowerCase()}@example.com`,
    password: "a good password",
    agreement: true,
    locale: "en",
    ...extra,
  };
}

describe("POST /api/v1/accounts (open registrations)", () => {
  let ctx: TestContext;
  let app: { token: string; applicationId: string };

  beforeAll(async () => {
    ctx = await createTestContext({}, { workers: true });
    mountProbe(ctx);
    app = await appToken(ctx);
  });
  afterAll(async () => {
    await ctx?.close();
  });

  it("creates an unconfirmed user and returns a Token with the app's scopes", async () => {
    const res = await apiPost(ctx, "/api/v1/accounts", signUpBody("alice"), { token: app.token });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expectSchema("Token", body);
    expect(body.token_type).toBe("Bearer");
    expect(body.scope).toBe("read write follow push");
    expect(res.headers.get("cache-control")).toContain("no-store");

    const user = await ctx.services.db
      .selectFrom("users")
      .selectAll()
      .where("email", "=", "alice@example.com")
      .executeTakeFirstOrThrow();
    expect(user.confirmed_at).toBeNull();
    expect(user.approved).toBe(true);
    expect(user.locale).toBe("en");
    expect(user.confirmation_token_hash).not.toBeNull();

    // Until confirmed, endpoints needing a user refuse the token as Mastodon does.
    const token = body.access_token as string;
    expect(await probe(ctx, token)).toEqual({ status: 403, body: UNCONFIRMED });
    const verify = await ctx.app.request("/api/v1/accounts/verify_credentials", {
      headers: { authorization: `Bearer ${token}` },
    });
    if (verify.status !== 404) {
      expect(verify.status).toBe(403);
      expect(await verify.json()).toEqual(UNCONFIRMED);
    }

    // Following the mailed link confirms the address; the same token then works.
    const mail = await waitForMail(ctx, "alice@example.com");
    expect(mail.subject).toContain("Confirm your email address");
    const confirm = await ctx.app.request(linkPath(mail, "/auth/confirmation"));
    expect(confirm.status).toBe(200);
    expect(await confirm.text()).toContain("Email confirmed");
    expect(await probe(ctx, token)).toEqual({ status: 200, body: { username: "alice" } });

    // A link works once.
    const again = await ctx.app.request(linkPath(mail, "/auth/confirmation"));
    expect(again.status).toBe(404);
  });

  it("accepts form bodies and the write:accounts scope", async () => {
    const narrow = await appToken(ctx, ["write:accounts"]);
    const res = await ctx.app.request("/api/v1/accounts", {
      method: "POST",
      headers: {
        authorization: `Bearer ${narrow.token}`,
        "content-type": "application/x-www-form-urlencoded",
      },
      body: new URLSearchParams({
        username: "formuser",
        email: "formuser@example.com",
        password: "a good password",
        agreement: "1",
      }).toString(),
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { scope: string }).scope).toBe("write:accounts");
  });

  it("needs an app token with write or write:accounts", async () => {
    const none = await apiPost(ctx, "/api/v1/accounts", signUpBody("notoken"));
    expect(none.status).toBe(401);
    const readOnly = await appToken(ctx, ["read"]);
    const res = await apiPost(ctx, "/api/v1/accounts", signUpBody("readonly"), {
      token: readOnly.token,
    });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: "This action is outside the authorized scopes" });
  });

  it("answers 422 with Mastodon's details for each refused field", async () => {
    const post = async (body: Record<string, unknown>) => {
      const res = await apiPost(ctx, "/api/v1/accounts", body, { token: app.token });
      expect(res.status).toBe(422);
      const json = (await res.json()) as { error: string; details: Record<string, unknown> };
      expect(json.error).toMatch(/^Validation failed: /);
      return json.details;
    };
    expect(await post(signUpBody("ALICE", { email: "other@example.com" }))).toEqual({
      username: [{ error: "ERR_TAKEN", description: "has already been taken" }],
    });
    expect(await post(signUpBody("admin"))).toEqual({
      username: [{ error: "ERR_RESERVED", description: "is reserved" }],
    });
    expect((await post(signUpBody("bad name!"))).username).toEqual([
      { error: "ERR_INVALID", description: "must contain only letters, numbers and underscores" },
    ]);
    expect(await post(signUpBody("shorty", { password: "short" }))).toEqual({
      password: [{ error: "ERR_TOO_SHORT", description: "is too short (minimum is 8 characters)" }],
    });
    expect(await post(signUpBody("bademail", { email: "not-an-email" }))).toEqual({
      email: [{ error: "ERR_INVALID", description: "is invalid" }],
    });
    expect(await post(signUpBody("takenmail", { email: "ALICE@example.com" }))).toEqual({
      email: [{ error: "ERR_TAKEN", description: "has already been taken" }],
    });
    expect(await post(signUpBody("noagree", { agreement: undefined }))).toEqual({
      agreement: [{ error: "ERR_ACCEPTED", description: "must be accepted" }],
    });
    expect(await post(signUpBody("falseagree", { agreement: "false" }))).toEqual({
      agreement: [{ error: "ERR_ACCEPTED", description: "must be accepted" }],
    });
    // Several refusals come together.
    const many = await post({ username: "", email: "", password: "", agreement: false });
    expect(Object.keys(many).sort()).toEqual(["agreement", "email", "password", "username"]);
    expect(many.username).toEqual([{ error: "ERR_BLANK", description: "can't be blank" }]);
  });

  it("resends the confirmation mail, to a corrected address when given", async () => {
    const res = await apiPost(ctx, "/api/v1/accounts", signUpBody("bob"), { token: app.token });
    const { access_token: token } = (await res.json()) as { access_token: string };
    await waitForMail(ctx, "bob@example.com");

    const resend = await apiPost(ctx, "/api/v1/emails/confirmations", {}, { token });
    expect(resend.status).toBe(200);
    expect(await resend.json()).toEqual({});
    const second = await waitForMail(ctx, "bob@example.com", 2);

    const moved = await apiPost(
      ctx,
      "/api/v1/emails/confirmations",
      { email: "Bobby@Example.com" },
      { token },
    );
    expect(moved.status).toBe(200);
    const third = await waitForMail(ctx, "bobby@example.com");
    // Each mail carries a fresh link; only the newest works.
    expect(linkPath(second, "/auth/confirmation")).not.toBe(linkPath(third, "/auth/confirmation"));
    expect((await ctx.app.request(linkPath(second, "/auth/confirmation"))).status).toBe(404);
    expect((await ctx.app.request(linkPath(third, "/auth/confirmation"))).status).toBe(200);

    const user = await ctx.services.db
      .selectFrom("users")
      .select(["email", "confirmed_at"])
      .where("email", "=", "bobby@example.com")
      .executeTakeFirstOrThrow();
    expect(user.confirmed_at).not.toBeNull();

    // Nothing awaits confirmation any more.
    const done = await apiPost(ctx, "/api/v1/emails/confirmations", {}, { token });
    expect(done.status).toBe(403);
    expect(await done.json()).toEqual({
      error: "This method is only available while the e-mail is awaiting confirmation",
    });
  });

  it("refuses a taken or invalid address when resending", async () => {
    const res = await apiPost(ctx, "/api/v1/accounts", signUpBody("carol"), { token: app.token });
    const { access_token: token } = (await res.json()) as { access_token: string };
    const taken = await apiPost(
      ctx,
      "/api/v1/emails/confirmations",
      { email: "alice@example.com" },
      { token },
    );
    expect(taken.status).toBe(422);
    expect(((await taken.json()) as { details: unknown }).details).toEqual({
      email: [{ error: "ERR_TAKEN", description: "has already been taken" }],
    });
    // An app token has no user to resend for.
    const appOnly = await apiPost(ctx, "/api/v1/emails/confirmations", {}, { token: app.token });
    expect(appOnly.status).toBe(422);
  });

  it("follows the instance setting over the configured mode", async () => {
    await setInstanceSetting(ctx.services.db, "registrations", "closed");
    try {
      const res = await apiPost(ctx, "/api/v1/accounts", signUpBody("latecomer"), {
        token: app.token,
      });
      expect(res.status).toBe(403);
      expect(await res.json()).toEqual({ error: "This action is not allowed" });
    } finally {
      await setInstanceSetting(ctx.services.db, "registrations", "open");
    }
  });
});

describe("approval and closed modes", () => {
  let ctx: TestContext;
  let app: { token: string };
  beforeAll(async () => {
    ctx = await createTestContext({ REGISTRATIONS: "approval" }, { workers: true });
    mountProbe(ctx);
    app = await appToken(ctx);
  });
  afterAll(async () => {
    await ctx?.close();
  });

  it("approval: stores the reason and leaves the user pending after confirmation", async () => {
    const res = await apiPost(
      ctx,
      "/api/v1/accounts",
      signUpBody("dave", { reason: "I like birds" }),
      { token: app.token },
    );
    expect(res.status).toBe(200);
    const { access_token: token } = (await res.json()) as { access_token: string };
    const user = await ctx.services.db
      .selectFrom("users")
      .selectAll()
      .where("email", "=", "dave@example.com")
      .executeTakeFirstOrThrow();
    expect(user.approved).toBe(false);
    expect(user.reason).toBe("I like birds");

    const mail = await waitForMail(ctx, "dave@example.com");
    expect((await ctx.app.request(linkPath(mail, "/auth/confirmation"))).status).toBe(200);
    expect(await probe(ctx, token)).toEqual({
      status: 403,
      body: { error: "Your login is currently pending approval" },
    });
  });

  it("approval: the reason is optional but bounded", async () => {
    const ok = await apiPost(ctx, "/api/v1/accounts", signUpBody("erin"), { token: app.token });
    expect(ok.status).toBe(200);
    const long = await apiPost(
      ctx,
      "/api/v1/accounts",
      signUpBody("frank", { reason: "x".repeat(421) }),
      { token: app.token },
    );
    expect(long.status).toBe(422);
    expect(((await long.json()) as { details: Record<string, unknown> }).details).toEqual({
      reason: [{ error: "ERR_TOO_LONG", description: "is too long (maximum is 420 characters)" }],
    });
  });

  it("closed: 403 and nothing created", async () => {
    await setInstanceSetting(ctx.services.db, "registrations", "closed");
    const res = await apiPost(ctx, "/api/v1/accounts", signUpBody("gina"), { token: app.token });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: "This action is not allowed" });
    const row = await ctx.services.db
      .selectFrom("users")
      .select("id")
      .where("email", "=", "gina@example.com")
      .executeTakeFirst();
    expect(row).toBeUndefined();
  });
});

describe("sign-up rate limit", () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext({ TRUST_PROXY: "true", RATE_LIMIT_EXEMPT_LOOPBACK: "false" });
  });
  afterAll(async () => {
    await ctx?.close();
  });

  it("allows 5 sign-ups per IP in 30 minutes, counted once", async () => {
    await awayFromWindowEdge(30 * 60_000);
    const { token } = await appToken(ctx);
    const ip = { "x-forwarded-for": "203.0.113.7" };
    for (let i = 0; i < 5; i++) {
      const res = await apiPost(ctx, "/api/v1/accounts", signUpBody(`limited${i}`), {
        token,
        headers: ip,
      });
      expect(res.status).toBe(200);
    }
    const sixth = await apiPost(ctx, "/api/v1/accounts", signUpBody("limited5"), {
      token,
      headers: ip,
    });
    expect(sixth.status).toBe(429);
    const other = await apiPost(ctx, "/api/v1/accounts", signUpBody("elsewhere"), {
      token,
      headers: { "x-forwarded-for": "203.0.113.8" },
    });
    expect(other.status).toBe(200);
  }, 60_000);
});
