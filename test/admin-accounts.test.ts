// The admin accounts API: who may list, read and act (403 for the wrong role or scope),
// the filters of v1 and v2, Admin::Account bodies against the schema, and what each
// action does: suspension hides and cuts off the account and sends its actor Delete,
// unsuspension the Update; silence, sensitive, disable and their undoing; approval.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newId } from "../src/infra/ids.ts";
import { createUserWithToken } from "./helpers/auth.ts";
import {
  call,
  deliveries,
  expectStatus,
  remoteFollow,
  type TestUser,
  userWithRole,
} from "./helpers/moderation.ts";
import { expectSchema } from "./helpers/openapi.ts";
import { sleep, until } from "./helpers/queue-backends.ts";
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
let admin: TestUser;
let moderator: TestUser;
let plain: TestUser;
let tina: TestUser;
let mallory: RemoteActor;
let malloryId: string;

async function publicPost(accountId: string, username: string): Promise<string> {
  const id = newId();
  await ctx.services.db
    .insertInto("statuses")
    .values({
      id,
      uri: `${ORIGIN}/users/${username}/statuses/${id}`,
      url: null,
      account_id: accountId,
      local: true,
      in_reply_to_id: null,
      in_reply_to_account_id: null,
      in_reply_to_uri: null,
      reblog_of_id: null,
      conversation_id: null,
      visibility: "public",
      language: null,
      application_id: null,
      edited_at: null,
      content: "<p>hello</p>",
    })
    .execute();
  return id;
}

async function pendingUser(username: string): Promise<TestUser> {
  const user = await createUserWithToken(ctx, { username });
  await ctx.services.db
    .updateTable("users")
    .set({ approved: false, reason: "let me in", sign_up_ip: "10.1.2.3" })
    .where("id", "=", user.user.id)
    .execute();
  return user;
}

async function auditActions(targetId: string): Promise<string[]> {
  const rows = await ctx.services.db
    .selectFrom("admin_action_logs")
    .select("action")
    .where("target_id", "=", targetId)
    .orderBy("id")
    .execute();
  return rows.map((r) => r.action);
}

const action = (user: TestUser, id: string, body: Record<string, unknown>) =>
  call(ctx, "POST", `/api/v1/admin/accounts/${id}/action`, user.token, body);
const admin_ = (user: TestUser, id: string, verb: string) =>
  call(ctx, "POST", `/api/v1/admin/accounts/${id}/${verb}`, user.token);

beforeAll(async () => {
  hosts = await startRemoteHosts(1);
  ctx = await createTestContext(
    { PUBLIC_URL: ORIGIN, FEDERATION_ALLOW_PRIVATE_ADDRESS: "true" },
    { workers: true },
  );
  owner = await userWithRole(ctx, "owner", { username: "olga" });
  admin = await userWithRole(ctx, "admin", { username: "adam" });
  moderator = await userWithRole(ctx, "moderator", { username: "mona" });
  plain = await userWithRole(ctx, "user", { username: "pete" });
  tina = await createUserWithToken(ctx, { username: "tina" });
  mallory = await hosts.actor(hosts.origins[0]!, "mallory");
  malloryId = await remoteFollow(ctx, ORIGIN, mallory, "tina");
}, 90_000);
afterAll(async () => {
  await ctx?.close();
  await hosts?.close();
});

