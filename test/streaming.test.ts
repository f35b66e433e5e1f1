// The streaming API end to end: statuses posted through the REST API, fanned out by the
// workers, and received over WebSocket (masto and raw) and server-sent events, with the
// visibility rules checked from the receiving side.
import { createRestAPIClient, createStreamingAPIClient } from "masto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import WebSocket from "ws";
import { createUserWithToken } from "./helpers/auth.ts";
import { createTestContext, type TestContext } from "./helpers/services.ts";
import {
  type EventLog,
  openSse,
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
let stranger: User;
const clients: RawClient[] = [];

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

async function ws(user: User, stream: string, via?: "header" | "protocol" | "query") {
  const client = await openWebSocket(url, user.token, { stream, via });
  clients.push(client);
  return client;
}

const updateOf = (id: string) => (e: StreamEventMessage) =>
  e.event === "update" && parsed(e).id === id;

/** Waits until a later public marker has arrived, then a little more, and checks `log`. */
async function settle(): Promise<void> {
  await new Promise((r) => setTimeout(r, 500));
}

beforeAll(async () => {
  ctx = await createTestContext({}, { workers: true });
  const served = await serveWithStreaming(ctx);
  url = served.url;
  stop = served.close;
  author = await createUserWithToken(ctx, { username: "streamauthor" });
  follower = await createUserWithToken(ctx, { username: "streamfollower" });
  stranger = await createUserWithToken(ctx, { username: "streamstranger" });
  await api(follower, "POST", `/api/v1/accounts/${author.account.id}/follow`);
});

afterAll(async () => {
  for (const c of clients) c.close();
  await stop?.();
  await ctx?.close();
});

describe("endpoints", () => {
  test("health, instance URL and refusals", async () => {
    const health = await fetch(new URL("/api/v1/streaming/health", url));
    expect(await health.text()).toBe("OK");
    const instance = await (await fetch(new URL("/api/v2/instance", url))).json();
    expect(instance.configuration.urls.streaming).toMatch(/^ws:\/\//);

    await expect(openWebSocket(url, "not-a-token", { stream: "user" })).rejects.toThrow("401");
    const noScope = await createUserWithToken(ctx, { scopes: ["write"] });
    await expect(openWebSocket(url, noScope.token, { stream: "user" })).rejects.toThrow("401");
    await expect(openWebSocket(url, author.token, { stream: "nonsense" })).rejects.toThrow("400");
    const sse = await openSse(url, "/api/v1/streaming/hashtag", author.token);
    expect(sse.response.status).toBe(400);
    const list = await openSse(url, "/api/v1/streaming/list?list=1", author.token);
    expect(list.response.status).toBe(404);
  });

  test("each of the three token mechanisms; the protocol is echoed", async () => {
    const byProtocol = await ws(follower, "user", "protocol");
    expect(byProtocol.ws.protocol).toBe(follower.token);
    const byHeader = await ws(follower, "user", "header");
    const byQuery = await ws(follower, "user", "query");
    expect(byHeader.ws.protocol).toBe("");
    const status = await api(author, "POST", "/api/v1/statuses", { status: "three ways" });
    for (const c of [byProtocol, byHeader, byQuery]) {
      const e = await c.log.wait(updateOf(status.id));
      expect(e.stream).toEqual(["user"]);
      expect(typeof e.payload).toBe("string");
    }
  });

  test("multiplexed subscribe and unsubscribe, with errors reported", async () => {
    const client = await ws(stranger, "public");
    client.send({ type: "subscribe", stream: "hashtag", tag: "StreamCats" });
    client.send({ type: "subscribe", stream: "hashtag" });
    await new Promise((r) => setTimeout(r, 300));
    expect(client.errors).toEqual([{ error: "No tag for stream provided", status: 400 }]);
    const status = await api(author, "POST", "/api/v1/statuses", { status: "#StreamCats" });
    const tagged = await client.log.wait(
      (e) => e.stream[0] === "hashtag" && parsed(e).id === status.id,
    );
    expect(tagged.stream).toEqual(["hashtag", "StreamCats"]);
    await client.log.wait((e) => e.stream[0] === "public" && parsed(e).id === status.id);

    client.send({ type: "unsubscribe", stream: "hashtag", tag: "streamcats" });
    await new Promise((r) => setTimeout(r, 300));
    const next = await api(author, "POST", "/api/v1/statuses", { status: "#StreamCats again" });
    await client.log.wait((e) => e.stream[0] === "public" && parsed(e).id === next.id);
    await settle();
    expect(client.log.has((e) => e.stream[0] === "hashtag" && parsed(e).id === next.id)).toBe(
      false,
    );
  });

  test("server-sent events read with fetch", async () => {
    const sse = await openSse(url, "/api/v1/streaming/user", follower.token);
    expect(sse.response.headers.get("content-type")).toBe("text/event-stream");
    const status = await api(author, "POST", "/api/v1/statuses", { status: "over SSE" });
    const e = await sse.log.wait((x) => x.event === "update" && parsed(x).id === status.id);
    expect(parsed(e).content).toContain("over SSE");
    const pub = await openSse(url, "/api/v1/streaming/public/local", stranger.token);
    const second = await api(author, "POST", "/api/v1/statuses", { status: "local SSE" });
    await pub.log.wait((x) => x.event === "update" && parsed(x).id === second.id);
    sse.close();
    pub.close();
  });

  test("the masto client subscribing to user and public", async () => {
    const masto = createStreamingAPIClient({
      streamingApiUrl: url.replace(/^http/, "ws"),
      accessToken: follower.token,
      implementation: WebSocket,
      retry: false,
    });
    const user = masto.user.subscribe();
    const pub = masto.public.subscribe();
    // masto connects and subscribes lazily, in its own time: post every half second until
    // both streams have seen one of the posts.
    const rest = createRestAPIClient({ url, accessToken: author.token });
    const posted = new Set<string>();
    let done = false;
    const poster = (async () => {
      while (!done) {
        posted.add((await rest.v1.statuses.create({ status: "hello masto" })).id);
        await new Promise((r) => setTimeout(r, 500));
      }
    })();
    // Matched by content, not by the ids answered: an event may arrive before its POST's answer.
    const first = async (sub: AsyncIterable<{ event: string; payload: unknown }>) => {
      for await (const e of sub) {
        if (
          e.event === "update" &&
          (e.payload as { content: string }).content === "<p>hello masto</p>"
        )
          return e;
      }
      throw new Error("stream ended");
    };
    const [u, p] = await Promise.all([first(user), first(pub)]);
    done = true;
    await poster;
    const status = { id: (u.payload as { id: string }).id };
    expect(posted.has(status.id)).toBe(true);
    expect(u.payload).toMatchObject({ id: status.id, favourited: false, reblogged: false });
    expect(p.payload).toMatchObject({ visibility: "public", content: "<p>hello masto</p>" });
    user.unsubscribe();
    pub.unsubscribe();
    masto.close();
  });
});

describe("who hears what", () => {
  let followerUser: RawClient;
  let followerDirect: RawClient;
  let strangerUser: RawClient;
  let strangerPublic: RawClient;
  let strangerDirect: RawClient;
  let authorNotes: RawClient;

  beforeAll(async () => {
    followerUser = await ws(follower, "user");
    followerDirect = await ws(follower, "direct");
    strangerUser = await ws(stranger, "user");
    strangerPublic = await ws(stranger, "public");
    strangerDirect = await ws(stranger, "direct");
    authorNotes = await ws(author, "user:notification");
  });

  const publicMarker = async (log: EventLog) => {
    const marker = await api(author, "POST", "/api/v1/statuses", { status: "marker" });
    await log.wait(updateOf(marker.id));
    await settle();
  };

  test("a private post reaches followers only, never the public stream", async () => {
    const status = await api(author, "POST", "/api/v1/statuses", {
      status: "followers only",
      visibility: "private",
    });
    const e = await followerUser.log.wait(updateOf(status.id));
    expect(parsed(e).visibility).toBe("private");
    await publicMarker(strangerPublic.log);
    for (const c of [strangerUser, strangerPublic]) {
      expect(c.log.has((x) => x.payload.includes(status.id))).toBe(false);
    }
  });

  test("a direct message reaches only the mentioned account", async () => {
    const status = await api(author, "POST", "/api/v1/statuses", {
      status: "@streamfollower just you",
      visibility: "direct",
    });
    await followerUser.log.wait(updateOf(status.id));
    const conversation = await followerDirect.log.wait((e) => e.event === "conversation");
    expect(parsed(conversation).last_status.id).toBe(status.id);
    const mention = await followerUser.log.wait(
      (e) => e.event === "notification" && parsed(e).type === "mention",
    );
    expect(parsed(mention).status.id).toBe(status.id);
    await publicMarker(strangerPublic.log);
    for (const c of [strangerUser, strangerPublic, strangerDirect]) {
      expect(c.log.has((x) => x.payload.includes(status.id))).toBe(false);
    }
  });

  test("deletes reach the user and public streams", async () => {
    const status = await api(author, "POST", "/api/v1/statuses", { status: "short-lived" });
    await followerUser.log.wait(updateOf(status.id));
    await strangerPublic.log.wait(updateOf(status.id));
    await api(author, "DELETE", `/api/v1/statuses/${status.id}`);
    const isDelete = (e: StreamEventMessage) => e.event === "delete" && e.payload === status.id;
    await followerUser.log.wait(isDelete);
    await strangerPublic.log.wait(isDelete);
  });

  test("notifications reach user:notification, rendered for the recipient", async () => {
    const status = await api(author, "POST", "/api/v1/statuses", { status: "like me" });
    await api(stranger, "POST", `/api/v1/statuses/${status.id}/favourite`);
    const e = await authorNotes.log.wait((x) => x.event === "notification");
    expect(e.stream).toEqual(["user:notification"]);
    const n = parsed(e);
    expect(n).toMatchObject({ type: "favourite", account: { id: stranger.account.id } });
    expect(n.status).toMatchObject({ id: status.id, favourited: false, favourites_count: 1 });
  });

  test("a viewer who blocked the author hears nothing from them on public streams", async () => {
    const blocker = await createUserWithToken(ctx);
    const blockerPublic = await ws(blocker, "public");
    await api(blocker, "POST", `/api/v1/accounts/${author.account.id}/block`);
    const status = await api(author, "POST", "/api/v1/statuses", { status: "blocked" });
    await strangerPublic.log.wait(updateOf(status.id));
    await settle();
    expect(blockerPublic.log.has(updateOf(status.id))).toBe(false);
  });
});
