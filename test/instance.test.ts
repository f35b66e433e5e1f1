// Instance information (/api/v1|v2/instance and friends) and discovery documents (NodeInfo,
// host-meta), checked against the Mastodon OpenAPI description where it has a schema.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import pkg from "../package.json" with { type: "json" };
import { setInstanceSetting } from "../src/instance/settings.ts";
import { expectResponseSchema, expectSchema } from "./helpers/openapi.ts";
import { createTestContext, type TestContext } from "./helpers/services.ts";

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field
type Json = any;

async function get(ctx: TestContext, path: string): Promise<{ res: Response; body: Json }> {
  const res = await ctx.app.request(path);
  const text = await res.text();
  const type = res.headers.get("content-type") ?? "";
  return { res, body: type.includes("json") ? JSON.parse(text) : text };
}

const VERSION_RE = /^4\.3\.0 \(compatible; Roost (\d+\.\d+\.\d+[^)]*)\)$/;

describe("instance endpoints (defaults)", () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(async () => {
    await ctx?.close();
  });
  afterEach(async () => {
    await ctx.services.db.deleteFrom("instance_settings").execute();
  });

  test("GET /api/v1/instance matches V1Instance and reflects config", async () => {
    const { res, body } = await get(ctx, "/api/v1/instance");
    expect(res.status).toBe(200);
    expectSchema("V1Instance", body);
    expectResponseSchema("GET", "/api/v1/instance", 200, body);
    expect(body.uri).toBe(ctx.config.domain);
    expect(body.title).toBe(ctx.config.instance.title);
    expect(body.short_description).toBe(ctx.config.instance.description);
    expect(body.version).toMatch(VERSION_RE);
    expect(body.version.match(VERSION_RE)[1]).toBe(pkg.version);
    expect(body.urls.streaming_api).toBe(ctx.config.publicUrl.replace(/^http/, "ws"));
    expect(body.registrations).toBe(true);
    expect(body.approval_required).toBe(false);
    expect(body.contact_account).toBeNull();
    expect(body.stats).toEqual({ user_count: 0, status_count: 0, domain_count: 0 });
    expect(body.configuration.statuses).toEqual({
      max_characters: ctx.config.instance.maxStatusChars,
      max_media_attachments: 4,
      characters_reserved_per_url: 23,
    });
    expect(body.configuration.polls).toEqual({
      max_options: 4,
      max_characters_per_option: 50,
      min_expiration: 300,
      max_expiration: 2629746,
    });
    expect(body.configuration.media_attachments.supported_mime_types).toEqual(
      expect.arrayContaining(["image/jpeg", "image/png", "video/mp4", "audio/mpeg"]),
    );
    expect(body.rules).toEqual([]);
  });

  test("GET /api/v2/instance matches Instance and reflects config", async () => {
    const { res, body } = await get(ctx, "/api/v2/instance");
    expect(res.status).toBe(200);
    expectSchema("Instance", body);
    expectResponseSchema("GET", "/api/v2/instance", 200, body);
    expect(body.domain).toBe(ctx.config.domain);
    expect(body.version).toMatch(VERSION_RE);
    expect(body.api_versions).toEqual({ mastodon: 2 });
    expect(body.configuration.urls.streaming).toBe(ctx.config.publicUrl.replace(/^http/, "ws"));
    expect(body.configuration.accounts).toEqual({ max_featured_tags: 10, max_pinned_statuses: 5 });
    expect(body.configuration.media_attachments).toMatchObject({
      image_size_limit: 16777216,
      image_matrix_limit: 33177600,
      video_size_limit: 103809024,
      video_frame_rate_limit: 120,
      video_matrix_limit: 8294400,
    });
    expect(body.configuration.translation).toEqual({ enabled: false });
    // An uncompressed P-256 point, base64url: what PushManager.subscribe takes.
    expect(body.configuration.vapid.public_key).toMatch(/^[A-Za-z0-9_-]{87}$/);
    expect(body.registrations).toMatchObject({ enabled: true, approval_required: false });
    expect(body.contact).toEqual({ email: ctx.config.instance.contactEmail, account: null });
    expect(body.usage).toEqual({ users: { active_month: 0 } });
    expect(body.thumbnail.url.startsWith(ctx.config.publicUrl)).toBe(true);
  });

  test("the schema check fails when a required field is missing or mistyped", async () => {
    const v1 = (await get(ctx, "/api/v1/instance")).body;
    const v2 = (await get(ctx, "/api/v2/instance")).body;
    for (const field of ["uri", "version", "configuration", "rules", "urls"]) {
      const broken = { ...v1 };
      delete broken[field];
      expect(() => expectSchema("V1Instance", broken)).toThrow(`"${field}"`);
    }
    for (const field of ["domain", "contact", "api_versions", "thumbnail", "usage", "icon"]) {
      const broken = { ...v2 };
      delete broken[field];
      expect(() => expectSchema("Instance", broken)).toThrow(`"${field}"`);
    }
    const nested = structuredClone(v2);
    delete nested.configuration.statuses.max_characters;
    nested.registrations.enabled = "yes";
    const message = catchMessage(() => expectSchema("Instance", nested));
    expect(message).toContain("/configuration/statuses");
    expect(message).toContain('"max_characters"');
    expect(message).toContain("/registrations/enabled must be boolean");
  });

  test("peers and rules are empty lists", async () => {
    for (const path of ["/api/v1/instance/peers", "/api/v1/instance/rules"]) {
      const { res, body } = await get(ctx, path);
      expect(res.status, path).toBe(200);
      expect(body, path).toEqual([]);
      expectResponseSchema("GET", path, 200, body);
    }
  });

  test("domain blocks are shown to signed-in users only by default, as on Mastodon", async () => {
    // The listing itself is covered by test/admin-domain-blocks.test.ts.
    const { res } = await get(ctx, "/api/v1/instance/domain_blocks");
    expect(res.status).toBe(404);
  });

  test("activity has twelve weekly buckets of strings, newest first", async () => {
    const { res, body } = await get(ctx, "/api/v1/instance/activity");
    expect(res.status).toBe(200);
    expectResponseSchema("GET", "/api/v1/instance/activity", 200, body);
    expect(body).toHaveLength(12);
    const weeks = body.map((b: Json) => Number(b.week));
    for (const bucket of body) {
      expect(Object.keys(bucket).sort()).toEqual(["logins", "registrations", "statuses", "week"]);
      for (const v of Object.values(bucket)) expect(v).toMatch(/^\d+$/);
    }
    for (let i = 1; i < weeks.length; i++) expect(weeks[i - 1] - weeks[i]).toBe(7 * 86400);
    // The newest bucket starts at midnight UTC on this week's Monday.
    const start = new Date(weeks[0] * 1000);
    expect(start.getUTCDay()).toBe(1);
    expect(start.getUTCHours() + start.getUTCMinutes() + start.getUTCSeconds()).toBe(0);
    expect(Date.now() - start.getTime()).toBeGreaterThanOrEqual(0);
    expect(Date.now() - start.getTime()).toBeLessThan(7 * 86400 * 1000);
  });

  test("extended description: empty by default, escaped HTML once set", async () => {
    const before = await get(ctx, "/api/v1/instance/extended_description");
    expect(before.res.status).toBe(200);
    expectSchema("ExtendedDescription", before.body);
    expect(before.body.content).toBe("");

    await setInstanceSetting(ctx.services.db, "extended_description", "Be <kind>.\nReally.\n\nBye");
    const after = await get(ctx, "/api/v1/instance/extended_description");
    expectSchema("ExtendedDescription", after.body);
    expect(after.body.content).toBe("<p>Be &lt;kind&gt;.<br>Really.</p><p>Bye</p>");
    expect(Math.abs(Date.parse(after.body.updated_at) - Date.now())).toBeLessThan(60_000);
  });

  test("instance_settings overrides win over config", async () => {
    const { db } = ctx.services;
    await setInstanceSetting(db, "title", "Override Title");
    await setInstanceSetting(db, "description", "Overridden description");
    await setInstanceSetting(db, "contact_email", "admin@example.org");
    await setInstanceSetting(db, "max_status_chars", 1234);
    await setInstanceSetting(db, "registrations", "approval");
    await setInstanceSetting(db, "rules", ["Be nice", { text: "No spam", hint: "Really." }]);

    const v1 = (await get(ctx, "/api/v1/instance")).body;
    expectSchema("V1Instance", v1);
    expect(v1).toMatchObject({
      title: "Override Title",
      short_description: "Overridden description",
      email: "admin@example.org",
      registrations: true,
      approval_required: true,
    });
    expect(v1.configuration.statuses.max_characters).toBe(1234);

    const v2 = (await get(ctx, "/api/v2/instance")).body;
    expectSchema("Instance", v2);
    expect(v2.title).toBe("Override Title");
    expect(v2.description).toBe("Overridden description");
    expect(v2.contact.email).toBe("admin@example.org");
    expect(v2.configuration.statuses.max_characters).toBe(1234);
    expect(v2.registrations).toMatchObject({ enabled: true, approval_required: true });

    const rules = [
      { id: "1", text: "Be nice", hint: "" },
      { id: "2", text: "No spam", hint: "Really." },
    ];
    expect(v1.rules).toEqual(rules);
    expect(v2.rules).toEqual(rules);
    const listed = await get(ctx, "/api/v1/instance/rules");
    expectResponseSchema("GET", "/api/v1/instance/rules", 200, listed.body);
    expect(listed.body).toEqual(rules);

    const nodeinfo = (await get(ctx, "/nodeinfo/2.1")).body;
    expect(nodeinfo.metadata).toEqual({
      nodeName: "Override Title",
      nodeDescription: "Overridden description",
    });
  });

  test("a malformed override is ignored in favour of config", async () => {
    await ctx.services.db
      .insertInto("instance_settings")
      .values([
        { key: "max_status_chars", value: JSON.stringify("lots") },
        { key: "registrations", value: JSON.stringify("maybe") },
      ])
      .execute();
    const v2 = (await get(ctx, "/api/v2/instance")).body;
    expectSchema("Instance", v2);
    expect(v2.configuration.statuses.max_characters).toBe(ctx.config.instance.maxStatusChars);
    expect(v2.registrations.enabled).toBe(true);
  });

  test("NodeInfo discovery and document", async () => {
    const discovery = await get(ctx, "/.well-known/nodeinfo");
    expect(discovery.res.status).toBe(200);
    expect(discovery.res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(discovery.body).toEqual({
      links: [
        {
          rel: "http://nodeinfo.diaspora.software/ns/schema/2.1",
          href: `${ctx.config.publicUrl}/nodeinfo/2.1`,
        },
      ],
    });

    const { res, body } = await get(ctx, "/nodeinfo/2.1");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe(
      'application/json; profile="http://nodeinfo.diaspora.software/ns/schema/2.1#"',
    );
    expect(body).toMatchObject({
      version: "2.1",
      software: { name: "roost", version: pkg.version },
      protocols: ["activitypub"],
      services: { inbound: [], outbound: [] },
      openRegistrations: true,
      usage: { users: { total: 0, activeMonth: 0, activeHalfyear: 0 }, localPosts: 0 },
      metadata: {
        nodeName: ctx.config.instance.title,
        nodeDescription: ctx.config.instance.description,
      },
    });
    expect(body.software.name).toMatch(/^[a-z0-9-]+$/);
  });

  test("host-meta as XRD and as JRD", async () => {
    const template = `${ctx.config.publicUrl}/.well-known/webfinger?resource={uri}`;
    const xml = await get(ctx, "/.well-known/host-meta");
    expect(xml.res.status).toBe(200);
    expect(xml.res.headers.get("content-type")).toMatch(/^application\/xrd\+xml/);
    expect(xml.body).toMatch(/^<\?xml version="1\.0" encoding="UTF-8"\?>/);
    expect(xml.body).toContain('<XRD xmlns="http://docs.oasis-open.org/ns/xri/xrd-1.0">');
    expect(xml.body).toContain(`<Link rel="lrdd" template="${template}"/>`);

    const json = await get(ctx, "/.well-known/host-meta.json");
    expect(json.res.status).toBe(200);
    expect(json.res.headers.get("content-type")).toMatch(/^application\/(jrd\+)?json/);
    expect(json.body).toEqual({ links: [{ rel: "lrdd", template }] });
  });
});

