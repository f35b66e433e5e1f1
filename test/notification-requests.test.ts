// The notification policy (v2 and v1) and notification requests: notifications from senders
// a `filter` rule matches are held as requests (not listed), accepting releases them and
// lets the sender through from then on, dismissing deletes them, `drop` makes none.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { notifyStatusCreated } from "../src/notifications/create.ts";
import { call, eventually } from "./helpers/api.ts";
import { createUserWithToken } from "./helpers/auth.ts";
import { expectResponseSchema, expectSchema } from "./helpers/openapi.ts";
import { createTestContext, type TestContext } from "./helpers/services.ts";
import { openWebSocket, serveWithStreaming } from "./helpers/streaming.ts";

let ctx: TestContext;
/** These wait for worker jobs; a busy machine makes them slow, not wrong. */
const WORKER_TEST_MS = 120_000;

beforeAll(async () => {
  ctx = await createTestContext({}, { workers: true });
});
afterAll(async () => {
  await ctx?.close();
});

// biome-ignore lint/suspicious/noExplicitAny: JSON bodies of many shapes
type Json = any;

type User = Awaited<ReturnType<typeof createUserWithToken>>;

async function mention(from: User, to: User, text = "hi"): Promise<string> {
  const res = await call(ctx, "POST", "/api/v1/statuses", from.token, {
    status: `@${to.account.username} ${text}`,
  });
  expect(res.status).toBe(200);
  return res.body.id;
}

async function notifiedStatusIds(user: User): Promise<string[]> {
  const res = await call(ctx, "GET", "/api/v1/notifications", user.token);
  return res.body.map((n: Json) => n.status?.id);
}

async function requestFrom(user: User, sender: User): Promise<Json | undefined> {
  const res = await call(ctx, "GET", "/api/v1/notifications/requests", user.token);
  return res.body.find((r: Json) => r.account.id === sender.account.id);
}

describe("notification policy", () => {
  it(
    "reads and updates the policy in the v2 and v1 shapes",
    async () => {
      const user = await createUserWithToken(ctx);
      const initial = await call(ctx, "GET", "/api/v2/notifications/policy", user.token);
      expectResponseSchema("GET", "/api/v2/notifications/policy", 200, initial.body);
      expect(initial.body).toMatchObject({
        for_not_following: "accept",
        for_limited_accounts: "filter",
        summary: { pending_requests_count: 0, pending_notifications_count: 0 },
      });

      const patched = await call(ctx, "PATCH", "/api/v2/notifications/policy", user.token, {
        for_not_following: "filter",
        for_new_accounts: "drop",
      });
      expect(patched.status).toBe(200);
      expectResponseSchema("PATCH", "/api/v2/notifications/policy", 200, patched.body);
      expect(patched.body).toMatchObject({
        for_not_following: "filter",
        for_not_followers: "accept",
        for_new_accounts: "drop",
      });
      const bad = await call(ctx, "PATCH", "/api/v2/notifications/policy", user.token, {
        for_not_followers: "maybe",
      });
      expect(bad.status).toBe(422);

      const v1 = await call(ctx, "GET", "/api/v1/notifications/policy", user.token);
      expectSchema("V1NotificationPolicy", v1.body);
      expect(v1.body).toMatchObject({
        filter_not_following: true,
        filter_not_followers: false,
        filter_new_accounts: true,
      });
      const put = await call(ctx, "PUT", "/api/v1/notifications/policy", user.token, {
        filter_not_following: false,
        filter_private_mentions: true,
      });
      expect(put.status).toBe(200);
      expectSchema("V1NotificationPolicy", put.body);
      const after = await call(ctx, "GET", "/api/v2/notifications/policy", user.token);
      expect(after.body).toMatchObject({
        for_not_following: "accept",
        for_private_mentions: "filter",
        for_new_accounts: "drop",
      });

      const readOnly = await createUserWithToken(ctx, { scopes: ["read"] });
      expect(
        (await call(ctx, "PATCH", "/api/v2/notifications/policy", readOnly.token, {})).status,
      ).toBe(403);
    },
    WORKER_TEST_MS,
  );
});

