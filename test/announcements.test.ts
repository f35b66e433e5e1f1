// Announcements: staff write and publish them through /api/v1/admin/announcements (a Roost
// extension, manage_announcements, audited); users list the active ones, dismiss them and
// react, each seeing their own read state and reactions. Bodies are checked against the
// Mastodon schema; the user side is driven through the masto client.
import { createRestAPIClient, type mastodon } from "masto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Role } from "../src/infra/db/schema.ts";
import { createUserWithToken } from "./helpers/auth.ts";
import { expectResponseSchema, expectSchema } from "./helpers/openapi.ts";
import { createTestContext, type TestContext } from "./helpers/services.ts";
import { serveWithStreaming } from "./helpers/streaming.ts";

let ctx: TestContext;
let url: string;
let stop: () => Promise<void>;
type User = Awaited<ReturnType<typeof createUserWithToken>>;
let admin: User;
let moderator: User;
let alice: User;
let bob: User;
let aliceClient: mastodon.rest.Client;
let bobClient: mastodon.rest.Client;

async function staff(role: Role, username: string): Promise<User> {
  const u = await createUserWithToken(ctx, {
    username,
    scopes: ["read", "write", "admin:read", "admin:write"],
  });
  await ctx.services.db.updateTable("users").set({ role }).where("id", "=", u.user.id).execute();
  return u;
}