describe("listing and reading", () => {
  it("needs manage_users and an admin:read scope", async () => {
    for (const path of ["/api/v1/admin/accounts", "/api/v2/admin/accounts"]) {
      expect((await call(ctx, "GET", path)).status).toBe(401);
      expect((await call(ctx, "GET", path, plain.token)).status).toBe(403);
      const noScope = await userWithRole(ctx, "admin", { scopes: ["read", "write"] });
      expect((await call(ctx, "GET", path, noScope.token)).status).toBe(403);
      const granular = await userWithRole(ctx, "moderator", { scopes: ["admin:read:accounts"] });
      expect((await call(ctx, "GET", path, granular.token)).status).toBe(200);
    }
    expect(
      (await call(ctx, "GET", `/api/v1/admin/accounts/${tina.account.id}`, plain.token)).status,
    ).toBe(403);
  });

  it("lists local and remote accounts as schema-valid Admin::Accounts, with paging", async () => {
    const res = await call(ctx, "GET", "/api/v1/admin/accounts", moderator.token);
    expectStatus(res, 200);
    for (const entity of res.body) expectSchema("AdminAccount", entity);
    const tinaEntry = res.body.find((a: { id: string }) => a.id === tina.account.id);
    expect(tinaEntry).toMatchObject({
      username: "tina",
      domain: null,
      email: "tina@example.com",
      confirmed: true,
      approved: true,
      suspended: false,
      account: { acct: "tina" },
    });
    const remote = res.body.find((a: { id: string }) => a.id === malloryId);
    expect(remote).toMatchObject({ username: "mallory", suspended: false });
    expect(remote.domain).toBe(new URL(mallory.id).host);
    const page = await call(ctx, "GET", "/api/v1/admin/accounts?limit=2", moderator.token);
    expect(page.body).toHaveLength(2);
    const link = page.headers.get("link") ?? "";
    expect(link).toContain(`max_id=${page.body[1].id}`);
    const next = await call(
      ctx,
      "GET",
      `/api/v1/admin/accounts?limit=2&max_id=${page.body[1].id}`,
      moderator.token,
    );
    expect(next.body.map((a: { id: string }) => a.id)).not.toContain(page.body[0].id);
  });

  it("filters like Mastodon's v1 and v2", async () => {
    const pending = await pendingUser("penny");
    const ids = async (query: string) =>
      (await call(ctx, "GET", `/api/${query}`, moderator.token)).body.map(
        (a: { id: string }) => a.id,
      );
    expect(await ids("v1/admin/accounts?remote=true")).toEqual([malloryId]);
    expect(await ids("v1/admin/accounts?local=true")).not.toContain(malloryId);
    expect(await ids("v1/admin/accounts?pending=true")).toEqual([pending.account.id]);
    expect(await ids("v1/admin/accounts?username=tin")).toEqual([tina.account.id]);
    expect(await ids("v1/admin/accounts?email=penny@")).toEqual([pending.account.id]);
    expect(await ids("v1/admin/accounts?ip=10.1.0.0/16")).toEqual([pending.account.id]);
    expect(await ids("v2/admin/accounts?origin=remote")).toEqual([malloryId]);
    expect(await ids("v2/admin/accounts?status=pending")).toEqual([pending.account.id]);
    expect(await ids(`v2/admin/accounts?by_domain=${new URL(mallory.id).hostname}`)).toEqual([
      malloryId,
    ]);
    const staff = await ids("v2/admin/accounts?permissions=staff&origin=local");
    expect(staff).toEqual(
      expect.arrayContaining([owner.account.id, admin.account.id, moderator.account.id]),
    );
    expect(staff).not.toContain(tina.account.id);
    const mods = await ids("v2/admin/accounts?role_ids[]=1");
    expect(mods).toContain(moderator.account.id);
    expect(mods).not.toContain(admin.account.id);
    const bad = await call(ctx, "GET", "/api/v2/admin/accounts?status=bogus", moderator.token);
    expect(bad.status).toBe(422);
    expect(
      (await call(ctx, "GET", "/api/v1/admin/accounts?ip=nonsense", moderator.token)).status,
    ).toBe(422);
  });

  it("reads one account; unknown ids are 404", async () => {
    const res = await call(
      ctx,
      "GET",
      `/api/v1/admin/accounts/${tina.account.id}`,
      moderator.token,
    );
    expectStatus(res, 200);
    expectSchema("AdminAccount", res.body);
    expect((await call(ctx, "GET", "/api/v1/admin/accounts/12345", moderator.token)).status).toBe(
      404,
    );
    expect((await call(ctx, "GET", "/api/v1/admin/accounts/abc", moderator.token)).status).toBe(
      404,
    );
  });
});

