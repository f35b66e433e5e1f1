// Sign-up blocks: email domain blocks, canonical email blocks and IP blocks through the
// admin API (manage_blocks; schema-checked), and their effect on sign-up through the API
// and the web form; an IP block with no_access shuts the address out of every request.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canonicalEmail, canonicalEmailHash } from "../src/moderation/email-blocks.ts";
import { parseCidr } from "../src/moderation/ip-blocks.ts";
import { apiPost, appToken, Browser } from "./helpers/auth-flow.ts";
import { STAFF_SCOPES, userWithRole } from "./helpers/moderation.ts";
import { expectSchema } from "./helpers/openapi.ts";
import { createTestContext, type TestContext } from "./helpers/services.ts";

let ctx: TestContext;
let admin: string;
let moderator: string;
let signUpApp: { token: string };
let counter = 0;

function call(
  method: string,
  path: string,
  token: string,
  body?: Record<string, unknown>,
  ip = "198.51.100.1",
) {
  return ctx.app.request(path, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      "x-forwarded-for": ip,
      ...(body ? { "content-type": "application/json" } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
}

/** Signs up through the API from `ip`; the status and body. */
async function signUp(email: string, ip = "198.51.100.1") {
  counter += 1;
  const res = await apiPost(
    ctx,
    "/api/v1/accounts",
    { username: `new${counter}`, email, password: "a good password", agreement: true },
    { token: signUpApp.token, headers: { "x-forwarded-for": ip } },
  );
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function approvedOf(email: string) {
  const row = await ctx.services.db
    .selectFrom("users")
    .select("approved")
    .where("email", "=", email)
    .executeTakeFirstOrThrow();
  return row.approved;
}

beforeAll(async () => {
  ctx = await createTestContext({ TRUST_PROXY: "true", RATE_LIMIT: "false" });
  admin = (await userWithRole(ctx, "admin", { scopes: STAFF_SCOPES })).token;
  moderator = (await userWithRole(ctx, "moderator", { scopes: STAFF_SCOPES })).token;
  signUpApp = await appToken(ctx);
}, 60_000);

afterAll(async () => {
  await ctx?.close();
});

describe("canonical addresses", () => {
  it("lowercases, drops dots and +tags like Mastodon, and hashes with SHA-256", () => {
    expect(canonicalEmail("J.Doe+news@GMail.com")).toBe("jdoe@gmail.com");
    expect(canonicalEmailHash("jdoe@gmail.com")).toBe(canonicalEmailHash("J.D.O.E+x@gmail.com"));
    expect(canonicalEmailHash("jdoe@gmail.com")).toMatch(/^[0-9a-f]{64}$/);
  });

  it("parses CIDR ranges", () => {
    expect(parseCidr("192.0.2.7")).toEqual({ address: "192.0.2.7", prefix: 32 });
    expect(parseCidr("2001:db8::/32")).toEqual({ address: "2001:db8::", prefix: 32 });
    expect(parseCidr("10.0.0.0/33")).toBeNull();
    expect(parseCidr("nonsense")).toBeNull();
  });
});

describe("/api/v1/admin/email_domain_blocks", () => {
  it("needs manage_blocks", async () => {
    expect((await call("GET", "/api/v1/admin/email_domain_blocks", moderator)).status).toBe(403);
    const res = await call("POST", "/api/v1/admin/email_domain_blocks", moderator, {
      domain: "x.example",
    });
    expect(res.status).toBe(403);
  });

  it("blocks sign-ups from the domain and its subdomains, API and web form", async () => {
    expect((await signUp("ok@spam.example")).status).toBe(200);
    const res = await call("POST", "/api/v1/admin/email_domain_blocks", admin, {
      domain: "spam.example",
    });
    expect(res.status).toBe(200);
    const block = (await res.json()) as { id: string; history: unknown[] };
    expectSchema("AdminEmailDomainBlock", block);
    expect(block.history).toHaveLength(7);
    // The earlier sign-up from the domain is counted today.
    expect((block.history[0] as { accounts: string }).accounts).toBe("1");
    expect(
      (await call("POST", "/api/v1/admin/email_domain_blocks", admin, { domain: "spam.example" }))
        .status,
    ).toBe(422);

    const refused = await signUp("someone@mail.spam.example");
    expect(refused.status).toBe(422);
    expect((refused.body.details as Record<string, unknown>).email).toEqual([
      { error: "ERR_BLOCKED", description: "uses a disallowed e-mail provider" },
    ]);

    const browser = new Browser(ctx, { "x-forwarded-for": "198.51.100.2" });
    const page = await browser.submit("/auth/sign_up", "/auth/sign_up", {
      username: "formuser",
      email: "formuser@spam.example",
      password: "a good password",
      password_confirmation: "a good password",
      agreement: "1",
    });
    expect(page.status).toBe(422);
    expect(await page.text()).toContain("disallowed e-mail provider");

    const list = await call("GET", "/api/v1/admin/email_domain_blocks", admin);
    for (const row of (await list.json()) as unknown[]) expectSchema("AdminEmailDomainBlock", row);
    const shown = await call("GET", `/api/v1/admin/email_domain_blocks/${block.id}`, admin);
    expectSchema("AdminEmailDomainBlock", await shown.json());
    expect(
      (await call("DELETE", `/api/v1/admin/email_domain_blocks/${block.id}`, moderator)).status,
    ).toBe(403);
    const removed = await call("DELETE", `/api/v1/admin/email_domain_blocks/${block.id}`, admin);
    expect(removed.status).toBe(200);
    expect((await signUp("after@spam.example")).status).toBe(200);
  });

  it("holds sign-ups for approval with allow_with_approval", async () => {
    await call("POST", "/api/v1/admin/email_domain_blocks", admin, {
      domain: "doubtful.example",
      allow_with_approval: true,
    });
    expect((await signUp("maybe@doubtful.example")).status).toBe(200);
    expect(await approvedOf("maybe@doubtful.example")).toBe(false);
  });
});

describe("/api/v1/admin/canonical_email_blocks", () => {
  it("needs manage_blocks", async () => {
    expect((await call("GET", "/api/v1/admin/canonical_email_blocks", moderator)).status).toBe(403);
    const res = await call("POST", "/api/v1/admin/canonical_email_blocks", moderator, {
      email: "x@example.com",
    });
    expect(res.status).toBe(403);
  });

  it("blocks an address in every spelling; /test finds it", async () => {
    const res = await call("POST", "/api/v1/admin/canonical_email_blocks", admin, {
      email: "troll.person@example.org",
    });
    expect(res.status).toBe(200);
    const block = (await res.json()) as { id: string; canonical_email_hash: string };
    expectSchema("AdminCanonicalEmailBlock", block);
    expect(block.canonical_email_hash).toBe(canonicalEmailHash("trollperson@example.org"));

    const byHash = await call("POST", "/api/v1/admin/canonical_email_blocks", admin, {
      canonical_email_hash: canonicalEmailHash("other@example.org"),
    });
    expect(byHash.status).toBe(200);
    expect(
      (await call("POST", "/api/v1/admin/canonical_email_blocks", admin, { email: "" })).status,
    ).toBe(422);

    const test = await call("POST", "/api/v1/admin/canonical_email_blocks/test", admin, {
      email: "Troll.Person+alt@example.org",
    });
    expect(test.status).toBe(200);
    const matches = (await test.json()) as unknown[];
    expect(matches).toHaveLength(1);
    for (const m of matches) expectSchema("AdminCanonicalEmailBlock", m);
    const none = await call("POST", "/api/v1/admin/canonical_email_blocks/test", admin, {
      email: "someone.else@example.org",
    });
    expect(await none.json()).toEqual([]);

    const refused = await signUp("T.R.O.L.L.person+again@example.org");
    expect(refused.status).toBe(422);
    expect(Object.keys(refused.body.details as object)).toContain("email");

    const list = await call("GET", "/api/v1/admin/canonical_email_blocks", admin);
    const rows = (await list.json()) as unknown[];
    expect(rows).toHaveLength(2);
    for (const row of rows) expectSchema("AdminCanonicalEmailBlock", row);
    const shown = await call("GET", `/api/v1/admin/canonical_email_blocks/${block.id}`, admin);
    expectSchema("AdminCanonicalEmailBlock", await shown.json());
    expect(
      (await call("DELETE", `/api/v1/admin/canonical_email_blocks/${block.id}`, moderator)).status,
    ).toBe(403);
    expect(
      (await call("DELETE", `/api/v1/admin/canonical_email_blocks/${block.id}`, admin)).status,
    ).toBe(200);
    expect((await signUp("trollperson@example.org")).status).toBe(200);
  });
});

describe("/api/v1/admin/ip_blocks", () => {
  it("needs manage_blocks", async () => {
    expect((await call("GET", "/api/v1/admin/ip_blocks", moderator)).status).toBe(403);
    const res = await call("POST", "/api/v1/admin/ip_blocks", moderator, {
      ip: "192.0.2.0/24",
      severity: "sign_up_block",
    });
    expect(res.status).toBe(403);
  });

  it("creates, updates and deletes ranges, and enforces each severity", async () => {
    const bad = await call("POST", "/api/v1/admin/ip_blocks", admin, {
      ip: "300.1.1.1",
      severity: "sign_up_block",
    });
    expect(bad.status).toBe(422);
    expect(
      (await call("POST", "/api/v1/admin/ip_blocks", admin, { ip: "192.0.2.0/24", severity: "x" }))
        .status,
    ).toBe(422);

    const res = await call("POST", "/api/v1/admin/ip_blocks", admin, {
      ip: "192.0.2.77/24",
      severity: "sign_up_block",
      comment: "sign-up spam",
      expires_in: 86400,
    });
    expect(res.status).toBe(200);
    const block = (await res.json()) as Record<string, unknown>;
    expectSchema("AdminIpBlock", block);
    expect(block).toMatchObject({ ip: "192.0.2.0/24", severity: "sign_up_block" });
    expect(block.expires_at).not.toBeNull();

    const refused = await signUp("blocked-ip@example.net", "192.0.2.10");
    expect(refused.status).toBe(422);
    expect(Object.keys(refused.body.details as object)).toContain("ip");
    expect((await signUp("other-ip@example.net", "192.0.3.10")).status).toBe(200);

    const updated = await call("PUT", `/api/v1/admin/ip_blocks/${block.id}`, admin, {
      severity: "sign_up_requires_approval",
      expires_in: "",
    });
    const after = (await updated.json()) as Record<string, unknown>;
    expectSchema("AdminIpBlock", after);
    expect(after).toMatchObject({ severity: "sign_up_requires_approval", expires_at: null });
    expect((await signUp("held@example.net", "192.0.2.11")).status).toBe(200);
    expect(await approvedOf("held@example.net")).toBe(false);

    const single = await call("POST", "/api/v1/admin/ip_blocks", admin, {
      ip: "203.0.113.9",
      severity: "no_access",
    });
    const singleBody = (await single.json()) as Record<string, unknown>;
    expectSchema("AdminIpBlock", singleBody);
    expect(singleBody.ip).toBe("203.0.113.9/32");
    // Every request from a no_access address is refused, signed in or not.
    const shut = await ctx.app.request("/api/v1/instance", {
      headers: { "x-forwarded-for": "203.0.113.9" },
    });
    expect(shut.status).toBe(403);
    expect(
      (await ctx.app.request("/api/v1/instance", { headers: { "x-forwarded-for": "203.0.113.8" } }))
        .status,
    ).toBe(200);

    const list = await call("GET", "/api/v1/admin/ip_blocks", admin);
    const rows = (await list.json()) as unknown[];
    expect(rows).toHaveLength(2);
    for (const row of rows) expectSchema("AdminIpBlock", row);
    const shown = await call("GET", `/api/v1/admin/ip_blocks/${block.id}`, admin);
    expectSchema("AdminIpBlock", await shown.json());
    expect((await call("DELETE", `/api/v1/admin/ip_blocks/${block.id}`, moderator)).status).toBe(
      403,
    );
    expect((await call("DELETE", `/api/v1/admin/ip_blocks/${singleBody.id}`, admin)).status).toBe(
      200,
    );
    expect(
      (await ctx.app.request("/api/v1/instance", { headers: { "x-forwarded-for": "203.0.113.9" } }))
        .status,
    ).toBe(200);

    const log = await ctx.services.db
      .selectFrom("admin_action_logs")
      .select("action")
      .where("target_type", "=", "IpBlock")
      .orderBy("id")
      .execute();
    expect(log.map((l) => l.action)).toEqual(["create", "update", "create", "destroy"]);
  });
});