describe.each([
  { mode: "closed", enabled: false, approval: false },
  { mode: "approval", enabled: true, approval: true },
])("REGISTRATIONS=$mode", ({ mode, enabled, approval }) => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext({
      REGISTRATIONS: mode,
      PUBLIC_URL: "https://social.example",
      INSTANCE_TITLE: `Roost ${mode}`,
      INSTANCE_CONTACT_EMAIL: "owner@social.example",
      MAX_STATUS_CHARS: "777",
    });
  });
  afterAll(async () => {
    await ctx?.close();
  });

  test("v1, v2 and NodeInfo report the mode and config", async () => {
    const v1 = (await get(ctx, "/api/v1/instance")).body;
    expectSchema("V1Instance", v1);
    expect(v1.registrations).toBe(enabled);
    expect(v1.approval_required).toBe(approval);
    expect(v1.uri).toBe("social.example");
    expect(v1.title).toBe(`Roost ${mode}`);
    expect(v1.email).toBe("owner@social.example");
    expect(v1.urls.streaming_api).toBe("wss://social.example");

    const v2 = (await get(ctx, "/api/v2/instance")).body;
    expectSchema("Instance", v2);
    expect(v2.registrations.enabled).toBe(enabled);
    expect(v2.registrations.approval_required).toBe(approval);
    expect(v2.configuration.urls.streaming).toBe("wss://social.example");
    expect(v2.configuration.statuses.max_characters).toBe(777);

    const nodeinfo = (await get(ctx, "/nodeinfo/2.1")).body;
    expect(nodeinfo.openRegistrations).toBe(enabled);
  });
});

describe("openapi helper", () => {
  test("rejects unknown schema names and accepts an empty contact email", () => {
    expect(() => expectSchema("NoSuchThing", {})).toThrow(/Unknown schema/);
    expect(() => expectSchema("Rule", { id: "1", text: "x", hint: "" })).not.toThrow();
    expect(() => expectSchema("Rule", { id: 1, text: "x" })).toThrow(/\/id must be string/);
    expect(() =>
      expectSchema("ExtendedDescription", { content: "", updated_at: "yesterday" }),
    ).toThrow(/updated_at must match format "date-time"/);
  });
});

function catchMessage(fn: () => void): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error("expected a throw");
}
