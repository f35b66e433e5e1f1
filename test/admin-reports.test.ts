// The admin reports API (manage_reports) and the audit log (view_audit_log): each endpoint
// with the right role and the wrong one, Admin::Report bodies against the schema, the
// state changes (assign, unassign, resolve, reopen, recategorize) and their audit entries.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newId } from "../src/infra/ids.ts";
import { setInstanceSetting } from "../src/instance/settings.ts";
import { createUserWithToken } from "./helpers/auth.ts";
import { call, expectStatus, type TestUser, userWithRole } from "./helpers/moderation.ts";
import { expectSchema } from "./helpers/openapi.ts";
import { createTestContext, type TestContext } from "./helpers/services.ts";

let ctx: TestContext;
let admin: TestUser;
let moderator: TestUser;
let plain: TestUser;
let reporter: TestUser;
let target: TestUser;
let privateStatusId: string;
const reportIds: string[] = [];

async function privatePost(accountId: string): Promise<string> {
  const id = newId();
  await ctx.services.db
    .insertInto("statuses")
    .values({
      id,
      uri: `https://testing.local/users/tom/statuses/${id}`,
      url: null,
      account_id: accountId,
      local: true,
      in_reply_to_id: null,
      in_reply_to_account_id: null,
      in_reply_to_uri: null,
      reblog_of_id: null,
      conversation_id: null,
      visibility: "private",
      language: null,
      application_id: null,
      edited_at: null,
      content: "<p>for followers</p>",
    })
    .execute();
  return id;
}

beforeAll(async () => {
  ctx = await createTestContext({ PUBLIC_URL: "https://testing.local" });
  admin = await userWithRole(ctx, "admin", { username: "adam" });
  moderator = await userWithRole(ctx, "moderator", { username: "mona" });
  plain = await userWithRole(ctx, "user", { username: "pete" });
  reporter = await createUserWithToken(ctx, { username: "rick" });
  target = await createUserWithToken(ctx, { username: "tom" });
  await setInstanceSetting(ctx.services.db, "rules", [{ id: "7", text: "No spam" }]);
  // The reporter follows the target, so may see (and report) a followers-only post.
  await ctx.services.db
    .insertInto("follows")
    .values({
      id: newId(),
      account_id: reporter.account.id,
      target_account_id: target.account.id,
      uri: null,
    })
    .execute();
  privateStatusId = await privatePost(target.account.id);
  for (const body of [
    { account_id: target.account.id, status_ids: [privateStatusId], comment: "first" },
    { account_id: target.account.id, comment: "second", category: "spam" },
    { account_id: reporter.account.id, comment: "third" },
  ]) {
    const token = body.account_id === reporter.account.id ? plain.token : reporter.token;
    const res = await call(ctx, "POST", "/api/v1/reports", token, body);
    expectStatus(res, 200);
    reportIds.push(res.body.id);
  }
}, 60_000);
afterAll(async () => {
  await ctx?.close();
});

describe("permissions", () => {
  it("needs manage_reports and the admin reports scopes", async () => {
    const id = reportIds[0];
    const routes: [string, string][] = [
      ["GET", "/api/v1/admin/reports"],
      ["GET", `/api/v1/admin/reports/${id}`],
      ["PUT", `/api/v1/admin/reports/${id}`],
      ["POST", `/api/v1/admin/reports/${id}/assign_to_self`],
      ["POST", `/api/v1/admin/reports/${id}/unassign`],
      ["POST", `/api/v1/admin/reports/${id}/resolve`],
      ["POST", `/api/v1/admin/reports/${id}/reopen`],
    ];
    const noScope = await userWithRole(ctx, "admin", { scopes: ["read", "write"] });
    for (const [method, path] of routes) {
      expect({ path, status: (await call(ctx, method, path)).status }).toEqual({
        path,
        status: 401,
      });
      const wrongRole = await call(ctx, method, path, plain.token, {});
      expect({ path, status: wrongRole.status }).toEqual({ path, status: 403 });
      expect(Object.keys(wrongRole.body)).toEqual(["error"]);
      const wrongScope = await call(ctx, method, path, noScope.token, {});
      expect({ path, status: wrongScope.status }).toEqual({ path, status: 403 });
    }
    // Reading takes admin:read:reports alone; writing does not come with it.
    const reader = await userWithRole(ctx, "moderator", { scopes: ["admin:read:reports"] });
    expect((await call(ctx, "GET", "/api/v1/admin/reports", reader.token)).status).toBe(200);
    expect(
      (await call(ctx, "POST", `/api/v1/admin/reports/${id}/resolve`, reader.token)).status,
    ).toBe(403);
    // Nothing changed through the refused calls.
    const row = await ctx.services.db
      .selectFrom("reports")
      .selectAll()
      .where("id", "=", id!)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ action_taken_at: null, assigned_account_id: null });
  });
});