describe("approval", () => {
  it("approves a pending sign-up (manage_user_access), once", async () => {
    const pending = await pendingUser("paula");
    const path = `/api/v1/admin/accounts/${pending.account.id}/approve`;
    expect((await call(ctx, "POST", path, moderator.token)).status).toBe(403);
    expect((await call(ctx, "POST", path, plain.token)).status).toBe(403);
    const res = await call(ctx, "POST", path, admin.token);
    expectStatus(res, 200);
    expectSchema("AdminAccount", res.body);
    expect(res.body.approved).toBe(true);
    expect((await call(ctx, "POST", path, admin.token)).status).toBe(403);
    expect(
      (await call(ctx, "GET", "/api/v1/accounts/verify_credentials", pending.token)).status,
    ).toBe(200);
    expect(await auditActions(pending.account.id)).toEqual(["approve"]);
  });

  it("rejects a pending sign-up by deleting it", async () => {
    const pending = await pendingUser("rita");
    const path = `/api/v1/admin/accounts/${pending.account.id}/reject`;
    expect((await call(ctx, "POST", path, moderator.token)).status).toBe(403);
    const res = await call(ctx, "POST", path, admin.token);
    expectStatus(res, 200);
    expectSchema("AdminAccount", res.body);
    expect(
      (await call(ctx, "GET", `/api/v1/admin/accounts/${pending.account.id}`, admin.token)).status,
    ).toBe(404);
    expect(await auditActions(pending.account.id)).toEqual(["reject"]);
    // Approved accounts are not pending: nothing to reject.
    expect(
      (await call(ctx, "POST", `/api/v1/admin/accounts/${tina.account.id}/reject`, admin.token))
        .status,
    ).toBe(403);
  });
});

describe("actions", () => {
  it("refuses the wrong roles, bad types, and acting on equal or higher roles", async () => {
    expect((await action(plain, tina.account.id, { type: "silence" })).status).toBe(403);
    expect((await action(moderator, admin.account.id, { type: "silence" })).status).toBe(403);
    expect((await action(admin, admin.account.id, { type: "silence" })).status).toBe(403);
    expect((await action(moderator, tina.account.id, { type: "disable" })).status).toBe(403);
    expect((await action(moderator, tina.account.id, { type: "explode" })).status).toBe(422);
    expect((await action(moderator, "999999", { type: "silence" })).status).toBe(404);
    const fresh = await ctx.services.db
      .selectFrom("accounts")
      .select(["silenced_at", "suspended_at"])
      .where("id", "in", [tina.account.id, admin.account.id])
      .execute();
    expect(fresh.every((a) => a.silenced_at === null && a.suspended_at === null)).toBe(true);
  });

  it("silences: posts leave the public timeline until unsilenced", async () => {
    const post = await publicPost(tina.account.id, "tina");
    const publicIds = async () =>
      (await call(ctx, "GET", "/api/v1/timelines/public?local=true", plain.token)).body.map(
        (s: { id: string }) => s.id,
      );
    expect(await publicIds()).toContain(post);
    const res = await action(moderator, tina.account.id, { type: "silence", text: "calm down" });
    expectStatus(res, 200);
    expect(res.body).toEqual({});
    expect(await publicIds()).not.toContain(post);
    const account = await call(
      ctx,
      "GET",
      `/api/v1/admin/accounts/${tina.account.id}`,
      moderator.token,
    );
    expect(account.body.silenced).toBe(true);
    const undo = await admin_(moderator, tina.account.id, "unsilence");
    expectStatus(undo, 200);
    expectSchema("AdminAccount", undo.body);
    expect(undo.body.silenced).toBe(false);
    expect(await publicIds()).toContain(post);
  });

  it("marks a sensitized account's posts sensitive to others, until unsensitive", async () => {
    const post = await publicPost(tina.account.id, "tina");
    expectStatus(await action(moderator, tina.account.id, { type: "sensitive" }), 200);
    const seen = await call(ctx, "GET", `/api/v1/statuses/${post}`, plain.token);
    expect(seen.body.sensitive).toBe(true);
    const own = await call(ctx, "GET", `/api/v1/statuses/${post}`, tina.token);
    expect(own.body.sensitive).toBe(false);
    const undo = await admin_(moderator, tina.account.id, "unsensitive");
    expect(undo.body.sensitized).toBe(false);
    expect((await call(ctx, "GET", `/api/v1/statuses/${post}`, plain.token)).body.sensitive).toBe(
      false,
    );
  });

  it("disables (manage_user_access): the tokens stop working until enabled", async () => {
    expectStatus(await action(admin, tina.account.id, { type: "disable" }), 200);
    expect((await call(ctx, "GET", "/api/v1/accounts/verify_credentials", tina.token)).status).toBe(
      403,
    );
    expect((await admin_(moderator, tina.account.id, "enable")).status).toBe(403);
    const res = await admin_(admin, tina.account.id, "enable");
    expectStatus(res, 200);
    expect(res.body.disabled).toBe(false);
    expect((await call(ctx, "GET", "/api/v1/accounts/verify_credentials", tina.token)).status).toBe(
      200,
    );
  });

  it("resolves the report an action is taken on; a warning changes nothing else", async () => {
    const report = await call(ctx, "POST", "/api/v1/reports", plain.token, {
      account_id: tina.account.id,
    });
    expectStatus(report, 200);
    expectStatus(
      await action(moderator, tina.account.id, {
        type: "none",
        report_id: report.body.id,
        text: "careful",
      }),
      200,
    );
    const row = await ctx.services.db
      .selectFrom("reports")
      .selectAll()
      .where("id", "=", report.body.id)
      .executeTakeFirstOrThrow();
    expect(row.action_taken_at).not.toBeNull();
    expect(row.action_taken_by_account_id).toBe(moderator.account.id);
    expect(await auditActions(report.body.id)).toEqual(["resolve"]);
    const other = await call(ctx, "POST", "/api/v1/reports", plain.token, {
      account_id: malloryId,
    });
    expect(
      (await action(moderator, tina.account.id, { type: "none", report_id: other.body.id })).status,
    ).toBe(422);
    const log = await ctx.services.db
      .selectFrom("admin_action_logs")
      .selectAll()
      .where("target_id", "=", tina.account.id)
      .where("action", "=", "warn")
      .executeTakeFirstOrThrow();
    expect(log.details).toMatchObject({ report_id: report.body.id, text: "careful" });
    expect(log.human_identifier).toBe("tina");
  });
});

