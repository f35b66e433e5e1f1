// Fan-out on write through the worker: events are emitted as the status and follow
// services emit them, and the home feeds are polled until the jobs have run.
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AccountRow } from "../src/auth/middleware.ts";
import { emitEvent } from "../src/events/emit.ts";
import type { Visibility } from "../src/infra/db/schema.ts";
import { idAtTime, newId } from "../src/infra/ids.ts";
import { fanOutStatus } from "../src/timelines/fanout.ts";
import { createUserWithToken } from "./helpers/auth.ts";
import { createTestContext, type TestContext } from "./helpers/services.ts";

let ctx: TestContext;

beforeAll(async () => {
  ctx = await createTestContext({}, { workers: true });
});
afterAll(async () => {
  await ctx?.close();
});

async function post(
  author: AccountRow,
  options: { visibility?: Visibility; reblogOf?: string; mentions?: AccountRow[] } = {},
) {
  const id = newId();
  await ctx.services.db
    .insertInto("statuses")
    .values({
      id,
      uri: `https://example.test/statuses/${id}`,
      account_id: author.id,
      local: true,
      visibility: options.visibility ?? "public",
      reblog_of_id: options.reblogOf ?? null,
      content: "<p>hi</p>",
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

async function follow(follower: AccountRow, target: AccountRow, showReblogs = true) {
  const id = newId();
  await ctx.services.db
    .insertInto("follows")
    .values({
      id,
      account_id: follower.id,
      target_account_id: target.id,
      show_reblogs: showReblogs,
      created_at: new Date(),
    })
    .execute();
  return id;
}

async function feedOf(account: AccountRow): Promise<string[]> {
  const rows = await ctx.services.db
    .selectFrom("home_feed")
    .select("status_id")
    .where("account_id", "=", account.id)
    .orderBy("status_id", "desc")
    .execute();
  return rows.map((r) => r.status_id);
}

async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("condition not met in time");
}

/** Emits, then waits until the marker status has reached the author's own feed. */
async function created(author: AccountRow, statusId: string) {
  await emitEvent(ctx.services, "status.created", { statusId });
  await eventually(async () => (await feedOf(author)).includes(statusId));
}

describe("fan-out on write", () => {
  it("delivers by visibility, follow options, mutes and blocks", async () => {
    const [author, fan, quiet, muter, blocked, stranger, mentioned] = await Promise.all(
      Array.from({ length: 7 }, () => createUserWithToken(ctx)),
    ).then((users) => users.map((u) => u.account));
    await follow(fan!, author!);
    await follow(quiet!, author!, false);
    await follow(muter!, author!);
    await follow(blocked!, author!);
    await ctx.services.db
      .insertInto("mutes")
      .values({
        id: newId(),
        account_id: muter!.id,
        target_account_id: author!.id,
        created_at: new Date(),
      })
      .execute();
    await ctx.services.db
      .insertInto("blocks")
      .values({
        id: newId(),
        account_id: author!.id,
        target_account_id: blocked!.id,
        created_at: new Date(),
      })
      .execute();

    const priv = await post(author!, { visibility: "private" });
    await created(author!, priv);
    const dm = await post(author!, { visibility: "direct", mentions: [fan!, mentioned!] });
    await created(author!, dm);
    const other = await post(stranger!);
    await created(stranger!, other);
    const boost = await post(author!, { reblogOf: other });
    await created(author!, boost);

    expect(await feedOf(fan!)).toEqual([boost, dm, priv]);
    // Boosts hidden for this follow; private posts reach every follower.
    expect(await feedOf(quiet!)).toEqual([priv]);
    expect(await feedOf(muter!)).toEqual([]);
    expect(await feedOf(blocked!)).toEqual([]);
    // Direct messages reach mentioned followers only (as Mastodon's fan-out does).
    expect(await feedOf(mentioned!)).toEqual([]);
    expect(await feedOf(stranger!)).toEqual([other]);

    // A boost of something already in the feed is skipped.
    await follow(stranger!, author!);
    const boostAgain = await post(author!, { reblogOf: other });
    // Everyone who would get it has the original or the earlier boost already.
    expect(await fanOutStatus(ctx.services.db, boostAgain)).toBe(0);
    expect(await feedOf(stranger!)).toEqual([other]);
  });

  it("backfills on follow and removes on unfollow and block", async () => {
    const [author, reader] = (
      await Promise.all([createUserWithToken(ctx), createUserWithToken(ctx)])
    ).map((u) => u.account);
    const posts: string[] = [];
    for (let i = 0; i < 45; i++) posts.push(await post(author!));
    const hidden = await post(author!, { visibility: "direct" });
    const followId = await follow(reader!, author!);
    await emitEvent(ctx.services, "follow.created", {
      followId,
      accountId: reader!.id,
      targetAccountId: author!.id,
    });
    await eventually(async () => (await feedOf(reader!)).length > 0);
    const feed = await feedOf(reader!);
    expect(feed).toEqual(posts.slice(-40).reverse());
    expect(feed).not.toContain(hidden);

    await ctx.services.db.deleteFrom("follows").where("id", "=", followId).execute();
    await emitEvent(ctx.services, "follow.removed", {
      accountId: reader!.id,
      targetAccountId: author!.id,
      uri: null,
    });
    await eventually(async () => (await feedOf(reader!)).length === 0);

    // A block takes the blocker's posts out of the blocked one's feed too.
    await ctx.services.db
      .insertInto("home_feed")
      .values({ account_id: reader!.id, status_id: posts[0]!, reblog_of_id: null })
      .execute();
    await emitEvent(ctx.services, "block.created", {
      accountId: author!.id,
      targetAccountId: reader!.id,
      uri: null,
    });
    await eventually(async () => (await feedOf(reader!)).length === 0);
  });

  it("reaches 10,000 local followers in one statement", async () => {
    const author = (await createUserWithToken(ctx)).account;
    const db = ctx.services.db;
    // Ids from a day ago: clear of the ids newId() hands out during the test.
    const base = BigInt(idAtTime(Date.now() - 86_400_000));
    await sql`
      insert into accounts (id, username, domain, uri, fields, also_known_as)
      select ${base.toString()}::bigint + g, 'bulk' || g, null, 'https://local.test/users/bulk' || g, '[]', '[]'
      from generate_series(1, 10000) g`.execute(db);
    await sql`
      insert into follows (id, account_id, target_account_id)
      select ${base.toString()}::bigint + 20000 + g, ${base.toString()}::bigint + g, ${author.id}
      from generate_series(1, 10000) g`.execute(db);
    const status = await post(author);
    // Speed is measured in bench/, not here: this checks that every follower is reached.
    expect(await fanOutStatus(db, status)).toBe(10_001);
    // Retried jobs add nothing.
    expect(await fanOutStatus(db, status)).toBe(0);
  }, 60_000);
});
