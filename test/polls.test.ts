// Polls through the Mastodon API: creating with a status (JSON and form encoding), the
// checks, reading, voting (single, multiple, hidden totals), visibility, edits, and the
// `poll` notifications at the end, made by the worker (polled for).
import { createRestAPIClient, type mastodon } from "masto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { durationToMs } from "../src/infra/temporal.ts";
import { enqueueJob } from "../workers/jobs.ts";
import { call } from "./helpers/api.ts";
import { createUserWithToken } from "./helpers/auth.ts";
import { expectResponseSchema, expectSchema } from "./helpers/openapi.ts";
import { eventually } from "./helpers/scenario.ts";
import { type ServedApp, serveApp } from "./helpers/serve.ts";
import { createTestContext, type TestContext } from "./helpers/services.ts";

type User = Awaited<ReturnType<typeof createUserWithToken>>;
// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked against the schema
type Json = any;

let ctx: TestContext;
let served: ServedApp;
let url: string;
let alice: User;
let bob: User;
let carol: User;
let aliceApi: mastodon.rest.Client;
let bobApi: mastodon.rest.Client;

beforeAll(async () => {
  ctx = await createTestContext({}, { workers: true });
  served = await serveApp(ctx.app.fetch);
  url = served.url;
  alice = await createUserWithToken(ctx, { username: "pollalice" });
  bob = await createUserWithToken(ctx, { username: "pollbob" });
  carol = await createUserWithToken(ctx, { username: "pollcarol" });
  aliceApi = createRestAPIClient({ url, accessToken: alice.token });
  bobApi = createRestAPIClient({ url, accessToken: bob.token });
});
afterAll(async () => {
  await served?.close();
  await ctx?.close();
});

async function getPoll(id: string, token: string | null) {
  const res = await call(ctx, "GET", `/api/v1/polls/${id}`, token);
  if (res.status === 200) expectResponseSchema("GET", "/api/v1/polls/{id}", 200, res.body);
  return res;
}

describe("creating a poll", () => {
  it("posts a status with a poll through masto (JSON) and renders it", async () => {
    const status = await aliceApi.v1.statuses.create({
      status: "Tea or coffee?",
      poll: { options: ["Tea", "Coffee", "Neither"], expiresIn: 3600 },
    });
    expect(status.poll).toBeTruthy();
    const poll = status.poll!;
    expect(poll.options).toEqual([
      { title: "Tea", votesCount: 0 },
      { title: "Coffee", votesCount: 0 },
      { title: "Neither", votesCount: 0 },
    ]);
    expect(poll.multiple).toBe(false);
    expect(poll.expired).toBe(false);
    expect(poll.votesCount).toBe(0);
    expect(poll.votersCount).toBe(0);
    // The author counts as having voted (clients then show the results).
    expect(poll.voted).toBe(true);
    expect(poll.ownVotes).toEqual([]);
    const expiresAt = Date.parse(poll.expiresAt!);
    expect(Math.abs(expiresAt - (Date.now() + 3600_000))).toBeLessThan(60_000);

    const raw = await call(ctx, "GET", `/api/v1/statuses/${status.id}`, alice.token);
    expect(raw.status).toBe(200);
    expectSchema("Status", raw.body);
    expect(raw.body.poll.id).toBe(poll.id);
    expectSchema("Poll", raw.body.poll);
  });

  it("takes the form encoding, with multiple choice and hidden totals", async () => {
    const form = new URLSearchParams();
    form.append("status", "Pick any");
    form.append("poll[options][]", "Red");
    form.append("poll[options][]", "Green");
    form.append("poll[options][]", "Blue");
    form.append("poll[expires_in]", "600");
    form.append("poll[multiple]", "true");
    form.append("poll[hide_totals]", "1");
    const res = await call(ctx, "POST", "/api/v1/statuses", alice.token, form);
    expect(res.status).toBe(200);
    expectSchema("Status", res.body);
    expect(res.body.poll.multiple).toBe(true);
    expect(res.body.poll.options).toEqual([
      { title: "Red", votes_count: null },
      { title: "Green", votes_count: null },
      { title: "Blue", votes_count: null },
    ]);
  });

  it("refuses polls Mastodon refuses, with a 422", async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ options: ["only"], expires_in: 600 }, /more than one item/],
      [{ options: ["a", "b", "c", "d", "e"], expires_in: 600 }, /more than 4 items/],
      [{ options: ["a", "x".repeat(51)], expires_in: 600 }, /longer than 50 characters/],
      [{ options: ["same", " same "], expires_in: 600 }, /duplicate/],
      [{ options: ["a", "b"], expires_in: 299 }, /too soon/],
      [{ options: ["a", "b"], expires_in: 2_629_747 }, /too far/],
      [{ options: ["a", "b"] }, /can't be blank/],
      [{ options: ["a", "b"], expires_in: "soon" }, /not a number/],
    ];
    for (const [poll, message] of cases) {
      const res = await call(ctx, "POST", "/api/v1/statuses", alice.token, { status: "x", poll });
      expect(res.status, JSON.stringify(poll)).toBe(422);
      expectSchema("Error", res.body);
      expect(res.body.error).toMatch(message);
    }
    // Exactly at the bounds is fine; 50 characters counted as people count them.
    const ok = await call(ctx, "POST", "/api/v1/statuses", alice.token, {
      status: "bounds",
      poll: { options: ["a", "🐢".repeat(50)], expires_in: 300 },
    });
    expect(ok.status).toBe(200);
    const long = await call(ctx, "POST", "/api/v1/statuses", alice.token, {
      status: "bounds",
      poll: { options: ["a", "b"], expires_in: 2_629_746 },
    });
    expect(long.status).toBe(200);
  });

  it("refuses a poll together with media", async () => {
    const res = await call(ctx, "POST", "/api/v1/statuses", alice.token, {
      status: "with media",
      media_ids: ["1234"],
      poll: { options: ["a", "b"], expires_in: 600 },
    });
    expect(res.status).toBe(422);
    expect(res.body.error).toMatch(/poll/i);
  });

  it("advertises the limits in the instance configuration", async () => {
    const res = await call(ctx, "GET", "/api/v2/instance", null);
    expect(res.body.configuration.polls).toEqual({
      max_options: 4,
      max_characters_per_option: 50,
      min_expiration: 300,
      max_expiration: 2_629_746,
    });
  });
});

