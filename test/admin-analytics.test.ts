// The admin dashboard's numbers (measures, dimensions, retention), trend review and the
// daily report: right role and scope only, bodies as the Mastodon schema says, and figures
// that follow what users actually did.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sendDailyReport } from "../src/analytics/daily-report.ts";
import { idAtTime } from "../src/infra/ids.ts";
import { call } from "./helpers/api.ts";
import { createUserWithToken } from "./helpers/auth.ts";
import { readMails } from "./helpers/auth-flow.ts";
import { STAFF_SCOPES, userWithRole } from "./helpers/moderation.ts";
import { expectSchema } from "./helpers/openapi.ts";
import { until } from "./helpers/queue-backends.ts";
import { createTestContext, type TestContext } from "./helpers/services.ts";

type User = Awaited<ReturnType<typeof createUserWithToken>>;
let ctx: TestContext;
let admin: User;
let moderator: User;
let alice: User;
let bob: User;
const today = new Date().toISOString().slice(0, 10);

beforeAll(async () => {
  ctx = await createTestContext({ ADMIN_REPORT_HOUR: "0" }, { workers: true });
  admin = await userWithRole(ctx, "admin", { username: "boss", scopes: STAFF_SCOPES });
  moderator = await userWithRole(ctx, "moderator", { username: "moddy", scopes: STAFF_SCOPES });
  alice = await createUserWithToken(ctx, { username: "alice" });
  bob = await createUserWithToken(ctx, { username: "bob" });
  // Activity: alice posts with a tag, bob favourites and replies to it.
  const post = await call(ctx, "POST", "/api/v1/statuses", alice.token, {
    status: "hello #roosting",
    language: "en",
  });
  await call(ctx, "POST", `/api/v1/statuses/${post.body.id}/favourite`, bob.token);
  await call(ctx, "POST", "/api/v1/statuses", bob.token, {
    status: "@alice hi",
    in_reply_to_id: post.body.id,
  });
});
afterAll(async () => {
  await ctx?.close();
});

describe("measures", () => {
  it("count today's users, posts' interactions and active accounts", async () => {
    // Activity marks are written off the request path.
    await until(async () => {
      const rows = await ctx.services.db.selectFrom("daily_activity").selectAll().execute();
      return rows.length >= 2;
    }, 10_000);
    const res = await call(ctx, "POST", "/api/v1/admin/measures", admin.token, {
      keys: ["new_users", "active_users", "interactions", "opened_reports", "nonsense"],
      start_at: today,
      end_at: today,
    });
    expect(res.status).toBe(200);
    for (const measure of res.body) expectSchema("AdminMeasure", measure);
    const byKey = Object.fromEntries(res.body.map((m: { key: string }) => [m.key, m]));
    expect(Object.keys(byKey).sort()).toEqual([
      "active_users",
      "interactions",
      "new_users",
      "opened_reports",
    ]);
    expect(byKey.new_users.total).toBe("4");
    expect(byKey.new_users.data).toEqual([{ date: `${today}T00:00:00Z`, value: "4" }]);
    // A favourite and a reply on alice's post; the author's own post doesn't count.
    expect(byKey.interactions.total).toBe("2");
    expect(Number(byKey.active_users.total)).toBeGreaterThanOrEqual(2);
    expect(byKey.opened_reports.total).toBe("0");
    expect(byKey.new_users.previous_total).toBe("0");
  });

  it("per-tag measures take the tag id", async () => {
    const tag = await ctx.services.db
      .selectFrom("tags")
      .select("id")
      .where("name", "=", "roosting")
      .executeTakeFirstOrThrow();
    const res = await call(
      ctx,
      "POST",
      `/api/v1/admin/measures?keys[]=tag_uses&keys[]=tag_accounts&tag_uses[id]=${tag.id}&tag_accounts[id]=${tag.id}`,
      admin.token,
    );
    expect(res.status).toBe(200);
    expect(res.body.map((m: { total: string }) => m.total)).toEqual(["1", "1"]);
    // The default period is the 30 days up to today.
    expect(res.body[0].data).toHaveLength(30);
  });

  it("refuse bad dates, over-long periods, users and moderators", async () => {
    const bad = await call(ctx, "POST", "/api/v1/admin/measures", admin.token, {
      keys: ["new_users"],
      start_at: "yesterday-ish",
    });
    expect(bad.status).toBe(422);
    const long = await call(ctx, "POST", "/api/v1/admin/measures", admin.token, {
      keys: ["new_users"],
      start_at: "2000-01-01",
      end_at: today,
    });
    expect(long.status).toBe(422);
    // Moderators see the dashboard (Mastodon's default roles); users and tokens without
    // an admin scope don't.
    const measure = (token: string) =>
      call(ctx, "POST", "/api/v1/admin/measures", token, { keys: ["new_users"] });
    expect((await measure(moderator.token)).status).toBe(200);
    expect((await measure(alice.token)).status).toBe(403);
    const unscoped = await createUserWithToken(ctx, { username: "unscoped" });
    await ctx.services.db
      .updateTable("users")
      .set({ role: "admin" })
      .where("id", "=", unscoped.user.id)
      .execute();
    expect((await measure(unscoped.token)).status).toBe(403);
  });
});

