// Staff notifications: `admin.sign_up` to staff who manage users when someone signs up,
// `admin.report` (with the Report) to staff who handle reports when a user reports or a
// remote server sends a Flag; never to plain users, filtered by types[]/exclude_types[],
// grouped (sign-ups) or not (reports) in v2, and valid against Mastodon's schema.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiPost, appToken } from "./helpers/auth-flow.ts";
import { call, remoteFollow, type TestUser, userWithRole } from "./helpers/moderation.ts";
import { expectResponseSchema, expectSchema } from "./helpers/openapi.ts";
import { until } from "./helpers/queue-backends.ts";
import {
  type RemoteActor,
  type RemoteHosts,
  signedPost,
  startRemoteHosts,
} from "./helpers/remote-actors.ts";
import { createTestContext, type TestContext } from "./helpers/services.ts";

const ORIGIN = "https://testing.local";
const AS = "https://www.w3.org/ns/activitystreams";

let ctx: TestContext;
let hosts: RemoteHosts;
let owner: TestUser;
let moderator: TestUser;
let plain: TestUser;
let target: TestUser;
let mallory: RemoteActor;
let malloryId: string;

// biome-ignore lint/suspicious/noExplicitAny: notification bodies are checked field by field
type Json = any;

async function notificationsOf(user: TestUser, query = ""): Promise<Json[]> {
  const res = await call(ctx, "GET", `/api/v1/notifications${query}`, user.token);
  expect(res.status).toBe(200);
  expectResponseSchema("GET", "/api/v1/notifications", 200, res.body);
  return res.body;
}

/** Waits until `user` has a notification matching `test`. */
async function waitFor(user: TestUser, test: (n: Json) => boolean): Promise<Json> {
  let found: Json;
  await until(async () => {
    found = (await notificationsOf(user)).find(test);
    return found !== undefined;
  }, 20_000);
  return found;
}

async function signUp(username: string): Promise<string> {
  const app = await appToken(ctx);
  const res = await apiPost(
    ctx,
    "/api/v1/accounts",
    {
      username,
      email: `${username}@example.com`,
      password: "a good password",
      agreement: true,
      locale: "en",
    },
    { token: app.token },
  );
  expect(res.status).toBe(200);
  const row = await ctx.services.db
    .selectFrom("accounts")
    .select("id")
    .where("username", "=", username)
    .where("domain", "is", null)
    .executeTakeFirstOrThrow();
  return row.id;
}

beforeAll(async () => {
  hosts = await startRemoteHosts(1);
  ctx = await createTestContext(
    { PUBLIC_URL: ORIGIN, FEDERATION_ALLOW_PRIVATE_ADDRESS: "true" },
    { workers: true },
  );
  owner = await userWithRole(ctx, "admin", { username: "ada" });
  moderator = await userWithRole(ctx, "moderator", { username: "moira" });
  plain = await userWithRole(ctx, "user", { username: "paul" });
  target = await userWithRole(ctx, "user", { username: "tina" });
  mallory = await hosts.actor(hosts.origins[0]!, "mallory");
  malloryId = await remoteFollow(ctx, ORIGIN, mallory, "tina");
}, 60_000);

afterAll(async () => {
  await ctx?.close();
  await hosts?.close();
});

