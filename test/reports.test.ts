// User reports (POST /api/v1/reports), their forwarding to the reported account's server
// as a Flag from the instance actor, and Flags received from other servers.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newId } from "../src/infra/ids.ts";
import { setInstanceSetting } from "../src/instance/settings.ts";
import { createUserWithToken } from "./helpers/auth.ts";
import {
  call,
  deliveries,
  expectStatus,
  remoteFollow,
  type TestUser,
} from "./helpers/moderation.ts";
import { expectResponseSchema } from "./helpers/openapi.ts";
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
let alice: TestUser;
let bob: TestUser;
let mallory: RemoteActor;
let malloryId: string;
let eve: RemoteActor;
let eveId: string;

async function insertStatus(
  accountId: string,
  uri: string,
  options: { local: boolean; visibility?: "public" | "private"; inReplyToAccountId?: string },
): Promise<string> {
  const id = newId();
  await ctx.services.db
    .insertInto("statuses")
    .values({
      id,
      uri: uri.replace("ID", id),
      url: null,
      account_id: accountId,
      local: options.local,
      in_reply_to_id: null,
      in_reply_to_account_id: options.inReplyToAccountId ?? null,
      in_reply_to_uri: null,
      reblog_of_id: null,
      conversation_id: null,
      visibility: options.visibility ?? "public",
      language: null,
      application_id: null,
      edited_at: null,
      content: "<p>a post</p>",
    })
    .execute();
  return id;
}

async function reportsAgainst(targetId: string) {
  return await ctx.services.db
    .selectFrom("reports")
    .selectAll()
    .where("target_account_id", "=", targetId)
    .execute();
}

beforeAll(async () => {
  hosts = await startRemoteHosts(2);
  ctx = await createTestContext(
    { PUBLIC_URL: ORIGIN, FEDERATION_ALLOW_PRIVATE_ADDRESS: "true" },
    { workers: true },
  );
  alice = await createUserWithToken(ctx, { username: "alice" });
  bob = await createUserWithToken(ctx, { username: "bob" });
  mallory = await hosts.actor(hosts.origins[0]!, "mallory");
  eve = await hosts.actor(hosts.origins[1]!, "eve");
  malloryId = await remoteFollow(ctx, ORIGIN, mallory, "bob");
  eveId = await remoteFollow(ctx, ORIGIN, eve, "bob");
  await setInstanceSetting(ctx.services.db, "rules", [
    { id: "1", text: "No spam" },
    { id: "2", text: "Be kind" },
  ]);
}, 90_000);
afterAll(async () => {
  await ctx?.close();
  await hosts?.close();
});

describe("POST /api/v1/reports", () => {
  it("files a report on a local account with its posts, as a Report entity", async () => {
    const statusId = await insertStatus(bob.account.id, `${ORIGIN}/users/bob/statuses/ID`, {
      local: true,
    });
    const res = await call(ctx, "POST", "/api/v1/reports", alice.token, {
      account_id: bob.account.id,
      status_ids: [statusId],
      comment: "spammy",
      category: "spam",
    });
    expectStatus(res, 200);
    expectResponseSchema("POST", "/api/v1/reports", 200, res.body);
    expect(res.body).toMatchObject({
      action_taken: false,
      category: "spam",
      comment: "spammy",
      forwarded: false,
      status_ids: [statusId],
      rule_ids: [],
      target_account: { id: bob.account.id, acct: "bob" },
    });
    const [row] = (await reportsAgainst(bob.account.id)).filter((r) => r.id === res.body.id);
    expect(row).toMatchObject({ account_id: alice.account.id, status_ids: [statusId] });
  });

  it("takes form parameters, and makes a report naming rules a violation", async () => {
    const res = await ctx.app.request("/api/v1/reports", {
      method: "POST",
      headers: {
        authorization: `Bearer ${alice.token}`,
        "content-type": "application/x-www-form-urlencoded",
      },
      body: `account_id=${bob.account.id}&rule_ids[]=2&category=other&comment=rude`,
    });
    expect(res.status).toBe(200);
    const body = await res.json();
    expectResponseSchema("POST", "/api/v1/reports", 200, body);
    expect(body).toMatchObject({ category: "violation", rule_ids: ["2"], comment: "rude" });
  });

  it("refuses what Mastodon refuses", async () => {
    const other = await insertStatus(alice.account.id, `${ORIGIN}/users/alice/statuses/ID`, {
      local: true,
    });
    const hidden = await insertStatus(bob.account.id, `${ORIGIN}/users/bob/statuses/ID`, {
      local: true,
      visibility: "private",
    });
    const before = (await reportsAgainst(bob.account.id)).length;
    const cases: [unknown, number][] = [
      [{ account_id: bob.account.id, status_ids: [other] }, 404], // not the target's post
      [{ account_id: bob.account.id, status_ids: [hidden] }, 404], // not visible to the reporter
      [{ account_id: bob.account.id, comment: "x".repeat(1001) }, 422],
      [{ account_id: bob.account.id, category: "nonsense" }, 422],
      [{ account_id: bob.account.id, rule_ids: ["99"] }, 422],
      [{ account_id: "123456789" }, 404],
      [{ account_id: "not-an-id" }, 404],
      [{ comment: "no account" }, 422],
      [{ account_id: alice.account.id }, 422], // oneself
    ];
    for (const [body, status] of cases) {
      const res = await call(ctx, "POST", "/api/v1/reports", alice.token, body);
      expect({ body, status: res.status }).toEqual({ body, status });
      expect(typeof res.body.error).toBe("string");
    }
    expect((await reportsAgainst(bob.account.id)).length).toBe(before);
  });

  it("needs a user token with write:reports", async () => {
    const body = { account_id: bob.account.id };
    expect((await call(ctx, "POST", "/api/v1/reports", undefined, body)).status).toBe(401);
    const reader = await createUserWithToken(ctx, { scopes: ["read"] });
    expect((await call(ctx, "POST", "/api/v1/reports", reader.token, body)).status).toBe(403);
    const granular = await createUserWithToken(ctx, { scopes: ["write:reports"] });
    expect((await call(ctx, "POST", "/api/v1/reports", granular.token, body)).status).toBe(200);
  });
});

