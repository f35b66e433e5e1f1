// User domain blocks: the list (Link paging, JSON/form/query `domain`), and what a block
// does: that domain's statuses leave timelines and threads, its notifications leave the
// list (and new ones are not made), follows both ways end, relationships say so.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AccountRow } from "../src/auth/middleware.ts";
import { newId } from "../src/infra/ids.ts";
import { notifyStatusCreated } from "../src/notifications/create.ts";
import { createUserWithToken } from "./helpers/auth.ts";
import { expectResponseSchema, expectSchema } from "./helpers/openapi.ts";
import { createTestContext, type TestContext } from "./helpers/services.ts";

let ctx: TestContext;

beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => {
  await ctx?.close();
});

// biome-ignore lint/suspicious/noExplicitAny: JSON bodies of many shapes
type Json = any;

async function call(
  method: string,
  path: string,
  token: string,
  body?: Record<string, string>,
  form = false,
) {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  let payload: string | undefined;
  if (body && form) {
    headers["content-type"] = "application/x-www-form-urlencoded";
    payload = new URLSearchParams(body).toString();
  } else if (body) {
    headers["content-type"] = "application/json";
    payload = JSON.stringify(body);
  }
  const res = await ctx.app.request(path, { method, headers, body: payload });
  const text = await res.text();
  return { res, status: res.status, body: (text ? JSON.parse(text) : null) as Json };
}