describe("voting", () => {
  it("counts one vote per account on a single-choice poll", async () => {
    const status = await aliceApi.v1.statuses.create({
      status: "Single",
      poll: { options: ["Yes", "No"], expiresIn: 600 },
    });
    const pollId = status.poll!.id;
    const voted = await bobApi.v1.polls.$select(pollId).votes.create({ choices: [1] });
    expect(voted.votesCount).toBe(1);
    expect(voted.votersCount).toBe(1);
    expect(voted.options.map((o) => o.votesCount)).toEqual([0, 1]);
    expect(voted.voted).toBe(true);
    expect(voted.ownVotes).toEqual([1]);

    const again = await call(ctx, "POST", `/api/v1/polls/${pollId}/votes`, bob.token, {
      choices: [0],
    });
    expect(again.status).toBe(422);
    expect(again.body.error).toMatch(/already voted/);
    const own = await call(ctx, "POST", `/api/v1/polls/${pollId}/votes`, alice.token, {
      choices: [0],
    });
    expect(own.status).toBe(422);
    expect(own.body.error).toMatch(/own polls/);
    const two = await call(ctx, "POST", `/api/v1/polls/${pollId}/votes`, carol.token, {
      choices: [0, 1],
    });
    expect(two.status).toBe(422);
    const bad = await call(ctx, "POST", `/api/v1/polls/${pollId}/votes`, carol.token, {
      choices: [7],
    });
    expect(bad.status).toBe(422);
    expect(bad.body.error).toMatch(/does not exist/);
    const none = await call(ctx, "POST", `/api/v1/polls/${pollId}/votes`, carol.token, {});
    expect(none.status).toBe(400);

    // Form encoding, as most apps send it.
    const form = new URLSearchParams([["choices[]", "0"]]);
    const carolVote = await call(ctx, "POST", `/api/v1/polls/${pollId}/votes`, carol.token, form);
    expect(carolVote.status).toBe(200);
    expectResponseSchema("POST", "/api/v1/polls/{id}/votes", 200, carolVote.body);
    expect(carolVote.body.options.map((o: Json) => o.votes_count)).toEqual([1, 1]);

    // Others see the totals, and their own state.
    const seenByAlice = await getPoll(pollId, alice.token);
    expect(seenByAlice.body).toMatchObject({ votes_count: 2, voted: true, own_votes: [] });
    const anonymous = await getPoll(pollId, null);
    expect(anonymous.status).toBe(200);
    expect(anonymous.body.votes_count).toBe(2);
    expect(anonymous.body).not.toHaveProperty("voted");
    const rendered = await call(ctx, "GET", `/api/v1/statuses/${status.id}`, bob.token);
    expect(rendered.body.poll.own_votes).toEqual([1]);
  });

  it("takes several options on a multiple-choice poll, never the same twice", async () => {
    const status = await aliceApi.v1.statuses.create({
      status: "Multiple",
      poll: { options: ["A", "B", "C"], expiresIn: 600, multiple: true },
    });
    const pollId = status.poll!.id;
    const first = await bobApi.v1.polls.$select(pollId).votes.create({ choices: [0, 2] });
    expect(first.votesCount).toBe(2);
    expect(first.votersCount).toBe(1);
    expect(first.ownVotes).toEqual([0, 2]);
    // Mastodon lets a voter add options later, but not repeat one.
    const more = await bobApi.v1.polls.$select(pollId).votes.create({ choices: [1] });
    expect(more.votesCount).toBe(3);
    expect(more.votersCount).toBe(1);
    expect(more.ownVotes).toEqual([0, 1, 2]);
    const repeat = await call(ctx, "POST", `/api/v1/polls/${pollId}/votes`, bob.token, {
      choices: [0],
    });
    expect(repeat.status).toBe(422);
    const carolVote = await call(ctx, "POST", `/api/v1/polls/${pollId}/votes`, carol.token, {
      choices: ["1"],
    });
    expect(carolVote.body.voters_count).toBe(2);
    expect(carolVote.body.options.map((o: Json) => o.votes_count)).toEqual([1, 2, 1]);
  });

  it("hides totals until the end when asked, but counts the votes", async () => {
    const status = await aliceApi.v1.statuses.create({
      status: "Hidden",
      poll: { options: ["A", "B"], expiresIn: 600, hideTotals: true },
    });
    const pollId = status.poll!.id;
    const voted = await call(ctx, "POST", `/api/v1/polls/${pollId}/votes`, bob.token, {
      choices: [0],
    });
    expect(voted.body.votes_count).toBe(1);
    expect(voted.body.options).toEqual([
      { title: "A", votes_count: null },
      { title: "B", votes_count: null },
    ]);
    await ctx.services.db
      .updateTable("polls")
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where("id", "=", pollId)
      .execute();
    const ended = await getPoll(pollId, carol.token);
    expect(ended.body.expired).toBe(true);
    expect(ended.body.options.map((o: Json) => o.votes_count)).toEqual([1, 0]);
    const late = await call(ctx, "POST", `/api/v1/polls/${pollId}/votes`, carol.token, {
      choices: [1],
    });
    expect(late.status).toBe(422);
    expect(late.body.error).toMatch(/already ended/);
  });

  it("hides a poll whose status the viewer may not see (404)", async () => {
    const status = await call(ctx, "POST", "/api/v1/statuses", alice.token, {
      status: "followers only",
      visibility: "private",
      poll: { options: ["A", "B"], expires_in: 600 },
    });
    const pollId = status.body.poll.id;
    expect((await getPoll(pollId, alice.token)).status).toBe(200);
    expect((await getPoll(pollId, bob.token)).status).toBe(404);
    expect((await getPoll(pollId, null)).status).toBe(404);
    const vote = await call(ctx, "POST", `/api/v1/polls/${pollId}/votes`, bob.token, {
      choices: [0],
    });
    expect(vote.status).toBe(404);
    expect((await getPoll("999999999", alice.token)).status).toBe(404);
    expect((await getPoll("nope", alice.token)).status).toBe(404);
  });
});

