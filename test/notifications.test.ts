// Notifications made by the worker from domain events, read through v1 and v2, with the
// notifications marker driving unread counts.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AccountRow } from "../src/auth/middleware.ts";
import { emitEvent } from "../src/events/emit.ts";
import { newId } from "../src/infra/ids.ts";
import { createUserWithToken } from "./helpers/auth.ts";
import { expectSchema } from "./helpers/openapi.ts";
import { createTestContext, type TestContext } from "./helpers/services.ts";

let ctx: TestContext;

beforeAll(async () => {
  ctx = await createTestContext({}, { workers: true });
});
afterAll(async () => {
  await ctx?.close();
});

type Json = Record<string, unknown> & Record<string, unknown>[];

async function call(method: string, path: string, token: string, body?: unknown) {
  const res = await ctx.app.request(path, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body ? { "content-type": "application/json" } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return { res, text, body: JSON.parse(text) as Json };
}

async function post(author: AccountRow, mentions: AccountRow[] = []) {
  const id = newId();
  await ctx.services.db
    .insertInto("statuses")
    .values({
      id,
      uri: `https://example.test/statuses/${id}`,
      account_id: author.id,
      local: true,
      visibility: "public",
      content: "<p>hello</p>",
      created_at: new Date(),
    })
    .execute();
  for (const m of mentions) {
    await ctx.services.db
      .insertInto("mentions")
      .values({ status_id: id, account_id: m.id })
      .execute();
  }
  await emitEvent(ctx.services, "status.created", { statusId: id });
  return id;
}

async function favourite(account: AccountRow, statusId: string) {
  const favouriteId = newId();
  await ctx.services.db
    .insertInto("favourites")
    .values({
      id: favouriteId,
      account_id: account.id,
      status_id: statusId,
      created_at: new Date(),
    })
    .execute();
  await emitEvent(ctx.services, "favourite.created", {
    favouriteId,
    accountId: account.id,
    statusId,
  });
}

async function followed(follower: AccountRow, target: AccountRow) {
  const followId = newId();
  await ctx.services.db
    .insertInto("follows")
    .values({
      id: followId,
      account_id: follower.id,
      target_account_id: target.id,
      created_at: new Date(),
    })
    .execute();
  await emitEvent(ctx.services, "follow.created", {
    followId,
    accountId: follower.id,
    targetAccountId: target.id,
  });
}

async function count(account: AccountRow): Promise<number> {
  const row = await ctx.services.db
    .selectFrom("notifications")
    .select((eb) => eb.fn.countAll<string>().as("n"))
    .where("account_id", "=", account.id)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("condition not met in time");
}

describe("notifications", () => {
  let me: Awaited<ReturnType<typeof createUserWithToken>>;
  let fans: AccountRow[];
  let myPost: string;

  beforeAll(async () => {
    me = await createUserWithToken(ctx);
    fans = (await Promise.all([1, 2, 3].map(() => createUserWithToken(ctx)))).map((u) => u.account);
    myPost = await post(me.account);
    // A mention, three follows and three favourites of the same post.
    await post(fans[0]!, [me.account]);
    for (const fan of fans) await followed(fan, me.account);
    for (const fan of fans) await favourite(fan, myPost);
    // My own post mentioning myself notifies no one.
    await post(me.account, [me.account]);
    await eventually(async () => (await count(me.account)) === 7);
  });

  it("lists v1 notifications with types filters and paging", async () => {
    const { res, body } = await call("GET", "/api/v1/notifications", me.token);
    expect(res.status).toBe(200);
    expect(body.map((n) => n.type).sort()).toEqual([
      ...Array(3).fill("favourite"),
      ...Array(3).fill("follow"),
      "mention",
    ]);
    for (const n of body) expectSchema("Notification", n);
    const fav = body.find((n) => n.type === "favourite")!;
    expect((fav.status as { id: string }).id).toBe(myPost);
    expect(fav.group_key).toMatch(new RegExp(`^favourite-${myPost}-\\d+$`));
    const mention = body.find((n) => n.type === "mention")!;
    expect(mention.group_key).toBe(`ungrouped-${mention.id}`);

    const types = await call(
      "GET",
      "/api/v1/notifications?types[]=mention&types[]=bogus",
      me.token,
    );
    expect(types.body.map((n) => n.type)).toEqual(["mention"]);
    const excluded = await call(
      "GET",
      "/api/v1/notifications?exclude_types[]=favourite&exclude_types[]=nonsense",
      me.token,
    );
    expect(excluded.body.map((n) => n.type).sort()).toEqual([
      "follow",
      "follow",
      "follow",
      "mention",
    ]);
    const byAccount = await call(
      "GET",
      `/api/v1/notifications?account_id=${fans[1]!.id}`,
      me.token,
    );
    expect(byAccount.body.map((n) => n.type).sort()).toEqual(["favourite", "follow"]);

    // Two at a time through Link headers: all seven, once each.
    const seen: string[] = [];
    let path: string | undefined = "/api/v1/notifications?limit=2";
    while (path) {
      const page = await call("GET", path, me.token);
      if (page.body.length === 0) break;
      seen.push(...page.body.map((n) => n.id as string));
      const next = page.res.headers.get("link")?.match(/<([^>]+)>; rel="next"/)?.[1];
      path = next ? new URL(next).pathname + new URL(next).search : undefined;
    }
    expect(seen).toEqual(body.map((n) => n.id));

    const one = await call("GET", `/api/v1/notifications/${mention.id}`, me.token);
    expect(one.body.id).toBe(mention.id);
    const other = await createUserWithToken(ctx);
    expect((await call("GET", `/api/v1/notifications/${mention.id}`, other.token)).res.status).toBe(
      404,
    );
  });

  it("groups favourites and follows in v2", async () => {
    const { res, text, body } = await call("GET", "/api/v2/notifications", me.token);
    expect(res.status).toBe(200);
    expectSchema("GroupedNotificationsResults", body);
    const groups = body.notification_groups as unknown as Record<string, unknown>[];
    expect(groups.map((g) => g.type).sort()).toEqual(["favourite", "follow", "mention"]);
    const favs = groups.find((g) => g.type === "favourite")!;
    expect(favs.notifications_count).toBe(3);
    expect((favs.sample_account_ids as string[]).sort()).toEqual(fans.map((f) => f.id).sort());
    expect(favs.status_id).toBe(myPost);
    // An exact JSON integer, as Mastodon sends it.
    expect(text).toMatch(/"most_recent_notification_id":\d+/);
    expect((body.statuses as unknown as { id: string }[]).map((s) => s.id)).toContain(myPost);
    expect((body.accounts as unknown as unknown[]).length).toBe(3);

    const ungrouped = await call("GET", "/api/v2/notifications?grouped_types[]=follow", me.token);
    expect((ungrouped.body.notification_groups as unknown as unknown[]).length).toBe(5);

    const key = favs.group_key as string;
    const single = await call("GET", `/api/v2/notifications/${key}`, me.token);
    expectSchema("GroupedNotificationsResults", single.body);
    const accounts = await call("GET", `/api/v2/notifications/${key}/accounts`, me.token);
    expect(accounts.body.length).toBe(3);
    for (const a of accounts.body) expectSchema("Account", a);

    // One group per page still covers every notification exactly once.
    const keys: string[] = [];
    let path: string | undefined = "/api/v2/notifications?limit=1";
    while (path) {
      const page = await call("GET", path, me.token);
      const gs = page.body.notification_groups as unknown as { group_key: string }[];
      if (gs.length === 0) break;
      keys.push(...gs.map((g) => g.group_key));
      const next = page.res.headers.get("link")?.match(/<([^>]+)>; rel="next"/)?.[1];
      path = next ? new URL(next).pathname + new URL(next).search : undefined;
    }
    expect(new Set(keys)).toEqual(new Set(groups.map((g) => g.group_key)));
  });

  it("counts unread notifications from the marker", async () => {
    const reader = await createUserWithToken(ctx);
    const fan = (await createUserWithToken(ctx)).account;
    const theirPost = await post(reader.account);
    await followed(fan, reader.account);
    await favourite(fan, theirPost);
    await eventually(async () => (await count(reader.account)) === 2);
    const unread = async () =>
      (await call("GET", "/api/v1/notifications/unread_count", reader.token)).body.count;
    expect(await unread()).toBe(2);
    expect((await call("GET", "/api/v2/notifications/unread_count", reader.token)).body.count).toBe(
      2,
    );

    const list = await call("GET", "/api/v1/notifications", reader.token);
    const newest = list.body[0]!.id as string;
    const oldest = list.body[1]!.id as string;
    const saved = await call("POST", "/api/v1/markers", reader.token, {
      notifications: { last_read_id: oldest },
    });
    expectSchema("Marker", saved.body.notifications);
    expect(await unread()).toBe(1);
    const again = await call("POST", "/api/v1/markers", reader.token, {
      notifications: { last_read_id: newest },
    });
    expect((again.body.notifications as unknown as { version: number }).version).toBe(
      (saved.body.notifications as unknown as { version: number }).version + 1,
    );
    expect(await unread()).toBe(0);
  });

  it("dismisses, clears, and withdraws undone favourites", async () => {
    const user = await createUserWithToken(ctx);
    const fan = (await createUserWithToken(ctx)).account;
    const theirPost = await post(user.account);
    await followed(fan, user.account);
    await favourite(fan, theirPost);
    await eventually(async () => (await count(user.account)) === 2);

    await ctx.services.db.deleteFrom("favourites").where("account_id", "=", fan.id).execute();
    await emitEvent(ctx.services, "favourite.removed", {
      accountId: fan.id,
      statusId: theirPost,
      uri: null,
    });
    await eventually(async () => (await count(user.account)) === 1);

    const [follow] = (await call("GET", "/api/v1/notifications", user.token)).body;
    const dismissed = await call("POST", `/api/v1/notifications/${follow!.id}/dismiss`, user.token);
    expect(dismissed.res.status).toBe(200);
    expect(await count(user.account)).toBe(0);
    expect(
      (await call("POST", `/api/v1/notifications/${follow!.id}/dismiss`, user.token)).res.status,
    ).toBe(404);

    await followed((await createUserWithToken(ctx)).account, user.account);
    await eventually(async () => (await count(user.account)) === 1);
    expect((await call("POST", "/api/v1/notifications/clear", user.token)).res.status).toBe(200);
    expect(await count(user.account)).toBe(0);
  });

  it("skips recipients who blocked or muted the actor", async () => {
    const user = await createUserWithToken(ctx);
    const pest = (await createUserWithToken(ctx)).account;
    await ctx.services.db
      .insertInto("mutes")
      .values({
        id: newId(),
        account_id: user.account.id,
        target_account_id: pest.id,
        created_at: new Date(),
      })
      .execute();
    await post(pest, [user.account]);
    const friend = (await createUserWithToken(ctx)).account;
    await followed(friend, user.account);
    await eventually(async () => (await count(user.account)) === 1);
    const { body } = await call("GET", "/api/v1/notifications", user.token);
    expect(body.map((n) => n.type)).toEqual(["follow"]);
  });

  it("requires the notifications scopes", async () => {
    const limited = await createUserWithToken(ctx, { scopes: ["read:statuses"] });
    expect((await call("GET", "/api/v1/notifications", limited.token)).res.status).toBe(403);
    expect((await call("POST", "/api/v1/notifications/clear", limited.token)).res.status).toBe(403);
  });
});