describe("admin.sign_up", () => {
  it("tells staff who manage users of each sign-up, and nobody else", async () => {
    const first = await signUp("newcomer1");
    const second = await signUp("newcomer2");
    for (const staff of [owner, moderator]) {
      for (const id of [first, second]) {
        const n = await waitFor(staff, (x) => x.type === "admin.sign_up" && x.account.id === id);
        expect(n.group_key).toMatch(/^admin\.sign_up-/);
        const one = await call(ctx, "GET", `/api/v1/notifications/${n.id}`, staff.token);
        expect(one.status).toBe(200);
        expectSchema("Notification", one.body);
        expect(one.body.account.username).toBe(id === first ? "newcomer1" : "newcomer2");
      }
    }
    expect((await notificationsOf(plain)).some((n) => n.type.startsWith("admin."))).toBe(false);
  });

  it("honours types[] and exclude_types[]", async () => {
    const only = await notificationsOf(moderator, "?types[]=admin.sign_up");
    expect(only.length).toBeGreaterThanOrEqual(2);
    expect(only.every((n) => n.type === "admin.sign_up")).toBe(true);
    const without = await notificationsOf(moderator, "?exclude_types[]=admin.sign_up");
    expect(without.some((n) => n.type === "admin.sign_up")).toBe(false);
  });

  it("groups sign-ups in v2 notifications", async () => {
    const res = await ctx.app.request("/api/v2/notifications?types[]=admin.sign_up", {
      headers: { authorization: `Bearer ${owner.token}` },
    });
    expect(res.status).toBe(200);
    const body = JSON.parse(await res.text());
    expectResponseSchema("GET", "/api/v2/notifications", 200, body);
    const groups = body.notification_groups as Json[];
    expect(groups.length).toBeGreaterThanOrEqual(1);
    // Within the same hour the two sign-ups share a group (two groups if the hour turned).
    expect(
      groups.every((g) => g.type === "admin.sign_up" && !g.group_key.startsWith("ungrouped-")),
    ).toBe(true);
    expect(groups.reduce((sum, g) => sum + g.notifications_count, 0)).toBe(2);
  });
});

describe("admin.report", () => {
  it("tells staff who handle reports of a user's report, with the report", async () => {
    const res = await call(ctx, "POST", "/api/v1/reports", plain.token, {
      account_id: target.account.id,
      comment: "please look",
      category: "spam",
    });
    expect(res.status).toBe(200);
    const reportId = res.body.id as string;
    for (const staff of [owner, moderator]) {
      const n = await waitFor(staff, (x) => x.type === "admin.report" && x.report?.id === reportId);
      expect(n.account.id).toBe(plain.account.id);
      expect(n.report.target_account.id).toBe(target.account.id);
      expect(n.report.comment).toBe("please look");
      expect(n.group_key).toBe(`ungrouped-${n.id}`);
      const one = await call(ctx, "GET", `/api/v1/notifications/${n.id}`, staff.token);
      expect(one.status).toBe(200);
      expectSchema("Notification", one.body);
      expect(one.body.report.id).toBe(reportId);
    }
    // The reporter and the reported user hear nothing of it.
    for (const user of [plain, target]) {
      expect((await notificationsOf(user)).some((n) => n.type === "admin.report")).toBe(false);
    }
    const v2 = await ctx.app.request("/api/v2/notifications?types[]=admin.report", {
      headers: { authorization: `Bearer ${moderator.token}` },
    });
    const body = JSON.parse(await v2.text());
    expectResponseSchema("GET", "/api/v2/notifications", 200, body);
    const group = (body.notification_groups as Json[]).find((g) => g.report?.id === reportId);
    expect(group?.type).toBe("admin.report");
    expect(group?.sample_account_ids).toEqual([plain.account.id]);
  });

  it("tells staff of a report received as a Flag, from the remote sender", async () => {
    const flagId = `${mallory.id}/flags/staff-1`;
    const res = await ctx.app.request(
      await signedPost(
        `${ORIGIN}/inbox`,
        {
          "@context": AS,
          id: flagId,
          type: "Flag",
          actor: mallory.id,
          content: "from afar",
          object: [`${ORIGIN}/users/paul`],
        },
        mallory,
      ),
    );
    expect(res.status).toBeLessThan(300);
    const n = await waitFor(
      moderator,
      (x) => x.type === "admin.report" && x.report?.comment === "from afar",
    );
    expect(n.account.id).toBe(malloryId);
    expect(n.report.target_account.id).toBe(plain.account.id);
    expect(
      (await notificationsOf(moderator, "?exclude_types[]=admin.report")).some(
        (x) => x.type === "admin.report",
      ),
    ).toBe(false);
  });
});
