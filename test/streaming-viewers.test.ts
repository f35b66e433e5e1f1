// Streaming per viewer: one pub/sub message per status carries a shared rendering plus the
// few that differ, and each viewer must still receive exactly what the REST API shows them
// (flags, application, pinned), nothing they may not see, their filters applied, their
// lists, and no more events once their token is revoked.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { issueAccessToken } from "../src/oauth/access-tokens.ts";
import { getHub } from "../src/streaming/hub.ts";
import { createTestApplication, createUserWithToken } from "./helpers/auth.ts";
import { createTestContext, type TestContext } from "./helpers/services.ts";
import {
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
let fan: User; // follows the author, favourites and bookmarks
let quiet: User; // follows the author, does nothing
let muter: User; // follows the author but muted them
let blocked: User; // follows the author, then was blocked by them
const clients: RawClient[] = [];

// biome-ignore lint/suspicious/noExplicitAny: JSON bodies of several shapes.
type Json = any;

async function api(user: User, method: string, path: string, body?: object): Promise<Json> {
  const res = await fetch(new URL(path, url), {
    method,
    headers: { authorization: `Bearer ${user.token}`, "content-type": "application/json" },
    body: body ? JSON.stringify(body) : undefined,
  });
  const json = await res.json();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json;
}

async function ws(user: User | string, stream?: string): Promise<RawClient> {
  const token = typeof user === "string" ? user : user.token;
  const client = await openWebSocket(url, token, stream ? { stream } : {});
  clients.push(client);
  return client;
}

const is = (event: string, id: string) => (e: StreamEventMessage) =>
  e.event === event && e.payload.includes(`"id":"${id}"`) && parsed(e).id === id;
const settle = () => new Promise((r) => setTimeout(r, 600));

/** Counts change between the event and the REST call; everything else must be equal. */
function comparable(status: Json): Json {
  const { replies_count, reblogs_count, favourites_count, account, ...rest } = status;
  const { statuses_count, last_status_at, followers_count, following_count, ...who } = account;
  return { ...rest, account: who, reblog: status.reblog ? comparable(status.reblog) : null };
}

beforeAll(async () => {
  ctx = await createTestContext({}, { workers: true });
  const served = await serveWithStreaming(ctx);
  url = served.url;
  stop = served.close;
  author = await createUserWithToken(ctx, { username: "vauthor" });
  fan = await createUserWithToken(ctx, { username: "vfan" });
  quiet = await createUserWithToken(ctx, { username: "vquiet" });
  muter = await createUserWithToken(ctx, { username: "vmuter" });
  blocked = await createUserWithToken(ctx, { username: "vblocked" });
  for (const u of [fan, quiet, muter, blocked]) {
    await api(u, "POST", `/api/v1/accounts/${author.account.id}/follow`);
  }
  await api(muter, "POST", `/api/v1/accounts/${author.account.id}/mute`);
  await api(author, "POST", `/api/v1/accounts/${blocked.account.id}/block`);
});

afterAll(async () => {
  for (const c of clients) c.close();
  await stop?.();
  await ctx?.close();
});

describe("per-viewer payloads", () => {
  test("a new status: each viewer gets what the REST API shows them", async () => {
    const [a, f, q] = await Promise.all([ws(author, "user"), ws(fan, "user"), ws(quiet, "user")]);
    const status = await api(author, "POST", "/api/v1/statuses", { status: "fresh one" });
    for (const [client, user] of [
      [a, author],
      [f, fan],
      [q, quiet],
    ] as const) {
      const e = await client.log.wait(is("update", status.id));
      const rest = await api(user, "GET", `/api/v1/statuses/${status.id}`);
      expect(comparable(parsed(e))).toEqual(comparable(rest));
    }
    // The author's own: application and pinned, which no one else gets.
    const own = parsed(await a.log.wait(is("update", status.id)));
    expect(own.application).toMatchObject({ name: expect.any(String) });
    expect(own.pinned).toBe(false);
    const other = parsed(await q.log.wait(is("update", status.id)));
    expect(other.application).toBeNull();
    expect("pinned" in other).toBe(false);
  });

  test("an edit carries each viewer's own flags; others see them false", async () => {
    const [a, f, q] = await Promise.all([ws(author, "user"), ws(fan, "user"), ws(quiet, "user")]);
    const status = await api(author, "POST", "/api/v1/statuses", { status: "before edit" });
    await f.log.wait(is("update", status.id));
    await api(fan, "POST", `/api/v1/statuses/${status.id}/favourite`);
    await api(fan, "POST", `/api/v1/statuses/${status.id}/bookmark`);
    await api(author, "POST", `/api/v1/statuses/${status.id}/pin`);
    await api(author, "PUT", `/api/v1/statuses/${status.id}`, { status: "after edit" });
    const mine = parsed(await f.log.wait(is("status.update", status.id)));
    expect(mine).toMatchObject({ favourited: true, bookmarked: true, reblogged: false });
    expect(mine.content).toContain("after edit");
    const theirs = parsed(await q.log.wait(is("status.update", status.id)));
    expect(theirs).toMatchObject({ favourited: false, bookmarked: false });
    const authors = parsed(await a.log.wait(is("status.update", status.id)));
    expect(authors).toMatchObject({ pinned: true, favourited: false });
    for (const [payload, user] of [
      [mine, fan],
      [theirs, quiet],
      [authors, author],
    ] as const) {
      const rest = await api(user, "GET", `/api/v1/statuses/${status.id}`);
      expect(comparable(payload)).toEqual(comparable(rest));
    }
  });

  test("a boost carries the viewer's flags on the boosted status", async () => {
    // Neither follows the author (a home feed already holding the original gets no boost of
    // it, by fan-out's rule); outsider follows the booster and favourited the original.
    const booster = await createUserWithToken(ctx);
    const outsider = await createUserWithToken(ctx);
    await api(outsider, "POST", `/api/v1/accounts/${booster.account.id}/follow`);
    const o = await ws(outsider, "user");
    const b = await ws(booster, "user");
    const status = await api(author, "POST", "/api/v1/statuses", { status: "boost me" });
    await api(outsider, "POST", `/api/v1/statuses/${status.id}/favourite`);
    const boost = await api(booster, "POST", `/api/v1/statuses/${status.id}/reblog`);
    const theirs = parsed(await o.log.wait(is("update", boost.id)));
    expect(theirs).toMatchObject({ favourited: false, reblogged: false });
    expect(theirs.reblog).toMatchObject({ id: status.id, favourited: true, reblogged: false });
    const own = parsed(await b.log.wait(is("update", boost.id)));
    expect(own.reblog).toMatchObject({ id: status.id, reblogged: true, favourited: false });
    for (const [payload, user] of [
      [theirs, outsider],
      [own, booster],
    ] as const) {
      const rest = await api(user, "GET", `/api/v1/statuses/${boost.id}`);
      expect(comparable(payload)).toEqual(comparable(rest));
    }
  });
});

describe("no event reaches a viewer who may not see it", () => {
  test("muted and blocked followers hear neither posts nor edits", async () => {
    const [m, b, q] = await Promise.all([
      ws(muter, "user"),
      ws(blocked, "user"),
      ws(quiet, "user"),
    ]);
    const [mp, bp] = await Promise.all([ws(muter, "public"), ws(blocked, "public")]);
    const status = await api(author, "POST", "/api/v1/statuses", { status: "not for you" });
    await q.log.wait(is("update", status.id));
    await api(author, "PUT", `/api/v1/statuses/${status.id}`, { status: "still not" });
    await q.log.wait(is("status.update", status.id));
    await settle();
    for (const c of [m, b, mp, bp])
      expect(c.log.has((e) => e.payload.includes(status.id))).toBe(false);
  });

  test("an edit skips someone who unfollowed since a private post", async () => {
    const extra = await createUserWithToken(ctx);
    await api(extra, "POST", `/api/v1/accounts/${author.account.id}/follow`);
    const x = await ws(extra, "user");
    const status = await api(author, "POST", "/api/v1/statuses", {
      status: "followers only",
      visibility: "private",
    });
    await x.log.wait(is("update", status.id));
    await api(extra, "POST", `/api/v1/accounts/${author.account.id}/unfollow`);
    const q = await ws(quiet, "user");
    await api(author, "PUT", `/api/v1/statuses/${status.id}`, { status: "followers only, edited" });
    await q.log.wait(is("status.update", status.id));
    await settle();
    expect(x.log.has(is("status.update", status.id))).toBe(false);
  });
});

describe("list streams", () => {
  let listId: string;

  beforeAll(async () => {
    const list = await api(fan, "POST", "/api/v1/lists", { title: "authors" });
    listId = list.id;
    await api(fan, "POST", `/api/v1/lists/${listId}/accounts`, {
      account_ids: [author.account.id],
    });
  });

  test("the owner hears updates and deletes of members on the list stream", async () => {
    const c = await ws(fan);
    c.send({ type: "subscribe", stream: "list", list: listId });
    const sse = await openSse(url, `/api/v1/streaming/list?list=${listId}`, fan.token);
    expect(sse.response.status).toBe(200);
    await settle();
    const status = await api(author, "POST", "/api/v1/statuses", { status: "for the list" });
    const e = await c.log.wait(is("update", status.id));
    expect(e.stream).toEqual(["list", listId]);
    await sse.log.wait(is("update", status.id));
    await api(author, "DELETE", `/api/v1/statuses/${status.id}`);
    const d = await c.log.wait((x) => x.event === "delete" && x.payload === status.id);
    expect(d.stream).toEqual(["list", listId]);
    sse.close();
  });

  test("nobody else may stream it; bad ids are refused", async () => {
    const c = await ws(quiet);
    c.send({ type: "subscribe", stream: "list", list: listId });
    c.send({ type: "subscribe", stream: "list", list: "99999999999999999999999" });
    c.send({ type: "subscribe", stream: "list" });
    await settle();
    // Requests are handled concurrently, so their answers come in any order.
    expect(c.errors).toHaveLength(3);
    expect(c.errors).toEqual(
      expect.arrayContaining([
        { error: "Not authorized to stream this list", status: 404 },
        { error: "Missing list name parameter", status: 400 },
      ]),
    );
    expect(c.errors.filter((e) => (e as { status: number }).status === 404)).toHaveLength(2);
    const sse = await openSse(url, `/api/v1/streaming/list?list=${listId}`, quiet.token);
    expect(sse.response.status).toBe(404);
    const q = await ws(quiet, "user");
    const status = await api(author, "POST", "/api/v1/statuses", { status: "list only" });
    await q.log.wait(is("update", status.id));
    await settle();
    expect(c.log.has((e) => e.stream[0] === "list")).toBe(false);
  });
});

describe("filters", () => {
  test("hide drops, warn marks, per viewer and context; filters_changed is sent", async () => {
    const f = await ws(fan, "user");
    const fp = await ws(fan, "public:local");
    const q = await ws(quiet, "user");
    await api(fan, "POST", "/api/v2/filters", {
      title: "no sprouts",
      context: ["home", "public"],
      filter_action: "hide",
      keywords_attributes: [{ keyword: "sprouts" }],
    });
    await f.log.wait((e) => e.event === "filters_changed");
    await api(fan, "POST", "/api/v2/filters", {
      title: "careful turnips",
      context: ["home"],
      filter_action: "warn",
      keywords_attributes: [{ keyword: "turnips" }],
    });
    const hidden = await api(author, "POST", "/api/v1/statuses", { status: "brussels sprouts" });
    const warned = await api(author, "POST", "/api/v1/statuses", { status: "turnips today" });
    const plain = await api(author, "POST", "/api/v1/statuses", { status: "carrots" });
    await q.log.wait(is("update", hidden.id));
    expect(parsed(await q.log.wait(is("update", warned.id))).filtered).toEqual([]);
    await f.log.wait(is("update", plain.id));
    const w = parsed(await f.log.wait(is("update", warned.id)));
    expect(w.filtered).toEqual([
      expect.objectContaining({
        filter: expect.objectContaining({ title: "careful turnips", filter_action: "warn" }),
        keyword_matches: ["turnips"],
      }),
    ]);
    // Public context: the hide filter applies there too; the warn one (home only) doesn't.
    const pw = parsed(await fp.log.wait(is("update", warned.id)));
    expect(pw.filtered ?? []).toEqual([]);
    await settle();
    expect(f.log.has(is("update", hidden.id))).toBe(false);
    expect(fp.log.has(is("update", hidden.id))).toBe(false);
  });
});

describe("filters on notifications", () => {
  test("context notifications: warn marks the status, hide drops the notification", async () => {
    const n = await ws(quiet, "user:notification");
    for (const [keyword, action] of [
      ["parsnips", "warn"],
      ["kohlrabi", "hide"],
    ]) {
      await api(quiet, "POST", "/api/v2/filters", {
        title: `${action} ${keyword}`,
        context: ["notifications"],
        filter_action: action,
        keywords_attributes: [{ keyword }],
      });
    }
    const hidden = await api(author, "POST", "/api/v1/statuses", { status: "@vquiet kohlrabi" });
    const warned = await api(author, "POST", "/api/v1/statuses", { status: "@vquiet parsnips" });
    const mention = (id: string) => (e: StreamEventMessage) =>
      e.event === "notification" && parsed(e).status?.id === id;
    const w = parsed(await n.log.wait(mention(warned.id)));
    expect(w.status.filtered).toEqual([
      expect.objectContaining({ filter: expect.objectContaining({ title: "warn parsnips" }) }),
    ]);
    await settle();
    expect(n.log.has(mention(hidden.id))).toBe(false);
  });
});

describe("revoked tokens", () => {
  async function appToken(user: User) {
    const app = await createTestApplication(ctx.services.db);
    const { access_token } = await issueAccessToken(ctx.services.db, {
      applicationId: app.id,
      accountId: user.account.id,
      scopes: ["read"],
    });
    return { app, token: access_token };
  }
  const closed = (c: RawClient) =>
    new Promise<number>((resolve) => {
      if (c.ws.readyState === c.ws.CLOSED) resolve(-1);
      c.ws.once("close", (code) => resolve(code));
    });

  test("POST /oauth/revoke closes the token's open connections at once", async () => {
    const { app, token } = await appToken(quiet);
    const c = await ws(token, "user");
    const other = await ws(quiet, "user");
    const sse = await openSse(url, "/api/v1/streaming/user", token);
    const res = await fetch(new URL("/oauth/revoke", url), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ client_id: app.client_id, client_secret: app.client_secret, token }),
    });
    expect(res.status).toBe(200);
    expect(await closed(c)).toBe(1008);
    // The same account's other token keeps streaming.
    const status = await api(author, "POST", "/api/v1/statuses", { status: "after revoke" });
    await other.log.wait(is("update", status.id));
    await settle();
    expect(sse.log.has(is("update", status.id))).toBe(false);
    sse.close();
  });

  test("a suspended or disabled account's connections close at the next token check", async () => {
    const victim = await createUserWithToken(ctx);
    const c = await ws(victim, "user");
    await ctx.services.db
      .updateTable("users")
      .set({ disabled: true })
      .where("account_id", "=", victim.account.id)
      .execute();
    await getHub(ctx.services).checkTokens();
    expect(await closed(c)).toBe(1008);
  });
});