async function remoteAccount(username: string, domain: string): Promise<AccountRow> {
  const id = newId();
  return ctx.services.db
    .insertInto("accounts")
    .values({
      id,
      username,
      domain,
      uri: `https://${domain}/users/${username}`,
      url: `https://${domain}/@${username}`,
      inbox_url: `https://${domain}/users/${username}/inbox`,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

async function post(
  author: AccountRow,
  options: { inReplyTo?: { id: string; account_id: string }; mentions?: AccountRow[] } = {},
) {
  const id = newId();
  await ctx.services.db
    .insertInto("statuses")
    .values({
      id,
      uri: `https://${author.domain ?? "local.test"}/statuses/${id}`,
      account_id: author.id,
      local: author.domain === null,
      visibility: "public",
      content: "<p>hello</p>",
      in_reply_to_id: options.inReplyTo?.id ?? null,
      in_reply_to_account_id: options.inReplyTo?.account_id ?? null,
      created_at: new Date(),
    })
    .execute();
  for (const m of options.mentions ?? []) {
    await ctx.services.db
      .insertInto("mentions")
      .values({ status_id: id, account_id: m.id })
      .execute();
  }
  return id;
}

async function follow(from: AccountRow, to: AccountRow) {
  await ctx.services.db
    .insertInto("follows")
    .values({ id: newId(), account_id: from.id, target_account_id: to.id })
    .execute();
}

describe("user domain blocks", () => {
  it("lists, pages and removes blocks given as JSON, form or query", async () => {
    const user = await createUserWithToken(ctx);
    const empty = await call("GET", "/api/v1/domain_blocks", user.token);
    expect(empty.status).toBe(200);
    expect(empty.body).toEqual([]);

    for (const [i, domain] of ["one.example", "Two.Example", "three.example"].entries()) {
      const res = await call("POST", "/api/v1/domain_blocks", user.token, { domain }, i === 1);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({});
    }
    // Blocking twice is not an error.
    expect(
      (await call("POST", "/api/v1/domain_blocks?domain=one.example", user.token)).status,
    ).toBe(200);

    const all = await call("GET", "/api/v1/domain_blocks", user.token);
    expectResponseSchema("GET", "/api/v1/domain_blocks", 200, all.body);
    expect(all.body).toEqual(["three.example", "two.example", "one.example"]);

    // Two per page, following the Link header.
    const first = await call("GET", "/api/v1/domain_blocks?limit=2", user.token);
    expect(first.body).toEqual(["three.example", "two.example"]);
    const next = /<([^>]+)>; rel="next"/.exec(first.res.headers.get("link") ?? "")?.[1];
    expect(next).toBeTruthy();
    const second = await call("GET", new URL(next!).pathname + new URL(next!).search, user.token);
    expect(second.body).toEqual(["one.example"]);

    const removed = await call("DELETE", "/api/v1/domain_blocks?domain=two.example", user.token);
    expect(removed.status).toBe(200);
    expect((await call("GET", "/api/v1/domain_blocks", user.token)).body).toEqual([
      "three.example",
      "one.example",
    ]);

    // Someone else's list is their own.
    const other = await createUserWithToken(ctx);
    expect((await call("GET", "/api/v1/domain_blocks", other.token)).body).toEqual([]);
  });

  it("refuses what is not a domain, and its own server", async () => {
    const user = await createUserWithToken(ctx);
    for (const domain of ["", "not a domain", "bad..example"]) {
      const res = await call("POST", "/api/v1/domain_blocks", user.token, { domain });
      expect(res.status).toBe(422);
      expect(typeof res.body.error).toBe("string");
    }
    const own = await call("POST", "/api/v1/domain_blocks", user.token, {
      domain: ctx.config.domain,
    });
    expect(own.status).toBe(422);
    const anonymous = await ctx.app.request("/api/v1/domain_blocks");
    expect(anonymous.status).toBe(401);
  });

  it("hides the domain's statuses and notifications and ends follows both ways", async () => {
    const user = await createUserWithToken(ctx);
    const local = await createUserWithToken(ctx);
    const blocked = await remoteAccount("spammer", "blocked.example");
    const fine = await remoteAccount("friend", "fine.example");
    await follow(user.account, blocked);
    await follow(blocked, user.account);
    await follow(user.account, fine);
    await ctx.services.db
      .insertInto("follow_requests")
      .values({ id: newId(), account_id: blocked.id, target_account_id: user.account.id })
      .onConflict((oc) => oc.doNothing())
      .execute();

    const root = await post(local.account);
    const blockedReply = await post(blocked, {
      inReplyTo: { id: root, account_id: local.account.id },
      mentions: [user.account],
    });
    const fineReply = await post(fine, { inReplyTo: { id: root, account_id: local.account.id } });
    expect(await notifyStatusCreated(ctx.services.db, blockedReply)).toHaveLength(1);
    // Public timelines leave replies out; these are top-level posts.
    const blockedPost = await post(blocked);
    const finePost = await post(fine);

    const before = await call("GET", `/api/v1/statuses/${root}/context`, user.token);
    expect(before.body.descendants.map((s: Json) => s.id)).toEqual([blockedReply, fineReply]);
    const publicBefore = await call("GET", "/api/v1/timelines/public?limit=40", user.token);
    expect(publicBefore.body.map((s: Json) => s.id)).toContain(blockedPost);
    const notesBefore = await call("GET", "/api/v1/notifications", user.token);
    expect(notesBefore.body.map((n: Json) => n.status?.id)).toContain(blockedReply);

    const res = await call("POST", "/api/v1/domain_blocks", user.token, {
      domain: "BLOCKED.example",
    });
    expect(res.status).toBe(200);

    const after = await call("GET", `/api/v1/statuses/${root}/context`, user.token);
    expectSchema("Context", after.body);
    expect(after.body.descendants.map((s: Json) => s.id)).toEqual([fineReply]);
    const publicAfter = await call("GET", "/api/v1/timelines/public?limit=40", user.token);
    const publicIds = publicAfter.body.map((s: Json) => s.id);
    expect(publicIds).not.toContain(blockedPost);
    expect(publicIds).toContain(finePost);
    expect((await call("GET", `/api/v1/statuses/${blockedReply}`, user.token)).status).toBe(404);
    // Only for the user who blocked.
    const forOthers = await call("GET", `/api/v1/statuses/${root}/context`, local.token);
    expect(forOthers.body.descendants).toHaveLength(2);

    const notesAfter = await call("GET", "/api/v1/notifications", user.token);
    expect(notesAfter.body.map((n: Json) => n.status?.id)).not.toContain(blockedReply);
    const grouped = await call("GET", "/api/v2/notifications", user.token);
    expect(grouped.body.notification_groups).toEqual([]);
    // A new mention from there is not even stored.
    const another = await post(blocked, { mentions: [user.account] });
    expect(await notifyStatusCreated(ctx.services.db, another)).toEqual([]);

    const follows = await ctx.services.db
      .selectFrom("follows")
      .select(["account_id", "target_account_id"])
      .where((eb) =>
        eb.or([
          eb("account_id", "=", user.account.id),
          eb("target_account_id", "=", user.account.id),
        ]),
      )
      .execute();
    expect(follows).toEqual([{ account_id: user.account.id, target_account_id: fine.id }]);
    const requests = await ctx.services.db
      .selectFrom("follow_requests")
      .select("id")
      .where("target_account_id", "=", user.account.id)
      .execute();
    expect(requests).toEqual([]);

    const rel = await call(
      "GET",
      `/api/v1/accounts/relationships?id[]=${blocked.id}&id[]=${fine.id}`,
      user.token,
    );
    expectResponseSchema("GET", "/api/v1/accounts/relationships", 200, rel.body);
    expect(rel.body.map((r: Json) => [r.domain_blocking, r.following])).toEqual([
      [true, false],
      [false, true],
    ]);

    // Unblocking shows the statuses again (the follows stay gone, as on Mastodon).
    await call("DELETE", "/api/v1/domain_blocks", user.token, { domain: "blocked.example" });
    const again = await call("GET", `/api/v1/statuses/${root}/context`, user.token);
    expect(again.body.descendants.map((s: Json) => s.id)).toEqual([blockedReply, fineReply]);
  });
});