describe("suspension", () => {
  it("hides a local account, cuts its tokens, deletes it remotely; unsuspend sends Update", async () => {
    const post = await publicPost(tina.account.id, "tina");
    await ctx.services.db
      .updateTable("accounts")
      .set({ display_name: "Tina T" })
      .where("id", "=", tina.account.id)
      .execute();
    expectStatus(await action(moderator, tina.account.id, { type: "suspend" }), 200);
    // Cut off, and nowhere to be seen by others.
    expect((await call(ctx, "GET", "/api/v1/accounts/verify_credentials", tina.token)).status).toBe(
      403,
    );
    expect((await call(ctx, "GET", `/api/v1/statuses/${post}`, plain.token)).status).toBe(404);
    const profile = await call(ctx, "GET", `/api/v1/accounts/${tina.account.id}`, plain.token);
    expect(profile.body).toMatchObject({ suspended: true, display_name: "", note: "" });
    const statuses = await call(
      ctx,
      "GET",
      `/api/v1/accounts/${tina.account.id}/statuses`,
      plain.token,
    );
    expect(statuses.body).toEqual([]);
    const search = await call(ctx, "GET", "/api/v2/search?q=tina&type=accounts", plain.token);
    expect(search.body.accounts.map((a: { id: string }) => a.id)).not.toContain(tina.account.id);
    const actor = await ctx.app.request(`${ORIGIN}/users/tina`, {
      headers: { accept: "application/activity+json" },
    });
    expect(actor.status).toBe(404);
    // Its followers' servers are told to delete the actor, signed by its own key.
    await until(
      () => deliveries(hosts, "Delete").some((d) => d.json.object === `${ORIGIN}/users/tina`),
      20_000,
    );
    const del = deliveries(hosts, "Delete").find((d) => d.json.object === `${ORIGIN}/users/tina`)!;
    expect(del.json.actor).toBe(`${ORIGIN}/users/tina`);
    const request = hosts.received.find((r) => r.method === "POST" && r.body.includes('"Delete"'))!;
    // draft-cavage (keyId) or RFC 9421 (keyid in Signature-Input), whichever was used.
    const signed = `${request.headers.signature ?? ""} ${request.headers["signature-input"] ?? ""}`;
    expect(signed.toLowerCase()).toContain(`keyid="${ORIGIN}/users/tina#main-key"`);
    // Staff still see it, marked suspended.
    const staffView = await call(
      ctx,
      "GET",
      `/api/v1/admin/accounts/${tina.account.id}`,
      moderator.token,
    );
    expect(staffView.body).toMatchObject({ suspended: true, account: { display_name: "Tina T" } });

    const back = await call(
      ctx,
      "POST",
      `/api/v1/admin/accounts/${tina.account.id}/unsuspend`,
      moderator.token,
    );
    expectStatus(back, 200);
    expect(back.body.suspended).toBe(false);
    await until(
      () => deliveries(hosts, "Update").some((d) => d.json.actor === `${ORIGIN}/users/tina`),
      20_000,
    );
    expect((await call(ctx, "GET", "/api/v1/accounts/verify_credentials", tina.token)).status).toBe(
      200,
    );
    expect(await auditActions(tina.account.id)).toEqual(
      expect.arrayContaining(["suspend", "unsuspend"]),
    );
  });

  it("refuses a suspended remote account's activities", async () => {
    expectStatus(await action(moderator, malloryId, { type: "suspend" }), 200);
    const noteId = `${mallory.id}/statuses/after-suspension`;
    const res = await ctx.app.request(
      await signedPost(
        `${ORIGIN}/inbox`,
        {
          "@context": AS,
          id: `${noteId}/activity`,
          type: "Create",
          actor: mallory.id,
          to: [`${AS}#Public`],
          object: {
            id: noteId,
            type: "Note",
            attributedTo: mallory.id,
            to: [`${AS}#Public`],
            content: "<p>still here</p>",
            published: new Date().toISOString(),
          },
        },
        mallory,
      ),
    );
    expect(res.status).toBeLessThan(300);
    await until(async () => (await ctx.services.queues.inbox.getDepth()).queued === 0, 15_000);
    await sleep(500);
    const stored = await ctx.services.db
      .selectFrom("statuses")
      .select("id")
      .where("uri", "=", noteId)
      .executeTakeFirst();
    expect(stored).toBeUndefined();
    // Nothing is sent for a remote account's suspension.
    expect(deliveries(hosts, "Delete").some((d) => d.json.object === mallory.id)).toBe(false);
  });

  it("deletes only suspended accounts' data, with delete_user_data, keeping a tombstone", async () => {
    const victim = await createUserWithToken(ctx, { username: "victor" });
    const post = await publicPost(victim.account.id, "victor");
    // Victor boosted tina's post and follows her: her counters must come back down.
    const tinaPost = await publicPost(tina.account.id, "tina");
    const boost = await call(ctx, "POST", `/api/v1/statuses/${tinaPost}/reblog`, victim.token);
    expectStatus(boost, 200);
    const report = await call(ctx, "POST", "/api/v1/reports", plain.token, {
      account_id: victim.account.id,
    });
    expectStatus(report, 200);
    const path = `/api/v1/admin/accounts/${victim.account.id}`;
    expect((await call(ctx, "DELETE", path, admin.token)).status).toBe(403);
    expectStatus(await action(moderator, victim.account.id, { type: "suspend" }), 200);
    expect((await call(ctx, "DELETE", path, moderator.token)).status).toBe(403);
    const res = await call(ctx, "DELETE", path, admin.token);
    expectStatus(res, 200);
    expectSchema("AdminAccount", res.body);
    // The row stays, suspended and empty: the name is not free again.
    const after = await call(ctx, "GET", path, admin.token);
    expectStatus(after, 200);
    expect(after.body).toMatchObject({ suspended: true, email: "", username: "victor" });
    const left = await ctx.services.db
      .selectFrom("statuses")
      .select("id")
      .where("account_id", "=", victim.account.id)
      .execute();
    expect(left).toEqual([]);
    expect(
      await ctx.services.db
        .selectFrom("statuses")
        .select("id")
        .where("id", "=", post)
        .executeTakeFirst(),
    ).toBeUndefined();
    const counted = await ctx.services.db
      .selectFrom("statuses")
      .select("reblogs_count")
      .where("id", "=", tinaPost)
      .executeTakeFirstOrThrow();
    expect(counted.reblogs_count).toBe(0);
    expect(
      (await call(ctx, "GET", "/api/v1/accounts/verify_credentials", victim.token)).status,
    ).toBe(401);
    // Reports about it are kept as evidence.
    const kept = await call(ctx, "GET", `/api/v1/admin/reports/${report.body.id}`, admin.token);
    expectStatus(kept, 200);
    expect(kept.body.target_account.id).toBe(victim.account.id);
    expect(await auditActions(victim.account.id)).toEqual(["suspend", "destroy"]);
  });
});