describe("forwarding", () => {
  it("forwards to the remote account's server as a Flag from the instance actor", async () => {
    const statusId = await insertStatus(malloryId, `${mallory.id}/statuses/ID`, { local: false });
    const status = await ctx.services.db
      .selectFrom("statuses")
      .select("uri")
      .where("id", "=", statusId)
      .executeTakeFirstOrThrow();
    const res = await call(ctx, "POST", "/api/v1/reports", alice.token, {
      account_id: malloryId,
      status_ids: [statusId],
      comment: "forward me",
      forward: true,
    });
    expectStatus(res, 200);
    expect(res.body.forwarded).toBe(true);
    await until(() => deliveries(hosts, "Flag").length > 0, 20_000);
    const [flag] = deliveries(hosts, "Flag");
    expect(flag!.url.startsWith(hosts.origins[0]!)).toBe(true);
    expect(flag!.json).toMatchObject({
      actor: `${ORIGIN}/users/instance.actor`,
      content: "forward me",
      object: [mallory.id, status.uri],
    });
    // The reporter stays anonymous to the other server.
    expect(JSON.stringify(flag!.json)).not.toContain("alice");
    // Only the reported account's server hears of it.
    expect(deliveries(hosts, "Flag").every((d) => d.url.startsWith(hosts.origins[0]!))).toBe(true);
  });

  it("sends nothing without forward, and never for a local account", async () => {
    const before = deliveries(hosts, "Flag").length;
    const remote = await call(ctx, "POST", "/api/v1/reports", alice.token, {
      account_id: eveId,
      comment: "keep it here",
    });
    expect(remote.body.forwarded).toBe(false);
    const local = await call(ctx, "POST", "/api/v1/reports", alice.token, {
      account_id: bob.account.id,
      forward: true,
    });
    expect(local.body.forwarded).toBe(false);
    await sleep(500);
    await until(async () => (await ctx.services.queues.outbox.getDepth()).queued === 0, 15_000);
    // Give the event jobs time to run (a forwarded report would be queued by then).
    await sleep(1500);
    await until(async () => (await ctx.services.queues.outbox.getDepth()).queued === 0, 15_000);
    expect(deliveries(hosts, "Flag").length).toBe(before);
  });
});

describe("inbound Flag", () => {
  async function sendFlag(by: RemoteActor, id: string, object: string[], content = "bad") {
    const res = await ctx.app.request(
      await signedPost(
        `${ORIGIN}/inbox`,
        { "@context": AS, id, type: "Flag", actor: by.id, content, object },
        by,
      ),
    );
    expect(res.status).toBeLessThan(300);
  }

  it("stores a Flag of a local account and post as a report from the sender, once", async () => {
    const statusId = await insertStatus(bob.account.id, `${ORIGIN}/users/bob/statuses/ID`, {
      local: true,
    });
    const id = `${mallory.id}/flags/1`;
    const object = [
      `${ORIGIN}/users/bob`,
      `${ORIGIN}/users/bob/statuses/${statusId}`,
      `${eve.id}/statuses/elsewhere`,
    ];
    await sendFlag(mallory, id, object, "from afar");
    await until(
      async () => (await reportsAgainst(bob.account.id)).some((r) => r.uri === id),
      20_000,
    );
    await sendFlag(mallory, id, object, "from afar");
    await until(async () => (await ctx.services.queues.inbox.getDepth()).queued === 0, 15_000);
    await sleep(300);
    const stored = (await reportsAgainst(bob.account.id)).filter((r) => r.uri === id);
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({
      account_id: malloryId,
      status_ids: [statusId],
      comment: "from afar",
      category: "other",
      action_taken_at: null,
    });
  });

  it("ignores Flags that name nothing of ours", async () => {
    const before = await ctx.services.db
      .selectFrom("reports")
      .select((eb) => eb.fn.countAll<string>().as("n"))
      .executeTakeFirstOrThrow();
    await sendFlag(eve, `${eve.id}/flags/2`, [mallory.id, `${ORIGIN}/users/nobody`]);
    await until(async () => (await ctx.services.queues.inbox.getDepth()).queued === 0, 15_000);
    await sleep(500);
    const after = await ctx.services.db
      .selectFrom("reports")
      .select((eb) => eb.fn.countAll<string>().as("n"))
      .executeTakeFirstOrThrow();
    expect(after.n).toBe(before.n);
  });
});