describe("dimensions and retention", () => {
  it("rank languages and servers and report software versions", async () => {
    const res = await call(ctx, "POST", "/api/v1/admin/dimensions", admin.token, {
      keys: ["languages", "software_versions", "space_usage", "sources"],
      start_at: today,
      end_at: today,
    });
    expect(res.status).toBe(200);
    for (const d of res.body) expectSchema("AdminDimension", d);
    const byKey = Object.fromEntries(
      res.body.map((d: { key: string; data: unknown }) => [d.key, d.data]),
    );
    expect(byKey.languages[0]).toMatchObject({ key: "en", human_key: "English", value: "1" });
    expect(byKey.software_versions.map((v: { key: string }) => v.key)).toContain("roost");
    expect(Number(byKey.space_usage[0].value)).toBeGreaterThan(0);
  });

  it("follows today's cohort", async () => {
    const res = await call(ctx, "POST", "/api/v1/admin/retention", admin.token, {
      start_at: today,
      end_at: today,
      frequency: "day",
    });
    expect(res.status).toBe(200);
    expect(res.body).toHaveLength(1);
    expectSchema("AdminCohort", res.body[0]);
    const [bucket] = res.body[0].data;
    expect(Number(bucket.value)).toBeGreaterThanOrEqual(3);
    expect(bucket.rate).toBeGreaterThan(0.5);
    expect(bucket.rate).toBeLessThanOrEqual(1);
    const wrong = await call(ctx, "POST", "/api/v1/admin/retention", admin.token, {
      frequency: "week",
    });
    expect(wrong.status).toBe(422);
  });
});

describe("trend review", () => {
  it("a rejected tag leaves the public trends and is logged", async () => {
    const publicTrends = async () =>
      (await call(ctx, "GET", "/api/v1/trends/tags", alice.token)).body.map(
        (t: { name: string }) => t.name,
      );
    expect(await publicTrends()).toContain("roosting");
    const list = await call(ctx, "GET", "/api/v1/admin/trends/tags", admin.token);
    expect(list.status).toBe(200);
    const tag = list.body.find((t: { name: string }) => t.name === "roosting");
    expectSchema("AdminTag", tag);
    expect(tag.requires_review).toBe(false);

    const rejected = await call(
      ctx,
      "POST",
      `/api/v1/admin/trends/tags/${tag.id}/reject`,
      admin.token,
    );
    expect(rejected.status).toBe(200);
    expect(rejected.body.trendable).toBe(false);
    expect(await publicTrends()).not.toContain("roosting");
    // Staff still see it, to change their minds.
    const again = await call(ctx, "GET", "/api/v1/admin/trends/tags", admin.token);
    expect(again.body.map((t: { name: string }) => t.name)).toContain("roosting");
    await call(ctx, "POST", `/api/v1/admin/trends/tags/${tag.id}/approve`, admin.token);
    expect(await publicTrends()).toContain("roosting");

    const logged = await ctx.services.db
      .selectFrom("admin_action_logs")
      .select("action")
      .where("target_id", "=", tag.id)
      .execute();
    expect(logged.map((l) => l.action).sort()).toEqual(["approve_trend", "reject_trend"]);
  });

  it("is for staff who manage taxonomies only", async () => {
    expect((await call(ctx, "GET", "/api/v1/admin/trends/tags", alice.token)).status).toBe(403);
    expect(
      (await call(ctx, "POST", "/api/v1/admin/trends/tags/1/approve", alice.token)).status,
    ).toBe(403);
    const missing = await call(ctx, "POST", "/api/v1/admin/trends/statuses/1/approve", admin.token);
    expect(missing.status).toBe(404);
  });
});

describe("daily report", () => {
  it("is mailed once to admins, with yesterday's figures", async () => {
    // A post dated yesterday, so the report has something to count.
    const yesterday = new Date(Date.now() - 24 * 60 * 60 * 1000);
    const db = ctx.services.db;
    const row = await db
      .selectFrom("statuses")
      .selectAll()
      .where("account_id", "=", alice.account.id)
      .executeTakeFirstOrThrow();
    await db
      .insertInto("statuses")
      .values({
        ...row,
        id: idAtTime(yesterday),
        uri: `${row.uri}-old`,
        url: null,
        created_at: yesterday,
        updated_at: yesterday,
      })
      .execute();

    const sent = await sendDailyReport(ctx.services);
    expect(sent).toBe(yesterday.toISOString().slice(0, 10));
    expect(await sendDailyReport(ctx.services)).toBeUndefined();
    const reports = () => readMails(ctx).filter((m) => m.subject.includes("daily report"));
    // One mail job per admin: wait for both (and a moment for any third, had one gone astray).
    await until(() => reports().length >= 2, 30_000);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const mails = reports();
    // Both admins (one made in the measures tests), not the moderator or the users.
    expect(mails.map((m) => m.to).sort()).toEqual(["boss@example.com", "unscoped@example.com"]);
    expect(mails[0]!.body).toContain("Posts by local users: 1");
  });
});
