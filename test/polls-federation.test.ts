// Polls over ActivityPub: Questions from real servers' documents (Mastodon, Pleroma,
// Misskey) through the inbox handlers, their Updates, votes received on our polls, and what
// we send: our polls as Questions, our votes on remote polls, new totals as Updates.
import { Create, Question, Update } from "@fedify/vocab";
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { onCreate } from "../federation/inbox/create.ts";
import { onUpdate } from "../federation/inbox/update.ts";
import { sendPollUpdate, sendPollVotes } from "../federation/outbox.ts";
import { runPollExpiry } from "../src/polls/jobs.ts";
import { call } from "./helpers/api.ts";
import { createUserWithToken } from "./helpers/auth.ts";
import {
  type FixtureFederation,
  fixture,
  fixtureFederation,
  PUBLIC,
  person,
  wrapCreate,
} from "./helpers/inbox-fixtures.ts";
import { expectSchema } from "./helpers/openapi.ts";
import { createTestContext, type TestContext } from "./helpers/services.ts";

const emitted = vi.hoisted(() => [] as { name: string; payload: Record<string, unknown> }[]);
vi.mock("../src/events/emit.ts", async (original) => {
  const real = await original<typeof import("../src/events/emit.ts")>();
  return {
    ...real,
    emitEvent: async (services: never, name: string, payload: Record<string, unknown>) => {
      emitted.push({ name, payload });
      await real.emitEvent(services, name as never, payload as never);
    },
  };
});

// What the outbox hands to Fedify, instead of queueing real deliveries; and documents that
// remote fetches find (by URL), instead of the network.
const sent = vi.hoisted(() => [] as { recipients: unknown; activity: unknown }[]);
const lookups = vi.hoisted(() => new Map<string, unknown>());
vi.mock("../federation/index.ts", async (original) => {
  const real = await original<typeof import("../federation/index.ts")>();
  return {
    ...real,
    federationContext: (services: never) => {
      const context = real.federationContext(services);
      const lookupObject = context.lookupObject.bind(context);
      Object.assign(context, {
        lookupObject: async (url: string, options: never) =>
          lookups.has(String(url)) ? lookups.get(String(url)) : lookupObject(url, options),
        sendActivity: async (_sender: unknown, recipients: unknown, activity: unknown) => {
          sent.push({ recipients, activity });
        },
      });
      return context;
    },
  };
});

// biome-ignore lint/suspicious/noExplicitAny: documents and bodies are checked field by field
type Json = any;

let ctx: TestContext;
let fed: FixtureFederation;
let karen: Awaited<ReturnType<typeof createUserWithToken>>;
let lou: Awaited<ReturnType<typeof createUserWithToken>>;

const RINPATCH = "https://masto.local/users/rinpatch";
const MASTO_POLL = `${RINPATCH}/statuses/102070944809637304`;
const PLEROMA_POLL = "https://patch.local/objects/9a172665-2bc5-452d-8428-2361d4c33b1d";
const MISSKEY_POLL = "https://miss.local/notes/7x9tmrp97i";
const MISSKEY_AUTHOR = "https://miss.local/users/7v1w1r8ce6";

beforeAll(async () => {
  ctx = await createTestContext({ PUBLIC_URL: "https://testing.local" });
  karen = await createUserWithToken(ctx, { username: "karen" });
  lou = await createUserWithToken(ctx, { username: "lou" });
  fed = fixtureFederation(ctx.services);
  fed.serve(person(RINPATCH), person("https://patch.local/users/rin"), person(MISSKEY_AUTHOR));
});
afterAll(async () => {
  await ctx?.close();
});
beforeEach(() => {
  emitted.length = 0;
  sent.length = 0;
});

async function receive(json: Json) {
  if (json.type === "Update") {
    await onUpdate(fed.inboxContext(json), await fed.parse(Update, json));
  } else {
    await onCreate(fed.inboxContext(json), await fed.parse(Create, json));
  }
}

async function statusOf(uri: string): Promise<Json> {
  const row = await ctx.services.db
    .selectFrom("statuses")
    .select("id")
    .where("uri", "=", uri)
    .executeTakeFirstOrThrow();
  const res = await call(ctx, "GET", `/api/v1/statuses/${row.id}`, karen.token);
  expect(res.status).toBe(200);
  expectSchema("Status", res.body);
  return res.body;
}

