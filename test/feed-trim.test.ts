// Fan-out keeps each home and list feed to its newest FEED_MAX_ITEMS entries by trimming a
// sample of the feeds a new status reached (src/timelines/fanout.ts). Here the sample is
// everyone, so the outcome is certain.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newId } from "../src/infra/ids.ts";
import { FEED_MAX_ITEMS, trimSampledFeeds } from "../src/timelines/fanout.ts";
import { call } from "./helpers/api.ts";
import { createUserWithToken } from "./helpers/auth.ts";
import { createTestContext, type TestContext } from "./helpers/services.ts";

let ctx: TestContext;
/** Status ids, oldest first: FEED_MAX_ITEMS + 5 of them. */
let ids: string[];

beforeAll(async () => {
  ctx = await createTestContext();
  const author = await createUserWithToken(ctx);
  const start = Date.now() - 10_000_000;
  ids = Array.from({ length: FEED_MAX_ITEMS + 5 }, (_, i) => newId(start + i * 1000));
  await ctx.services.db
    .insertInto("statuses")
    .values(
      ids.map((id, i) => ({
        id,
        uri: `https://example.test/statuses/${id}`,
        account_id: author.account.id,
        local: true,
        visibility: "public" as const,
        content: `<p>${i}</p>`,
        text: `${i}`,
        created_at: new Date(start + i * 1000),
      })),
    )
    .execute();
});
afterAll(async () => {
  await ctx?.close();
});

describe("trimSampledFeeds", () => {
  it("cuts a full home feed to its newest entries and leaves a short one alone", async () => {
    const full = await createUserWithToken(ctx);
    const short = await createUserWithToken(ctx);
    const db = ctx.services.db;
    await db
      .insertInto("home_feed")
      .values([
        ...ids.map((status_id) => ({ account_id: full.account.id, status_id, reblog_of_id: null })),
        ...ids
          .slice(-10)
          .map((status_id) => ({ account_id: short.account.id, status_id, reblog_of_id: null })),
      ])
      .execute();
    await trimSampledFeeds(db, "home_feed", ids.at(-1)!, 1);
    const feed = async (accountId: string) =>
      (
        await db
          .selectFrom("home_feed")
          .select("status_id")
          .where("account_id", "=", accountId)
          .orderBy("status_id")
          .execute()
      ).map((r) => r.status_id);
    expect(await feed(full.account.id)).toEqual(ids.slice(5));
    expect(await feed(short.account.id)).toEqual(ids.slice(-10));
  });

  it("cuts a full list feed the same way", async () => {
    const owner = await createUserWithToken(ctx);
    const list = await call(ctx, "POST", "/api/v1/lists", owner.token, { title: "all" });
    expect(list.status).toBe(200);
    const db = ctx.services.db;
    await db
      .insertInto("list_feed")
      .values(ids.map((status_id) => ({ list_id: list.body.id, status_id, reblog_of_id: null })))
      .execute();
    // A feed that did not receive the status is not looked at.
    await trimSampledFeeds(db, "list_feed", newId(), 1);
    const count = async () =>
      Number(
        (
          await db
            .selectFrom("list_feed")
            .select((eb) => eb.fn.countAll().as("n"))
            .where("list_id", "=", list.body.id)
            .executeTakeFirstOrThrow()
        ).n,
      );
    expect(await count()).toBe(ids.length);
    await trimSampledFeeds(db, "list_feed", ids.at(-1)!, 1);
    expect(await count()).toBe(FEED_MAX_ITEMS);
    const oldest = await db
      .selectFrom("list_feed")
      .select((eb) => eb.fn.min("status_id").as("id"))
      .where("list_id", "=", list.body.id)
      .executeTakeFirstOrThrow();
    expect(oldest.id).toBe(ids[5]);
  });
});