// biome-ignore lint/suspicious/noExplicitAny: bodies are checked field by field
async function call(method: string, path: string, token?: string, body?: object): Promise<any> {
  const res = await fetch(new URL(path, url), {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body ? { "content-type": "application/json" } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

/** Creates an announcement as the admin (published unless told otherwise); returns its id. */
async function announce(text: string, extra: object = {}): Promise<string> {
  const res = await call("POST", "/api/v1/admin/announcements", admin.token, {
    text,
    publish: true,
    ...extra,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.id;
}

async function listFor(user: User, query = "") {
  const res = await call("GET", `/api/v1/announcements${query}`, user.token);
  expect(res.status).toBe(200);
  expectResponseSchema("GET", "/api/v1/announcements", 200, res.body);
  // biome-ignore lint/suspicious/noExplicitAny: entities checked by schema above
  return res.body as any[];
}

beforeAll(async () => {
  ctx = await createTestContext();
  const served = await serveWithStreaming(ctx);
  url = served.url;
  stop = served.close;
  admin = await staff("admin", "announcer");
  moderator = await staff("moderator", "notannouncer");
  alice = await createUserWithToken(ctx, { username: "alice" });
  bob = await createUserWithToken(ctx, { username: "bob" });
  aliceClient = createRestAPIClient({ url, accessToken: alice.token });
  bobClient = createRestAPIClient({ url, accessToken: bob.token });
}, 60_000);

afterAll(async () => {
  await stop?.();
  await ctx?.close();
});

describe("staff API", () => {
  it("needs manage_announcements and the admin scopes", async () => {
    const plain = await createUserWithToken(ctx, { scopes: ["read", "write"] });
    await ctx.services.db
      .updateTable("users")
      .set({ role: "admin" })
      .where("id", "=", plain.user.id)
      .execute();
    const id = await announce("Roles test", { publish: false });
    const attempts: [string, string, object?][] = [
      ["GET", "/api/v1/admin/announcements"],
      ["GET", `/api/v1/admin/announcements/${id}`],
      ["POST", "/api/v1/admin/announcements", { text: "nope" }],
      ["PUT", `/api/v1/admin/announcements/${id}`, { text: "nope" }],
      ["DELETE", `/api/v1/admin/announcements/${id}`],
      ["POST", `/api/v1/admin/announcements/${id}/publish`],
      ["POST", `/api/v1/admin/announcements/${id}/unpublish`],
    ];
    for (const [method, path, body] of attempts) {
      expect((await call(method, path, moderator.token, body)).status, `${method} ${path}`).toBe(
        403,
      );
      expect((await call(method, path, alice.token, body)).status, `${method} ${path}`).toBe(403);
      // An admin whose token lacks admin:* scopes is refused too.
      expect((await call(method, path, plain.token, body)).status, `${method} ${path}`).toBe(403);
      expect((await call(method, path, undefined, body)).status, `${method} ${path}`).toBe(401);
    }
    // Nothing changed: still unpublished, still there.
    const row = await call("GET", `/api/v1/admin/announcements/${id}`, admin.token);
    expect(row.body).toMatchObject({ id, text: "Roles test", published: false });
  });

  it("renders the text like a status: links, mentions, hashtags, linked statuses", async () => {
    const status = await aliceClient.v1.statuses.create({ status: "the linked post" });
    const id = await announce(
      `Hello @alice and @nobody! See #ServerNews at https://example.com/news and ${status.url}\n\nBye <b>`,
      { publish: false },
    );
    const res = await call("GET", `/api/v1/admin/announcements/${id}`, admin.token);
    expectSchema("Announcement", res.body);
    const a = res.body;
    expect(a.content).toContain('<a href="http://');
    expect(a.content).toContain('class="u-url mention"');
    expect(a.content).toContain("@nobody"); // unknown: plain text
    expect(a.content).toContain('class="mention hashtag" rel="tag"');
    expect(a.content).toContain("&lt;b&gt;");
    expect(a.content.startsWith("<p>")).toBe(true);
    expect(a.mentions).toEqual([
      { id: alice.account.id, username: "alice", acct: "alice", url: expect.any(String) },
    ]);
    expect(a.tags).toEqual([
      { name: "servernews", url: expect.stringMatching(/\/tags\/servernews$/) },
    ]);
    expect(a.statuses).toEqual([{ id: status.id, url: status.url }]);
    expect(a.published).toBe(false);
  });

  it("validates times and text", async () => {
    const bad: object[] = [
      { text: "" },
      { text: "x", starts_at: "not a date", ends_at: "2030-01-01T00:00:00Z" },
      { text: "x", starts_at: "2030-01-01T00:00:00Z" },
      { text: "x", starts_at: "2030-01-02T00:00:00Z", ends_at: "2030-01-01T00:00:00Z" },
      { text: "x", all_day: "maybe" },
    ];
    for (const body of bad) {
      const res = await call("POST", "/api/v1/admin/announcements", admin.token, body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(typeof res.body.error).toBe("string");
    }
    expect((await call("PUT", "/api/v1/admin/announcements/123", admin.token, {})).status).toBe(
      404,
    );
    expect((await call("DELETE", "/api/v1/admin/announcements/abc", admin.token)).status).toBe(404);
  });

  it("publishes, edits, unpublishes and deletes, each in the audit log", async () => {
    const id = await announce("Draft", { publish: false });
    expect((await listFor(alice)).map((a) => a.id)).not.toContain(id);

    const published = await call("POST", `/api/v1/admin/announcements/${id}/publish`, admin.token);
    expect(published.status).toBe(200);
    expect(published.body.published).toBe(true);
    expect((await listFor(alice)).map((a) => a.id)).toContain(id);

    const edited = await call("PUT", `/api/v1/admin/announcements/${id}`, admin.token, {
      text: "Final #words",
      starts_at: "2020-01-01T00:00:00Z",
      ends_at: "2099-01-01T00:00:00Z",
      all_day: true,
    });
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({
      text: "Final #words",
      all_day: true,
      starts_at: "2020-01-01T00:00:00.000Z",
      ends_at: "2099-01-01T00:00:00.000Z",
    });
    expect(edited.body.content).toContain("#<span>words</span>");
    const seen = (await listFor(alice)).find((a) => a.id === id);
    expect(seen.content).toBe(edited.body.content);
    expect(seen.all_day).toBe(true);

    const listed = await call("GET", "/api/v1/admin/announcements", admin.token);
    expect(listed.body.map((a: { id: string }) => a.id)).toContain(id);

    expect(
      (await call("POST", `/api/v1/admin/announcements/${id}/unpublish`, admin.token)).status,
    ).toBe(200);
    expect((await listFor(alice)).map((a) => a.id)).not.toContain(id);
    expect((await call("POST", `/api/v1/announcements/${id}/dismiss`, alice.token)).status).toBe(
      404,
    );

    expect((await call("DELETE", `/api/v1/admin/announcements/${id}`, admin.token)).status).toBe(
      200,
    );
    expect((await call("GET", `/api/v1/admin/announcements/${id}`, admin.token)).status).toBe(404);

    const logs = await ctx.services.db
      .selectFrom("admin_action_logs")
      .select(["action", "account_id", "target_type"])
      .where("target_id", "=", id)
      .orderBy("id", "asc")
      .execute();
    expect(logs.map((l) => l.action)).toEqual([
      "create",
      "publish",
      "update",
      "unpublish",
      "destroy",
    ]);
    for (const l of logs) {
      expect(String(l.account_id)).toBe(admin.account.id);
      expect(l.target_type).toBe("Announcement");
    }
  });
});

describe("user API", () => {
  it("lists only published announcements in their time window, oldest first", async () => {
    const now = Date.now();
    const day = 86_400_000;
    const current = await announce("Now on", {
      starts_at: new Date(now - day).toISOString(),
      ends_at: new Date(now + day).toISOString(),
    });
    const future = await announce("Later", {
      starts_at: new Date(now + day).toISOString(),
      ends_at: new Date(now + 2 * day).toISOString(),
    });
    const past = await announce("Over", {
      starts_at: new Date(now - 2 * day).toISOString(),
      ends_at: new Date(now - day).toISOString(),
    });
    const open = await announce("Open-ended");
    const ids = (await listFor(alice)).map((a) => a.id);
    expect(ids).toContain(current);
    expect(ids).toContain(open);
    expect(ids).not.toContain(future);
    expect(ids).not.toContain(past);
    // Started a day ago sorts before published just now.
    expect(ids.indexOf(current)).toBeLessThan(ids.indexOf(open));

    const viaMasto = await aliceClient.v1.announcements.list();
    expect(viaMasto.map((a) => a.id)).toEqual(ids);
  });

  it("dismissing marks read for that user only", async () => {
    const id = await announce("Please read");
    expect((await listFor(alice)).find((a) => a.id === id)?.read).toBe(false);
    await aliceClient.v1.announcements.$select(id).dismiss();
    await aliceClient.v1.announcements.$select(id).dismiss(); // twice is fine

    expect((await listFor(alice)).map((a) => a.id)).not.toContain(id);
    const withDismissed = await listFor(alice, "?with_dismissed=true");
    expect(withDismissed.find((a) => a.id === id)?.read).toBe(true);
    expect((await listFor(bob)).find((a) => a.id === id)?.read).toBe(false);

    expect((await call("POST", "/api/v1/announcements/999/dismiss", alice.token)).status).toBe(404);
    const readOnly = await createUserWithToken(ctx, { scopes: ["read"] });
    expect((await call("POST", `/api/v1/announcements/${id}/dismiss`, readOnly.token)).status).toBe(
      403,
    );
  });

  it("counts reactions and shows each user their own", async () => {
    const id = await announce("React!");
    await aliceClient.v1.announcements.$select(id).reactions.$select("👍").update();
    await bobClient.v1.announcements.$select(id).reactions.$select("👍").update();
    await aliceClient.v1.announcements.$select(id).reactions.$select("🎉").update();
    await aliceClient.v1.announcements.$select(id).reactions.$select("🎉").update(); // idempotent
    // Skin tones and flags are one emoji.
    const flag = await call(
      "PUT",
      `/api/v1/announcements/${id}/reactions/${encodeURIComponent("🇫🇷")}`,
      bob.token,
    );
    expect(flag.status).toBe(200);

    const forAlice = (await listFor(alice)).find((a) => a.id === id);
    const forBob = (await listFor(bob)).find((a) => a.id === id);
    for (const r of forAlice.reactions) expectSchema("Reaction", r);
    expect(forAlice.reactions).toEqual([
      { name: "👍", count: 2, me: true },
      { name: "🎉", count: 1, me: true },
      { name: "🇫🇷", count: 1, me: false },
    ]);
    expect(forBob.reactions).toEqual([
      { name: "👍", count: 2, me: true },
      { name: "🎉", count: 1, me: false },
      { name: "🇫🇷", count: 1, me: true },
    ]);

    await aliceClient.v1.announcements.$select(id).reactions.$select("👍").remove();
    await aliceClient.v1.announcements.$select(id).reactions.$select("🎉").remove();
    const after = (await listFor(alice)).find((a) => a.id === id);
    expect(after.reactions).toEqual([
      { name: "👍", count: 1, me: false },
      { name: "🇫🇷", count: 1, me: false },
    ]);
  });

  it("refuses names that are not one emoji (422) and unpublished announcements (404)", async () => {
    const id = await announce("Names");
    for (const name of [
      "thumbsup",
      "👍👍",
      "a👍",
      "1",
      " 👍",
      ":unknown_custom:",
      "unknown_custom",
    ]) {
      const path = `/api/v1/announcements/${id}/reactions/${encodeURIComponent(name)}`;
      expect((await call("PUT", path, alice.token)).status, name).toBe(422);
      expect((await call("DELETE", path, alice.token)).status, name).toBe(422);
    }
    const draft = await announce("Hidden", { publish: false });
    const path = `/api/v1/announcements/${draft}/reactions/${encodeURIComponent("👍")}`;
    expect((await call("PUT", path, alice.token)).status).toBe(404);
    expect((await call("DELETE", path, alice.token)).status).toBe(404);
    expect((await call("PUT", `/api/v1/announcements/nope/reactions/x`, alice.token)).status).toBe(
      404,
    );
  });

  it("allows at most eight different reactions per announcement", async () => {
    const id = await announce("Many");
    const names = ["😀", "😃", "😄", "😁", "😆", "😅", "😂", "🤣"];
    for (const name of names) {
      const path = `/api/v1/announcements/${id}/reactions/${encodeURIComponent(name)}`;
      expect((await call("PUT", path, alice.token)).status).toBe(200);
    }
    const ninth = `/api/v1/announcements/${id}/reactions/${encodeURIComponent("🥲")}`;
    expect((await call("PUT", ninth, bob.token)).status).toBe(422);
    // An existing name can still be added by someone else.
    const again = `/api/v1/announcements/${id}/reactions/${encodeURIComponent("😀")}`;
    expect((await call("PUT", again, bob.token)).status).toBe(200);
  });
});