describe("receiving Questions", () => {
  it("stores a Mastodon poll with its counts and end", async () => {
    await receive(fixture("mastodon/mastodon-question-activity.json"));
    const status = await statusOf(MASTO_POLL);
    expect(status.content).toContain("Tenshi");
    expectSchema("Poll", status.poll);
    expect(status.poll).toMatchObject({
      expires_at: "2019-05-11T09:03:36.000Z",
      expired: true,
      multiple: false,
      votes_count: 2,
      voted: false,
      own_votes: [],
    });
    expect(status.poll.options).toEqual([
      { title: "Dunno", votes_count: 0 },
      { title: "Everyone knows that!", votes_count: 1 },
      { title: "25 char limit is dumb", votes_count: 0 },
      { title: "I can't even fit a funny", votes_count: 1 },
    ]);
    // Ended: no more votes.
    const vote = await call(ctx, "POST", `/api/v1/polls/${status.poll.id}/votes`, karen.token, {
      choices: [0],
    });
    expect(vote.status).toBe(422);
  });

  it("refreshes a Pleroma poll's counts from an Update, without recording an edit", async () => {
    await receive(wrapCreate(fixture("poll_original.json")));
    const before = await statusOf(PLEROMA_POLL);
    // Pleroma gives the end as `closed` only.
    expect(before.poll.expires_at).toBe("2019-09-19T00:32:36.785Z");
    expect(before.poll.options.map((o: Json) => o.votes_count)).toEqual([4, 0]);
    expect(before.poll.voters_count).toBeNull();

    await receive(wrapCreate(fixture("poll_modified.json"), "Update"));
    const after = await statusOf(PLEROMA_POLL);
    expect(after.poll.id).toBe(before.poll.id);
    expect(after.poll.options).toEqual([
      { title: "yes", votes_count: 8 },
      { title: "no", votes_count: 3 },
    ]);
    expect(after.poll.votes_count).toBe(11);
    expect(after.edited_at).toBeNull();
  });

  it("stores a Misskey poll without an end, which stays open", async () => {
    const question = fixture("misskey_poll_no_end_date.json");
    await receive(wrapCreate(question));
    const status = await statusOf(MISSKEY_POLL);
    expect(status.poll).toMatchObject({ expires_at: null, expired: false, votes_count: 1 });
    expect(status.poll.options.map((o: Json) => o.title)).toEqual(["Working", "Broken af"]);
  });
});