describe("editing and deleting", () => {
  it("resets the votes when the options change, and drops the poll when left out", async () => {
    const status = await aliceApi.v1.statuses.create({
      status: "Edit me",
      poll: { options: ["A", "B"], expiresIn: 600 },
    });
    const pollId = status.poll!.id;
    await bobApi.v1.polls.$select(pollId).votes.create({ choices: [0] });

    // Same options, another expiry: the votes stay.
    const same = await call(ctx, "PUT", `/api/v1/statuses/${status.id}`, alice.token, {
      status: "Edit me (longer)",
      poll: { options: ["A", "B"], expires_in: 7200 },
    });
    expect(same.status).toBe(200);
    expectSchema("Status", same.body);
    expect(same.body.poll.votes_count).toBe(1);
    expect(Date.parse(same.body.poll.expires_at)).toBeGreaterThan(Date.now() + 3600_000);

    const changed = await call(ctx, "PUT", `/api/v1/statuses/${status.id}`, alice.token, {
      status: "Edit me",
      poll: { options: ["A", "B", "C"], expires_in: 600 },
    });
    expect(changed.body.poll.options).toEqual([
      { title: "A", votes_count: 0 },
      { title: "B", votes_count: 0 },
      { title: "C", votes_count: 0 },
    ]);
    const seenByBob = await getPoll(pollId, bob.token);
    expect(seenByBob.body).toMatchObject({ votes_count: 0, voters_count: 0, own_votes: [] });
    expect(seenByBob.body.voted).toBe(false);

    const dropped = await call(ctx, "PUT", `/api/v1/statuses/${status.id}`, alice.token, {
      status: "No poll now",
    });
    expect(dropped.body.poll).toBeNull();
    expect((await getPoll(pollId, alice.token)).status).toBe(404);

    // The history shows each version's options.
    const history = await call(ctx, "GET", `/api/v1/statuses/${status.id}/history`, alice.token);
    expectResponseSchema("GET", "/api/v1/statuses/{id}/history", 200, history.body);
    expect(
      history.body.map((v: Json) => v.poll?.options.map((o: Json) => o.title) ?? null),
    ).toEqual([["A", "B"], ["A", "B"], ["A", "B", "C"], null]);
  });

  it("removes the poll with its status", async () => {
    const status = await aliceApi.v1.statuses.create({
      status: "Delete me",
      poll: { options: ["A", "B"], expiresIn: 600 },
    });
    await aliceApi.v1.statuses.$select(status.id).remove();
    expect((await getPoll(status.poll!.id, alice.token)).status).toBe(404);
  });
});