describe("reading", () => {
  it("lists open reports as Admin::Reports, with the reported posts whatever their visibility", async () => {
    const res = await call(ctx, "GET", "/api/v1/admin/reports", moderator.token);
    expectStatus(res, 200);
    expect(res.body.map((r: { id: string }) => r.id)).toEqual([...reportIds].reverse());
    for (const report of res.body) expectSchema("AdminReport", report);
    const first = res.body.find((r: { id: string }) => r.id === reportIds[0]);
    expect(first).toMatchObject({
      comment: "first",
      category: "other",
      action_taken: false,
      account: { id: reporter.account.id, email: "rick@example.com" },
      target_account: { id: target.account.id, username: "tom" },
      assigned_account: null,
      statuses: [{ id: privateStatusId, visibility: "private" }],
    });
  });

  it("filters by reporter and target, and pages with Link", async () => {
    const ids = async (query: string) =>
      (await call(ctx, "GET", `/api/v1/admin/reports${query}`, moderator.token)).body.map(
        (r: { id: string }) => r.id,
      );
    expect(await ids(`?target_account_id=${target.account.id}`)).toEqual([
      reportIds[1],
      reportIds[0],
    ]);
    expect(await ids(`?account_id=${plain.account.id}`)).toEqual([reportIds[2]]);
    expect(await ids("?account_id=nonsense")).toEqual([]);
    const page = await call(ctx, "GET", "/api/v1/admin/reports?limit=1", moderator.token);
    expect(page.body).toHaveLength(1);
    expect(page.headers.get("link")).toContain(`max_id=${page.body[0].id}`);
    expect(await ids(`?limit=1&max_id=${page.body[0].id}`)).toEqual([reportIds[1]]);
  });

  it("reads one; unknown ids are 404", async () => {
    const res = await call(ctx, "GET", `/api/v1/admin/reports/${reportIds[1]}`, moderator.token);
    expectStatus(res, 200);
    expectSchema("AdminReport", res.body);
    expect(res.body.category).toBe("spam");
    expect((await call(ctx, "GET", "/api/v1/admin/reports/1", moderator.token)).status).toBe(404);
    expect((await call(ctx, "GET", "/api/v1/admin/reports/x", moderator.token)).status).toBe(404);
  });
});

describe("handling", () => {
  const act = (verb: string, id = reportIds[0]) =>
    call(ctx, "POST", `/api/v1/admin/reports/${id}/${verb}`, moderator.token);

  it("assigns, unassigns, resolves and reopens", async () => {
    const assigned = await act("assign_to_self");
    expectStatus(assigned, 200);
    expectSchema("AdminReport", assigned.body);
    expect(assigned.body.assigned_account.id).toBe(moderator.account.id);
    expect((await act("unassign")).body.assigned_account).toBeNull();

    const resolved = await act("resolve");
    expectSchema("AdminReport", resolved.body);
    expect(resolved.body).toMatchObject({
      action_taken: true,
      action_taken_by_account: { id: moderator.account.id },
    });
    expect(resolved.body.action_taken_at).not.toBeNull();
    const open = await call(ctx, "GET", "/api/v1/admin/reports", moderator.token);
    expect(open.body.map((r: { id: string }) => r.id)).not.toContain(reportIds[0]);
    const closed = await call(ctx, "GET", "/api/v1/admin/reports?resolved=true", moderator.token);
    expect(closed.body.map((r: { id: string }) => r.id)).toEqual([reportIds[0]]);

    const reopened = await act("reopen");
    expect(reopened.body).toMatchObject({
      action_taken: false,
      action_taken_at: null,
      action_taken_by_account: null,
    });
    expect((await act("resolve", "123")).status).toBe(404);
  });

  it("recategorizes, with rules only for violations", async () => {
    const path = `/api/v1/admin/reports/${reportIds[1]}`;
    const res = await call(ctx, "PUT", path, moderator.token, {
      category: "violation",
      rule_ids: ["7"],
    });
    expectStatus(res, 200);
    expectSchema("AdminReport", res.body);
    expect(res.body).toMatchObject({
      category: "violation",
      rules: [{ id: "7", text: "No spam" }],
    });
    expect((await call(ctx, "PUT", path, moderator.token, { category: "bogus" })).status).toBe(422);
    expect((await call(ctx, "PUT", path, moderator.token, { rule_ids: ["99"] })).status).toBe(422);
    const other = await call(ctx, "PUT", path, moderator.token, { category: "legal" });
    expect(other.body).toMatchObject({ category: "legal", rules: [] });
  });

  it("shows the reporter nothing of the handling", async () => {
    // The reporter's own view is the Report entity: no staff, no reporter identity.
    const res = await call(ctx, "POST", "/api/v1/reports", reporter.token, {
      account_id: target.account.id,
    });
    expect(Object.keys(res.body)).not.toContain("account");
    expect(Object.keys(res.body)).not.toContain("assigned_account");
    expect(JSON.stringify(res.body)).not.toContain("rick@example.com");
  });
});

describe("audit log", () => {
  it("records every action and lets view_audit_log read it, newest first with paging", async () => {
    expect((await call(ctx, "GET", "/api/v1/admin/action_logs", plain.token)).status).toBe(403);
    expect((await call(ctx, "GET", "/api/v1/admin/action_logs")).status).toBe(401);
    const res = await call(
      ctx,
      "GET",
      `/api/v1/admin/action_logs?account_id=${moderator.account.id}`,
      admin.token,
    );
    expectStatus(res, 200);
    expect(res.body.map((e: { action: string }) => e.action)).toEqual([
      "update",
      "update",
      "reopen",
      "resolve",
      "unassign",
      "assigned_to_self",
    ]);
    expect(res.body[2]).toMatchObject({
      target_type: "Report",
      target_id: reportIds[0],
      account: { id: moderator.account.id, username: "mona" },
    });
    expect(res.body[0].details).toEqual({ category: "legal", rule_ids: [] });
    const page = await call(ctx, "GET", "/api/v1/admin/action_logs?limit=2", moderator.token);
    expect(page.body).toHaveLength(2);
    expect(page.headers.get("link")).toContain(`max_id=${page.body[1].id}`);
    const more = await call(
      ctx,
      "GET",
      `/api/v1/admin/action_logs?limit=2&max_id=${page.body[1].id}`,
      moderator.token,
    );
    expect(more.body.map((e: { id: string }) => e.id)).toEqual([res.body[2].id, res.body[3].id]);
  });
});