describe("voting on a remote poll", () => {
  it("counts the vote here, sends it to the poll's author, and notifies at the end", async () => {
    const status = await statusOf(MISSKEY_POLL);
    const pollId = status.poll.id;
    const res = await call(ctx, "POST", `/api/v1/polls/${pollId}/votes`, karen.token, {
      choices: [0],
    });
    expect(res.status).toBe(200);
    expect(res.body.options.map((o: Json) => o.votes_count)).toEqual([1, 1]);
    expect(res.body.own_votes).toEqual([0]);
    const event = emitted.find((e) => e.name === "poll.voted");
    expect(event?.payload).toMatchObject({ pollId, accountId: karen.account.id });

    await sendPollVotes(ctx.services, pollId, karen.account.id, event!.payload.voteIds as string[]);
    expect(sent).toHaveLength(1);
    const recipient = sent[0]!.recipients as { id: URL };
    expect(recipient.id.href).toBe(MISSKEY_AUTHOR);
    const activity = (await (sent[0]!.activity as Create).toJsonLd()) as Json;
    expect(activity.type).toBe("Create");
    expect(activity.actor).toBe("https://testing.local/users/karen");
    expect(activity.object).toMatchObject({
      type: "Note",
      name: "Working",
      inReplyTo: MISSKEY_POLL,
      attributedTo: "https://testing.local/users/karen",
      to: MISSKEY_AUTHOR,
    });
    expect(activity.object.content).toBeUndefined();
    expect(activity.object.id).toMatch(/^https:\/\/testing\.local\/users\/karen#votes\/\d+$/);

    // The poll's server tells no one when it ends: we tell our voter, with the final
    // counts fetched from it.
    const ended = new Date(Date.now() - 1000);
    await ctx.services.db
      .updateTable("polls")
      .set({ expires_at: ended })
      .where("id", "=", pollId)
      .execute();
    const final = fixture("misskey_poll_no_end_date.json");
    final.endTime = ended.toISOString();
    (final.oneOf as Json)[0].replies.totalItems = 5;
    lookups.set(MISSKEY_POLL, await fed.parse(Question, final));
    await runPollExpiry(ctx.services, pollId);
    const after = await call(ctx, "GET", `/api/v1/polls/${pollId}`, karen.token);
    expect(after.body.options.map((o: Json) => o.votes_count)).toEqual([5, 1]);
    expect(after.body.expired).toBe(true);
    const notes = await call(ctx, "GET", "/api/v1/notifications?types[]=poll", karen.token);
    expect(notes.body).toHaveLength(1);
    expect(notes.body[0].status.id).toBe(status.id);
    expect(notes.body[0].account.acct).toMatch(/^7v1w1r8ce6@miss\.local$/);
  });
});

describe("our polls", () => {
  async function localPoll(options: Json) {
    const res = await call(ctx, "POST", "/api/v1/statuses", karen.token, {
      status: "Local poll",
      poll: options,
    });
    expect(res.status).toBe(200);
    return res.body;
  }

  it("serves a poll as a Question from the object dispatcher", async () => {
    const status = await localPoll({ options: ["Up", "Down"], expires_in: 600, multiple: true });
    await call(ctx, "POST", `/api/v1/polls/${status.poll.id}/votes`, lou.token, {
      choices: [0, 1],
    });
    const res = await ctx.app.request(new URL(status.uri).pathname, {
      headers: { accept: "application/activity+json" },
    });
    expect(res.status).toBe(200);
    const doc = (await res.json()) as Json;
    expect(doc.type).toBe("Question");
    expect(doc.id).toBe(status.uri);
    expect(doc.oneOf).toBeUndefined();
    expect(doc.anyOf).toEqual([
      { type: "Note", name: "Up", replies: { type: "Collection", totalItems: 1 } },
      { type: "Note", name: "Down", replies: { type: "Collection", totalItems: 1 } },
    ]);
    expect(Date.parse(doc.endTime)).toBe(Date.parse(status.poll.expires_at));
    expect(doc.votersCount).toBe(1);
    expect(doc.closed).toBeUndefined();
  });

  it("counts a remote vote once, keeps it out of the replies, and sends new totals", async () => {
    const status = await localPoll({ options: ["Yes", "No"], expires_in: 600 });
    const vote = {
      "@context": "https://www.w3.org/ns/activitystreams",
      id: `${RINPATCH}#votes/387/activity`,
      type: "Create",
      actor: RINPATCH,
      to: "https://testing.local/users/karen",
      object: {
        id: `${RINPATCH}#votes/387`,
        type: "Note",
        attributedTo: RINPATCH,
        name: "No",
        inReplyTo: status.uri,
        to: "https://testing.local/users/karen",
      },
    };
    await receive(vote);
    await receive(vote);
    const poll = await call(ctx, "GET", `/api/v1/polls/${status.poll.id}`, karen.token);
    expect(poll.body.options.map((o: Json) => o.votes_count)).toEqual([0, 1]);
    expect(poll.body.voters_count).toBe(1);
    const stored = await ctx.services.db
      .selectFrom("statuses")
      .select("id")
      .where("uri", "=", `${RINPATCH}#votes/387`)
      .executeTakeFirst();
    expect(stored).toBeUndefined();
    const parent = await call(ctx, "GET", `/api/v1/statuses/${status.id}`, karen.token);
    expect(parent.body.replies_count).toBe(0);

    // A second vote by the same account on a single-choice poll is not counted.
    await receive({
      ...vote,
      id: `${RINPATCH}#votes/388/activity`,
      object: { ...vote.object, id: `${RINPATCH}#votes/388`, name: "Yes" },
    });
    const again = await call(ctx, "GET", `/api/v1/polls/${status.poll.id}`, karen.token);
    expect(again.body.votes_count).toBe(1);

    // The Update with the new totals, to followers and to the remote voter.
    await sendPollUpdate(ctx.services, status.id);
    const update = sent.find((s) => (s.activity as object) instanceof Update);
    expect(update).toBeDefined();
    const json = (await (update!.activity as Update).toJsonLd()) as Json;
    expect(json.object.type).toBe("Question");
    expect(json.object.oneOf.map((o: Json) => o.replies.totalItems)).toEqual([0, 1]);
    expect(json.object.updated).toBeUndefined();
    expect(json.id).toMatch(/#updates\/poll-\d+$/);
    const direct = sent.filter((s) => Array.isArray(s.recipients));
    expect(
      direct.some((s) => (s.recipients as { id: URL }[]).some((r) => r.id.href === RINPATCH)),
    ).toBe(true);
  });

  it("keeps hidden totals from other servers until the end", async () => {
    const status = await localPoll({ options: ["A", "B"], expires_in: 600, hide_totals: true });
    await call(ctx, "POST", `/api/v1/polls/${status.poll.id}/votes`, lou.token, { choices: [1] });
    const open = await ctx.app.request(new URL(status.uri).pathname, {
      headers: { accept: "application/activity+json" },
    });
    const doc = (await open.json()) as Json;
    expect(doc.oneOf.map((o: Json) => o.replies.totalItems)).toEqual([0, 0]);
    await ctx.services.db
      .updateTable("polls")
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where("id", "=", status.poll.id)
      .execute();
    const ended = await ctx.app.request(new URL(status.uri).pathname, {
      headers: { accept: "application/activity+json" },
    });
    const final = (await ended.json()) as Json;
    expect(final.oneOf.map((o: Json) => o.replies.totalItems)).toEqual([0, 1]);
    expect(final.closed).toBeDefined();
  });

  it("announces a new poll as Create(Question)", async () => {
    const { statusActivity } = await import("../federation/collections.ts");
    const { federationContext } = await import("../federation/index.ts");
    const status = await localPoll({ options: ["One", "Two"], expires_in: 600 });
    const row = await ctx.services.db
      .selectFrom("statuses")
      .selectAll()
      .where("id", "=", status.id)
      .executeTakeFirstOrThrow();
    const create = await statusActivity(federationContext(ctx.services), row);
    const json = (await create.toJsonLd()) as Json;
    expect(json.type).toBe("Create");
    expect(json.object.type).toBe("Question");
    // Fedify compacts the public collection to its short form.
    expect(["as:Public", PUBLIC]).toContain(json.object.to);
    expect(json.object.oneOf.map((o: Json) => o.name)).toEqual(["One", "Two"]);
  });
});