describe("the end of a poll", () => {
  it("is scheduled on the jobs queue when the poll is posted and when it is edited", async () => {
    const queue = ctx.services.queues.jobs;
    const enqueued: { message: Json; delayMs: number }[] = [];
    const original = queue.enqueue.bind(queue);
    queue.enqueue = async (message, options) => {
      enqueued.push({ message, delayMs: durationToMs(options?.delay) });
      return original(message, options);
    };
    try {
      const status = await aliceApi.v1.statuses.create({
        status: "Scheduled end",
        poll: { options: ["A", "B"], expiresIn: 900 },
      });
      await aliceApi.v1.statuses.$select(status.id).update({
        status: "Scheduled end, later",
        poll: { options: ["A", "B"], expiresIn: 1800 },
      });
      const expiries = enqueued.filter(
        (e) => e.message.type === "poll.expire" && e.message.pollId === status.poll!.id,
      );
      expect(expiries).toHaveLength(2);
      expect(Math.abs(expiries[0]!.delayMs - 900_000)).toBeLessThan(30_000);
      expect(Math.abs(expiries[1]!.delayMs - 1_800_000)).toBeLessThan(30_000);
    } finally {
      queue.enqueue = original;
    }
  });

  it("notifies the author and every local voter once, through the queue", async () => {
    const status = await aliceApi.v1.statuses.create({
      status: "Ending",
      poll: { options: ["A", "B"], expiresIn: 300 },
    });
    const pollId = status.poll!.id;
    await bobApi.v1.polls.$select(pollId).votes.create({ choices: [1] });
    // The real job waits five minutes; end the poll now and run the same job at once.
    await ctx.services.db
      .updateTable("polls")
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where("id", "=", pollId)
      .execute();
    await enqueueJob(ctx.services, { type: "poll.expire", pollId });
    await enqueueJob(ctx.services, { type: "poll.expire", pollId });

    for (const user of [alice, bob]) {
      const found = await eventually(async () => {
        const res = await call(ctx, "GET", "/api/v1/notifications?types[]=poll", user.token);
        return res.body.length > 0 ? res.body : undefined;
      }, `poll notification for ${user.account.username}`);
      expectResponseSchema("GET", "/api/v1/notifications", 200, found);
      expect(found).toHaveLength(1);
      expect(found[0].type).toBe("poll");
      expect(found[0].account.id).toBe(alice.account.id);
      expect(found[0].status.id).toBe(status.id);
      expect(found[0].status.poll.expired).toBe(true);
    }
    const carolSees = await call(ctx, "GET", "/api/v1/notifications?types[]=poll", carol.token);
    expect(carolSees.body).toEqual([]);
    // The second job found the notifications already there.
    const rows = await ctx.services.db
      .selectFrom("notifications")
      .select("account_id")
      .where("type", "=", "poll")
      .where("status_id", "=", status.id)
      .execute();
    expect(rows.map((r) => r.account_id).sort()).toEqual([alice.account.id, bob.account.id].sort());
  });

  it("waits when the job runs before the end (the poll was restarted)", async () => {
    const status = await aliceApi.v1.statuses.create({
      status: "Not yet",
      poll: { options: ["A", "B"], expiresIn: 600 },
    });
    await enqueueJob(ctx.services, { type: "poll.expire", pollId: status.poll!.id });
    await new Promise((r) => setTimeout(r, 1500));
    const rows = await ctx.services.db
      .selectFrom("notifications")
      .select("id")
      .where("type", "=", "poll")
      .where("status_id", "=", status.id)
      .execute();
    expect(rows).toEqual([]);
  });
});
