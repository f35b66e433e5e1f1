// Status events are streamed by the process that committed them (src/streaming/direct.ts),
// with a delayed queued job as the fallback. No workers run here: whatever arrives came the
// direct way, and the fallback job is called by hand to see both of its branches. Hubs write
// an event key once, so an event published twice is heard once.
import type { MessageQueueEnqueueOptions } from "@fedify/fedify";
import { afterAll, beforeAll, expect, test } from "vitest";
import { durationToMs } from "../src/infra/temporal.ts";
import {
  directPublicationsSettled,
  FALLBACK_DELAY_MS,
  fallbackFor,
} from "../src/streaming/direct.ts";
import { streamStatusCreated } from "../src/streaming/events.ts";
import { createUserWithToken } from "./helpers/auth.ts";
import { createTestContext, type TestContext } from "./helpers/services.ts";
import {
  openWebSocket,
  parsed,
  type RawClient,
  type StreamEventMessage,
  serveWithStreaming,
} from "./helpers/streaming.ts";

let ctx: TestContext;
let url: string;
let stop: () => Promise<void>;
type User = Awaited<ReturnType<typeof createUserWithToken>>;
let author: User;
let follower: User;
let client: RawClient;
/** Streaming jobs enqueued on `jobs`, with their options. */
const streamingJobs: {
  message: { payload: { statusId: string; streamKey?: string } };
  options?: MessageQueueEnqueueOptions;
}[] = [];

async function api(user: User, method: string, path: string, body?: object) {
  const res = await fetch(new URL(path, url), {
    method,
    headers: { authorization: `Bearer ${user.token}`, "content-type": "application/json" },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

const updatesOf = (id: string) =>
  client.log.events.filter((e: StreamEventMessage) => e.event === "update" && parsed(e).id === id);

/** Posts a public status and waits until the follower's stream has it. */
async function postAndReceive(text: string): Promise<string> {
  const status = (await api(author, "POST", "/api/v1/statuses", { status: text })) as {
    id: string;
  };
  await client.log.wait((e) => e.event === "update" && parsed(e).id === status.id);
  await directPublicationsSettled(ctx.services);
  return status.id;
}

/** Long enough for a second copy of an event, published before it, to have arrived. */
async function settle(): Promise<void> {
  const marker = await postAndReceive("marker");
  expect(updatesOf(marker)).toHaveLength(1);
}

beforeAll(async () => {
  ctx = await createTestContext();
  const queue = ctx.services.queues.jobs;
  const enqueue = queue.enqueue.bind(queue);
  queue.enqueue = (message, options) => {
    const job = message as { subscriber?: string; payload: { statusId: string } };
    if (job.subscriber === "streaming") streamingJobs.push({ message: job, options });
    return enqueue(message, options);
  };
  const served = await serveWithStreaming(ctx);
  url = served.url;
  stop = served.close;
  author = await createUserWithToken(ctx, { username: "directauthor" });
  follower = await createUserWithToken(ctx, { username: "directfollower" });
  await api(follower, "POST", `/api/v1/accounts/${author.account.id}/follow`);
  client = await openWebSocket(url, follower.token, { stream: "user" });
});

afterAll(async () => {
  client?.close();
  await stop?.();
  await ctx?.close();
});

test("a new status reaches a follower's stream with no worker running, once", async () => {
  const id = await postAndReceive("straight from the request");
  // Its streaming job is only a delayed fallback carrying the event's key.
  const job = streamingJobs.find((j) => j.message.payload.statusId === id);
  expect(job?.message.payload.streamKey).toMatch(/^\d+$/);
  expect(durationToMs(job?.options?.delay)).toBe(FALLBACK_DELAY_MS);
  await settle();
  expect(updatesOf(id)).toHaveLength(1);
});

test("the fallback job does nothing once the event was published directly", async () => {
  const id = await postAndReceive("fallback skipped");
  const job = streamingJobs.find((j) => j.message.payload.statusId === id);
  const published: string[] = [];
  const publish = ctx.services.pubsub.publish.bind(ctx.services.pubsub);
  ctx.services.pubsub.publish = async (channel, message) => {
    published.push(channel);
    return publish(channel, message);
  };
  try {
    await fallbackFor("status.created")(ctx.services, job!.message.payload);
  } finally {
    ctx.services.pubsub.publish = publish;
  }
  expect(published).toEqual([]);
  await settle();
  expect(updatesOf(id)).toHaveLength(1);
});

test("the fallback job publishes an event the direct path never recorded", async () => {
  const id = await postAndReceive("fallback runs");
  // A key the direct path did not publish: as if its process had died first.
  await fallbackFor("status.created")(ctx.services, { statusId: id, streamKey: "1" });
  await client.log.wait(() => updatesOf(id).length === 2);
  expect(updatesOf(id)).toHaveLength(2);
});

test("an event published twice with one key is written once", async () => {
  const id = await postAndReceive("published twice");
  await streamStatusCreated(ctx.services, { statusId: id }, "42");
  await streamStatusCreated(ctx.services, { statusId: id }, "42");
  await client.log.wait(() => updatesOf(id).length === 2);
  await settle();
  // The direct publication and one of the two keyed ones.
  expect(updatesOf(id)).toHaveLength(2);
});

test("an edit reaches a follower who heard the post before fan-out filled their feed", async () => {
  // No worker runs, so home_feed stays empty: the follower knows the status only from the
  // stream, and its edit must reach them all the same.
  const id = await postAndReceive("edited before fan-out");
  const feed = await ctx.services.db
    .selectFrom("home_feed")
    .select("account_id")
    .where("status_id", "=", id)
    .execute();
  expect(feed).toEqual([]);
  await api(author, "PUT", `/api/v1/statuses/${id}`, { status: "edited, still before fan-out" });
  const edit = await client.log.wait((e) => e.event === "status.update" && parsed(e).id === id);
  expect(parsed(edit).content).toContain("still before fan-out");
});