describe("notification requests", () => {
  it(
    "holds filtered notifications as requests until accepted or dismissed",
    async () => {
      const user = await createUserWithToken(ctx);
      const friend = await createUserWithToken(ctx);
      const stranger = await createUserWithToken(ctx);
      const spammer = await createUserWithToken(ctx);
      expect(
        (await call(ctx, "POST", `/api/v1/accounts/${friend.account.id}/follow`, user.token))
          .status,
      ).toBe(200);
      await call(ctx, "PATCH", "/api/v2/notifications/policy", user.token, {
        for_not_following: "filter",
      });

      const fromStranger = await mention(stranger, user, "first");
      const fromStranger2 = await mention(stranger, user, "second");
      const fromSpammer = await mention(spammer, user, "buy now");
      const fromFriend = await mention(friend, user);

      await eventually("the friend's mention", async () =>
        (await notifiedStatusIds(user)).includes(fromFriend),
      );
      const request = await eventually("the stranger's request with both mentions", async () => {
        const r = await requestFrom(user, stranger);
        return r?.notifications_count === "2" ? r : undefined;
      });
      await eventually("the spammer's request", () => requestFrom(user, spammer));
      const list = await call(ctx, "GET", "/api/v1/notifications/requests", user.token);
      expectResponseSchema("GET", "/api/v1/notifications/requests", 200, list.body);
      expect(request.last_status.id).toBe(fromStranger2);
      const ids = await notifiedStatusIds(user);
      expect(ids).not.toContain(fromStranger);
      expect(ids).not.toContain(fromSpammer);
      const grouped = await call(ctx, "GET", "/api/v2/notifications", user.token);
      expect(grouped.body.notification_groups.map((g: Json) => g.status_id)).toEqual([fromFriend]);

      const policy = await call(ctx, "GET", "/api/v2/notifications/policy", user.token);
      expect(policy.body.summary).toEqual({
        pending_requests_count: 2,
        pending_notifications_count: 3,
      });

      const one = await call(
        ctx,
        "GET",
        `/api/v1/notifications/requests/${request.id}`,
        user.token,
      );
      expectResponseSchema("GET", "/api/v1/notifications/requests/{id}", 200, one.body);
      expect(one.body.account.id).toBe(stranger.account.id);
      const other = await createUserWithToken(ctx);
      expect(
        (await call(ctx, "GET", `/api/v1/notifications/requests/${request.id}`, other.token))
          .status,
      ).toBe(404);

      // Accepting releases the held notifications and lets the sender through afterwards.
      const accepted = await call(
        ctx,
        "POST",
        `/api/v1/notifications/requests/${request.id}/accept`,
        user.token,
      );
      expect(accepted.status).toBe(200);
      expect(accepted.body).toEqual({});
      const released = await notifiedStatusIds(user);
      expect(released).toEqual(expect.arrayContaining([fromStranger, fromStranger2]));
      expect(await requestFrom(user, stranger)).toBeUndefined();
      const later = await mention(stranger, user, "third");
      await eventually("the accepted sender's new mention", async () =>
        (await notifiedStatusIds(user)).includes(later),
      );
      expect(await requestFrom(user, stranger)).toBeUndefined();

      const merged = await call(ctx, "GET", "/api/v1/notifications/requests/merged", user.token);
      expectResponseSchema("GET", "/api/v1/notifications/requests/merged", 200, merged.body);
      expect(merged.body).toEqual({ merged: true });

      // Dismissing (in bulk) deletes the held notifications.
      const spam = await requestFrom(user, spammer);
      const dismissed = await call(
        ctx,
        "POST",
        "/api/v1/notifications/requests/dismiss",
        user.token,
        {
          id: [spam.id],
        },
      );
      expect(dismissed.status).toBe(200);
      expect(await requestFrom(user, spammer)).toBeUndefined();
      expect(await notifiedStatusIds(user)).not.toContain(fromSpammer);
      const summary = await call(ctx, "GET", "/api/v2/notifications/policy", user.token);
      expect(summary.body.summary).toEqual({
        pending_requests_count: 0,
        pending_notifications_count: 0,
      });
      expect(
        (await call(ctx, "POST", `/api/v1/notifications/requests/${spam.id}/dismiss`, user.token))
          .status,
      ).toBe(404);
    },
    WORKER_TEST_MS,
  );

  it(
    "accepts several requests at once",
    async () => {
      const user = await createUserWithToken(ctx);
      const a = await createUserWithToken(ctx);
      const b = await createUserWithToken(ctx);
      await call(ctx, "PATCH", "/api/v2/notifications/policy", user.token, {
        for_not_followers: "filter",
      });
      const fromA = await mention(a, user);
      const fromB = await mention(b, user);
      const ra = await eventually("a's request", () => requestFrom(user, a));
      const rb = await eventually("b's request", () => requestFrom(user, b));
      // Streaming clients hear that accepted notifications joined the list.
      const served = await serveWithStreaming(ctx);
      const stream = await openWebSocket(served.url, user.token, { stream: "user:notification" });
      try {
        const res = await call(ctx, "POST", "/api/v1/notifications/requests/accept", user.token, {
          id: [ra.id, rb.id],
        });
        expect(res.status).toBe(200);
        const merged = await stream.log.wait((e) => e.event === "notifications_merged");
        expect(merged.stream).toEqual(["user:notification"]);
        expect(merged.payload).toBe("1");
      } finally {
        stream.close();
        await served.close();
      }
      expect(await notifiedStatusIds(user)).toEqual(expect.arrayContaining([fromA, fromB]));
      expect((await call(ctx, "GET", "/api/v1/notifications/requests", user.token)).body).toEqual(
        [],
      );
    },
    WORKER_TEST_MS,
  );

  it(
    "drops notifications a `drop` rule matches, and leaves followed senders alone",
    async () => {
      const user = await createUserWithToken(ctx);
      const stranger = await createUserWithToken(ctx);
      const friend = await createUserWithToken(ctx);
      await call(ctx, "POST", `/api/v1/accounts/${friend.account.id}/follow`, user.token);
      await call(ctx, "PATCH", "/api/v2/notifications/policy", user.token, {
        for_not_following: "drop",
        for_private_mentions: "filter",
      });
      // Made directly (as the worker does) so the test need not wait for an absence.
      const dropped = await mention(stranger, user);
      expect(await notifyStatusCreated(ctx.services.db, dropped)).toEqual([]);
      const dm = await call(ctx, "POST", "/api/v1/statuses", friend.token, {
        status: `@${user.account.username} psst`,
        visibility: "direct",
      });
      // The followed sender's private mention is not filtered (the worker makes it).
      const rows = await eventually("the friend's private mention", async () => {
        const found = await ctx.services.db
          .selectFrom("notifications")
          .select(["status_id", "filtered"])
          .where("account_id", "=", user.account.id)
          .execute();
        return found.length ? found : undefined;
      });
      expect(rows).toEqual([{ status_id: dm.body.id, filtered: false }]);
      expect(await notifiedStatusIds(user)).toEqual([dm.body.id]);
      expect((await call(ctx, "GET", "/api/v1/notifications/requests", user.token)).body).toEqual(
        [],
      );
    },
    WORKER_TEST_MS,
  );
});
