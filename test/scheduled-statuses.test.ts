// Scheduled statuses: POST /statuses with `scheduled_at`, the list (Link paging), read,
// reschedule and delete, reserved media, Mastodon's limits, and publication by the worker
// through the normal status creation (home fan-out and mention notifications follow).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newId } from "../src/infra/ids.ts";
import { publishScheduledStatus } from "../src/scheduled/publish.ts";
import { DAILY_LIMIT, TOTAL_LIMIT } from "../src/scheduled/service.ts";
import { enqueueJob, type Job } from "../workers/jobs.ts";
import { call, eventually } from "./helpers/api.ts";
import { createUserWithToken } from "./helpers/auth.ts";
import { makeImage, upload } from "./helpers/media.ts";
import { expectResponseSchema, expectSchema } from "./helpers/openapi.ts";
import { createTestContext, type TestContext } from "./helpers/services.ts";

let ctx: TestContext;
/** These wait for worker jobs; a busy machine makes them slow, not wrong. */
const WORKER_TEST_MS = 120_000;
/** Jobs enqueued on the `jobs` queue with their delay in ms, whatever the backend. */
const enqueued: { job: Job; delayMs: number | undefined }[] = [];

beforeAll(async () => {
  ctx = await createTestContext({}, { workers: true });
  const queue = ctx.services.queues.jobs;
  const enqueue = queue.enqueue.bind(queue);
  queue.enqueue = (message, options) => {
    enqueued.push({
      job: message as Job,
      delayMs: options?.delay ? options.delay.total({ unit: "millisecond" }) : undefined,
    });
    return enqueue(message, options);
  };
});
afterAll(async () => {
  await ctx?.close();
});

// biome-ignore lint/suspicious/noExplicitAny: JSON bodies of many shapes
type Json = any;

const inMinutes = (m: number) => new Date(Date.now() + m * 60_000).toISOString();

function path(link: string | null, rel: string): string | undefined {
  const url = new RegExp(`<([^>]+)>; rel="${rel}"`).exec(link ?? "")?.[1];
  return url ? new URL(url).pathname + new URL(url).search : undefined;
}

describe("scheduled statuses", () => {
  it(
    "schedules with media, reserves it, lists, reschedules and deletes",
    async () => {
      const user = await createUserWithToken(ctx);
      const media = await upload(ctx.app, user.token, await makeImage("png"), {
        filename: "a.png",
        type: "image/png",
      });
      expect(media.status).toBe(200);
      const at = inMinutes(10);
      const created = await call(ctx, "POST", "/api/v1/statuses", user.token, {
        status: "later, with a picture",
        media_ids: [media.body.id],
        visibility: "unlisted",
        scheduled_at: at,
      });
      expect(created.status).toBe(200);
      expectSchema("ScheduledStatus", created.body);
      expect(created.body.scheduled_at).toBe(at);
      expect(created.body.params).toMatchObject({
        text: "later, with a picture",
        visibility: "unlisted",
        media_ids: [media.body.id],
        in_reply_to_id: null,
      });
      expect(created.body.media_attachments.map((m: Json) => m.id)).toEqual([media.body.id]);
      // Not posted.
      const own = await call(
        ctx,
        "GET",
        `/api/v1/accounts/${user.account.id}/statuses`,
        user.token,
      );
      expect(own.body).toEqual([]);
      // A delayed job publishes it at the time.
      const job = enqueued.find(
        (e) => e.job.type === "scheduled.publish" && e.job.scheduledStatusId === created.body.id,
      );
      expect(job?.delayMs).toBeGreaterThan(9 * 60_000);
      expect(job?.delayMs).toBeLessThanOrEqual(10 * 60_000);

      // The media is held for it.
      const reuse = await call(ctx, "POST", "/api/v1/statuses", user.token, {
        status: "now",
        media_ids: [media.body.id],
      });
      expect(reuse.status).toBe(422);

      const one = await call(
        ctx,
        "GET",
        `/api/v1/scheduled_statuses/${created.body.id}`,
        user.token,
      );
      expectResponseSchema("GET", "/api/v1/scheduled_statuses/{id}", 200, one.body);
      expect(one.body).toEqual(created.body);
      const other = await createUserWithToken(ctx);
      expect(
        (await call(ctx, "GET", `/api/v1/scheduled_statuses/${created.body.id}`, other.token))
          .status,
      ).toBe(404);

      // Rescheduling: at least five minutes ahead, and a new job for the new time.
      const later = inMinutes(30);
      const moved = await call(
        ctx,
        "PUT",
        `/api/v1/scheduled_statuses/${created.body.id}`,
        user.token,
        {
          scheduled_at: later,
        },
      );
      expect(moved.status).toBe(200);
      expectResponseSchema("PUT", "/api/v1/scheduled_statuses/{id}", 200, moved.body);
      expect(moved.body.scheduled_at).toBe(later);
      const jobs = enqueued.filter(
        (e) => e.job.type === "scheduled.publish" && e.job.scheduledStatusId === created.body.id,
      );
      expect(jobs).toHaveLength(2);
      expect(jobs[1]!.delayMs).toBeGreaterThan(29 * 60_000);
      const tooSoon = await call(
        ctx,
        "PUT",
        `/api/v1/scheduled_statuses/${created.body.id}`,
        user.token,
        {
          scheduled_at: inMinutes(2),
        },
      );
      expect(tooSoon.status).toBe(422);
      // The old job finds the time still ahead and leaves it alone.
      await publishScheduledStatus(ctx.services, created.body.id);
      expect(
        (await call(ctx, "GET", `/api/v1/scheduled_statuses/${created.body.id}`, user.token))
          .status,
      ).toBe(200);

      // Paging through the Link header.
      for (const m of [40, 50]) {
        await call(ctx, "POST", "/api/v1/statuses", user.token, {
          status: `at ${m}`,
          scheduled_at: inMinutes(m),
        });
      }
      const first = await call(ctx, "GET", "/api/v1/scheduled_statuses?limit=2", user.token);
      expectResponseSchema("GET", "/api/v1/scheduled_statuses", 200, first.body);
      expect(first.body).toHaveLength(2);
      const next = path(first.res.headers.get("link"), "next");
      const second = await call(ctx, "GET", next!, user.token);
      expect(second.body.map((s: Json) => s.id)).toEqual([created.body.id]);

      // Deleting releases the media.
      const deleted = await call(
        ctx,
        "DELETE",
        `/api/v1/scheduled_statuses/${created.body.id}`,
        user.token,
      );
      expect(deleted.status).toBe(200);
      expect(deleted.body).toEqual({});
      expect(
        (await call(ctx, "GET", `/api/v1/scheduled_statuses/${created.body.id}`, user.token))
          .status,
      ).toBe(404);
      const posted = await call(ctx, "POST", "/api/v1/statuses", user.token, {
        status: "now with the picture",
        media_ids: [media.body.id],
      });
      expect(posted.status).toBe(200);
      expect(posted.body.media_attachments.map((m: Json) => m.id)).toEqual([media.body.id]);
    },
    WORKER_TEST_MS,
  );

  it(
    "refuses times under five minutes ahead and posts past ones at once",
    async () => {
      const user = await createUserWithToken(ctx);
      const soon = await call(ctx, "POST", "/api/v1/statuses", user.token, {
        status: "too soon",
        scheduled_at: inMinutes(3),
      });
      expect(soon.status).toBe(422);
      const garbage = await call(ctx, "POST", "/api/v1/statuses", user.token, {
        status: "when?",
        scheduled_at: "someday",
      });
      expect(garbage.status).toBe(422);
      const blank = await call(ctx, "POST", "/api/v1/statuses", user.token, {
        status: " ",
        scheduled_at: inMinutes(10),
      });
      expect(blank.status).toBe(422);
      const past = await call(ctx, "POST", "/api/v1/statuses", user.token, {
        status: "already due",
        scheduled_at: new Date(Date.now() - 60_000).toISOString(),
      });
      expect(past.status).toBe(200);
      expectSchema("Status", past.body);
      expect((await call(ctx, "GET", "/api/v1/scheduled_statuses", user.token)).body).toEqual([]);
    },
    WORKER_TEST_MS,
  );

  it(
    "enforces 25 per day and 300 in all",
    async () => {
      const user = await createUserWithToken(ctx);
      const day = new Date(Date.now() + 3 * 86_400_000);
      day.setUTCHours(12, 0, 0, 0);
      await ctx.services.db
        .insertInto("scheduled_statuses")
        .values(
          Array.from({ length: DAILY_LIMIT }, (_, i) => ({
            id: newId(),
            account_id: user.account.id,
            scheduled_at: new Date(day.getTime() + i * 60_000),
            params: JSON.stringify({ text: `n${i}`, visibility: "public", media_ids: [] }),
          })),
        )
        .execute();
      const sameDay = await call(ctx, "POST", "/api/v1/statuses", user.token, {
        status: "one too many today",
        scheduled_at: new Date(day.getTime() + 3_600_000).toISOString(),
      });
      expect(sameDay.status).toBe(422);
      expect(sameDay.body.error).toMatch(/25/);
      const nextDay = await call(ctx, "POST", "/api/v1/statuses", user.token, {
        status: "tomorrow is fine",
        scheduled_at: new Date(day.getTime() + 86_400_000).toISOString(),
      });
      expect(nextDay.status).toBe(200);

      await ctx.services.db
        .insertInto("scheduled_statuses")
        .values(
          Array.from({ length: TOTAL_LIMIT - DAILY_LIMIT - 1 }, (_, i) => ({
            id: newId(),
            account_id: user.account.id,
            scheduled_at: new Date(day.getTime() + (10 + Math.floor(i / 20)) * 86_400_000),
            params: JSON.stringify({ text: `m${i}`, visibility: "public", media_ids: [] }),
          })),
        )
        .execute();
      const overTotal = await call(ctx, "POST", "/api/v1/statuses", user.token, {
        status: "one too many",
        scheduled_at: inMinutes(60),
      });
      expect(overTotal.status).toBe(422);
      expect(overTotal.body.error).toMatch(/300/);
    },
    WORKER_TEST_MS,
  );

  it(
    "is published by the worker as a normal post: fan-out and notifications",
    async () => {
      const author = await createUserWithToken(ctx);
      const follower = await createUserWithToken(ctx);
      const mentioned = await createUserWithToken(ctx);
      expect(
        (await call(ctx, "POST", `/api/v1/accounts/${author.account.id}/follow`, follower.token))
          .status,
      ).toBe(200);
      const media = await upload(ctx.app, author.token, await makeImage("jpeg"), {
        filename: "b.jpg",
        type: "image/jpeg",
      });
      const scheduled = await call(ctx, "POST", "/api/v1/statuses", author.token, {
        status: `good morning @${mentioned.account.username}`,
        media_ids: [media.body.id],
        scheduled_at: inMinutes(6),
      });
      expect(scheduled.status).toBe(200);

      // Its time comes: move it into the past and let the worker take a due job.
      await ctx.services.db
        .updateTable("scheduled_statuses")
        .set({ scheduled_at: new Date(Date.now() - 1000) })
        .where("id", "=", scheduled.body.id)
        .execute();
      await enqueueJob(ctx.services, {
        type: "scheduled.publish",
        scheduledStatusId: scheduled.body.id,
      });

      const status = await eventually("the post", async () => {
        const res = await call(
          ctx,
          "GET",
          `/api/v1/accounts/${author.account.id}/statuses`,
          author.token,
        );
        return res.body[0];
      });
      expectSchema("Status", status);
      expect(status.content).toContain("good morning");
      expect(status.media_attachments.map((m: Json) => m.id)).toEqual([media.body.id]);
      expect((await call(ctx, "GET", "/api/v1/scheduled_statuses", author.token)).body).toEqual([]);

      const home = await eventually("the follower's home", async () => {
        const res = await call(ctx, "GET", "/api/v1/timelines/home", follower.token);
        return res.body.find((s: Json) => s.id === status.id);
      });
      expect(home.account.id).toBe(author.account.id);
      const mention = await eventually("the mention notification", async () => {
        const res = await call(
          ctx,
          "GET",
          "/api/v1/notifications?types[]=mention",
          mentioned.token,
        );
        return res.body.find((n: Json) => n.status?.id === status.id);
      });
      expect(mention.type).toBe("mention");

      // A second run of the job posts nothing more.
      await publishScheduledStatus(ctx.services, scheduled.body.id);
      const all = await call(
        ctx,
        "GET",
        `/api/v1/accounts/${author.account.id}/statuses`,
        author.token,
      );
      expect(all.body).toHaveLength(1);
    },
    WORKER_TEST_MS,
  );
});
