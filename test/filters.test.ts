// Custom filters: the v2 API (JSON and forms, ownership, validation, scopes) and the
// `filters.changed` event. v1: filters-v1.test.ts; filters applied: filters-applied.test.ts.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { subscribers } from "../workers/subscribers/index.ts";
import { call } from "./helpers/api.ts";
import { createUserWithToken } from "./helpers/auth.ts";
import { localPosts } from "./helpers/local-posts.ts";
import { expectResponseSchema, expectSchema } from "./helpers/openapi.ts";
import { createTestContext, type TestContext } from "./helpers/services.ts";

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked against the schema
type Json = any;

let ctx: TestContext;
const { post } = localPosts(() => ctx);
/** `filters.changed` payloads enqueued for subscribers (no workers run in this file). */
const filterEvents: unknown[] = [];

beforeAll(async () => {
  // A listening subscriber, so emitEvent enqueues `filters.changed` whether or not the
  // streaming subscriber handles it yet; the queue is watched rather than worked.
  subscribers.filtersTest = { "filters.changed": async () => {} };
  ctx = await createTestContext();
  const queue = ctx.services.queues.jobs;
  const record = (messages: readonly unknown[]) => {
    for (const m of messages as { name?: string; subscriber?: string; payload?: unknown }[]) {
      if (m.name === "filters.changed" && m.subscriber === "filtersTest")
        filterEvents.push(m.payload);
    }
  };
  const enqueue = queue.enqueue.bind(queue);
  queue.enqueue = async (message, options) => {
    record([message]);
    return enqueue(message, options);
  };
  if (queue.enqueueMany) {
    const many = queue.enqueueMany.bind(queue);
    queue.enqueueMany = async (messages, options) => {
      record(messages);
      return many(messages, options);
    };
  }
});
afterAll(async () => {
  delete subscribers.filtersTest;
  await ctx?.close();
});

describe("v2 filters API", () => {
  it("creates, reads, updates and deletes a filter with keywords (JSON)", async () => {
    const { token } = await createUserWithToken(ctx);
    const created = await call(ctx, "POST", "/api/v2/filters", token, {
      title: "Spoilers",
      context: ["home", "public"],
      filter_action: "warn",
      expires_in: 3600,
      keywords_attributes: [{ keyword: "dune", whole_word: true }, { keyword: "arrakis" }],
    });
    expect(created.status).toBe(200);
    expectResponseSchema("POST", "/api/v2/filters", 200, created.body);
    expectSchema("Filter", created.body);
    expect(created.body).toMatchObject({
      title: "Spoilers",
      context: ["home", "public"],
      filter_action: "warn",
      statuses: [],
    });
    const expires = Date.parse(created.body.expires_at);
    expect(expires - Date.now()).toBeGreaterThan(3500_000);
    expect(expires - Date.now()).toBeLessThanOrEqual(3600_000);
    expect(created.body.keywords.map((k: Json) => [k.keyword, k.whole_word])).toEqual([
      ["dune", true],
      ["arrakis", true],
    ]);
    const id = created.body.id;

    const list = await call(ctx, "GET", "/api/v2/filters", token);
    expectResponseSchema("GET", "/api/v2/filters", 200, list.body);
    expect(list.body.map((f: Json) => f.id)).toEqual([id]);

    const shown = await call(ctx, "GET", `/api/v2/filters/${id}`, token);
    expectSchema("Filter", shown.body);
    expect(shown.body).toEqual(created.body);

    const [dune, arrakis] = created.body.keywords;
    const updated = await call(ctx, "PUT", `/api/v2/filters/${id}`, token, {
      title: "Books",
      context: ["thread"],
      filter_action: "hide",
      expires_in: "",
      keywords_attributes: [
        { id: dune.id, keyword: "Dune", whole_word: false },
        { id: arrakis.id, _destroy: true },
        { keyword: "melange" },
      ],
    });
    expect(updated.status).toBe(200);
    expectSchema("Filter", updated.body);
    expect(updated.body).toMatchObject({
      title: "Books",
      context: ["thread"],
      filter_action: "hide",
      expires_at: null,
    });
    expect(
      updated.body.keywords.map((k: Json) => [k.id === dune.id, k.keyword, k.whole_word]),
    ).toEqual([
      [true, "Dune", false],
      [false, "melange", true],
    ]);

    // A partial update changes only what it names.
    const titled = await call(ctx, "PUT", `/api/v2/filters/${id}`, token, { title: "Novels" });
    expect(titled.body).toMatchObject({
      title: "Novels",
      context: ["thread"],
      filter_action: "hide",
    });
    expect(titled.body.keywords).toHaveLength(2);

    const deleted = await call(ctx, "DELETE", `/api/v2/filters/${id}`, token);
    expect(deleted).toEqual({ status: 200, body: {} });
    expect((await call(ctx, "GET", `/api/v2/filters/${id}`, token)).status).toBe(404);
    expect((await call(ctx, "GET", "/api/v2/filters", token)).body).toEqual([]);
  });

  it("reads form bodies with indexed and listed nested keywords", async () => {
    const { token } = await createUserWithToken(ctx);
    const form = new URLSearchParams();
    form.append("title", "Form filter");
    form.append("context[]", "home");
    form.append("context[]", "notifications");
    form.append("filter_action", "blur");
    form.append("keywords_attributes[0][keyword]", "alpha");
    form.append("keywords_attributes[0][whole_word]", "false");
    form.append("keywords_attributes[1][keyword]", "beta");
    form.append("keywords_attributes[1][whole_word]", "1");
    const created = await call(ctx, "POST", "/api/v2/filters", token, form);
    expect(created.status).toBe(200);
    expectSchema("Filter", created.body);
    expect(created.body).toMatchObject({
      context: ["home", "notifications"],
      filter_action: "blur",
    });
    expect(created.body.keywords.map((k: Json) => [k.keyword, k.whole_word])).toEqual([
      ["alpha", false],
      ["beta", true],
    ]);

    const [alpha] = created.body.keywords;
    const update = new URLSearchParams();
    update.append("keywords_attributes[0][id]", alpha.id);
    update.append("keywords_attributes[0][_destroy]", "true");
    update.append("keywords_attributes[1][keyword]", "gamma");
    const updated = await call(ctx, "PUT", `/api/v2/filters/${created.body.id}`, token, update);
    expect(updated.status).toBe(200);
    expect(updated.body.keywords.map((k: Json) => k.keyword)).toEqual(["beta", "gamma"]);

    // The list form: Rack starts a new element each time a key repeats.
    const listed = new URLSearchParams();
    listed.append("title", "Listed");
    listed.append("context[]", "public");
    listed.append("keywords_attributes[][keyword]", "one");
    listed.append("keywords_attributes[][whole_word]", "false");
    listed.append("keywords_attributes[][keyword]", "two");
    const second = await call(ctx, "POST", "/api/v2/filters", token, listed);
    expect(second.status).toBe(200);
    expect(second.body.keywords.map((k: Json) => [k.keyword, k.whole_word])).toEqual([
      ["one", false],
      ["two", true],
    ]);
  });

  it("rejects bad input with 422 and never 500", async () => {
    const { token } = await createUserWithToken(ctx);
    const bad = [
      { context: ["home"] },
      { title: "x", context: [] },
      { title: "x", context: ["everywhere"] },
      { title: "x", context: ["home"], filter_action: "explode" },
      { title: "x", context: ["home"], expires_in: "soon" },
      { title: "x", context: ["home"], keywords_attributes: [{ keyword: "  " }] },
      { title: "x", context: ["home"], keywords_attributes: "nope" },
      { title: "x".repeat(257), context: ["home"] },
    ];
    for (const body of bad) {
      const res = await call(ctx, "POST", "/api/v2/filters", token, body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(typeof res.body.error).toBe("string");
    }
    expect((await call(ctx, "GET", "/api/v2/filters", token)).body).toEqual([]);
  });

  it("manages keywords and statuses through their own endpoints", async () => {
    const { account, token } = await createUserWithToken(ctx);
    const status = await post(account, "a status to hide");
    const filter = (
      await call(ctx, "POST", "/api/v2/filters", token, { title: "Parts", context: ["home"] })
    ).body;

    const kw = await call(ctx, "POST", `/api/v2/filters/${filter.id}/keywords`, token, {
      keyword: "alpha",
      whole_word: false,
    });
    expectResponseSchema("POST", "/api/v2/filters/{filter_id}/keywords", 200, kw.body);
    expectSchema("FilterKeyword", kw.body);
    expect(kw.body).toMatchObject({ keyword: "alpha", whole_word: false });
    const kwList = await call(ctx, "GET", `/api/v2/filters/${filter.id}/keywords`, token);
    expectResponseSchema("GET", "/api/v2/filters/{filter_id}/keywords", 200, kwList.body);
    expect(kwList.body).toEqual([kw.body]);
    const kwShown = await call(ctx, "GET", `/api/v2/filters/keywords/${kw.body.id}`, token);
    expect(kwShown.body).toEqual(kw.body);
    const kwChanged = await call(ctx, "PUT", `/api/v2/filters/keywords/${kw.body.id}`, token, {
      keyword: "omega",
    });
    expectSchema("FilterKeyword", kwChanged.body);
    expect(kwChanged.body).toEqual({ id: kw.body.id, keyword: "omega", whole_word: false });

    const fs = await call(ctx, "POST", `/api/v2/filters/${filter.id}/statuses`, token, {
      status_id: status.id,
    });
    expectResponseSchema("POST", "/api/v2/filters/{filter_id}/statuses", 200, fs.body);
    expectSchema("FilterStatus", fs.body);
    expect(fs.body.status_id).toBe(status.id);
    const again = await call(ctx, "POST", `/api/v2/filters/${filter.id}/statuses`, token, {
      status_id: status.id,
    });
    expect(again.status).toBe(422);
    expect(
      (await call(ctx, "POST", `/api/v2/filters/${filter.id}/statuses`, token, { status_id: "1" }))
        .status,
    ).toBe(404);
    const fsList = await call(ctx, "GET", `/api/v2/filters/${filter.id}/statuses`, token);
    expectResponseSchema("GET", "/api/v2/filters/{filter_id}/statuses", 200, fsList.body);
    expect(fsList.body).toEqual([fs.body]);
    expect((await call(ctx, "GET", `/api/v2/filters/statuses/${fs.body.id}`, token)).body).toEqual(
      fs.body,
    );

    const whole = (await call(ctx, "GET", `/api/v2/filters/${filter.id}`, token)).body;
    expectSchema("Filter", whole);
    expect(whole.keywords).toEqual([kwChanged.body]);
    expect(whole.statuses).toEqual([fs.body]);

    expect(
      (await call(ctx, "DELETE", `/api/v2/filters/keywords/${kw.body.id}`, token)).body,
    ).toEqual({});
    expect(
      (await call(ctx, "DELETE", `/api/v2/filters/statuses/${fs.body.id}`, token)).body,
    ).toEqual({});
    const emptied = (await call(ctx, "GET", `/api/v2/filters/${filter.id}`, token)).body;
    expect(emptied.keywords).toEqual([]);
    expect(emptied.statuses).toEqual([]);
  });

  it("answers 404 for someone else's filter, keyword and status entry", async () => {
    const owner = await createUserWithToken(ctx);
    const other = await createUserWithToken(ctx);
    const status = await post(owner.account, "mine");
    const filter = (
      await call(ctx, "POST", "/api/v2/filters", owner.token, {
        title: "Private",
        context: ["home"],
        keywords_attributes: [{ keyword: "secret" }],
      })
    ).body;
    const fs = (
      await call(ctx, "POST", `/api/v2/filters/${filter.id}/statuses`, owner.token, {
        status_id: status.id,
      })
    ).body;
    const keywordId = filter.keywords[0].id;
    const attempts: [string, string, unknown?][] = [
      ["GET", `/api/v2/filters/${filter.id}`],
      ["PUT", `/api/v2/filters/${filter.id}`, { title: "mine now" }],
      ["DELETE", `/api/v2/filters/${filter.id}`],
      ["GET", `/api/v2/filters/${filter.id}/keywords`],
      ["POST", `/api/v2/filters/${filter.id}/keywords`, { keyword: "x" }],
      ["GET", `/api/v2/filters/keywords/${keywordId}`],
      ["PUT", `/api/v2/filters/keywords/${keywordId}`, { keyword: "x" }],
      ["DELETE", `/api/v2/filters/keywords/${keywordId}`],
      ["GET", `/api/v2/filters/${filter.id}/statuses`],
      ["POST", `/api/v2/filters/${filter.id}/statuses`, { status_id: status.id }],
      ["GET", `/api/v2/filters/statuses/${fs.id}`],
      ["DELETE", `/api/v2/filters/statuses/${fs.id}`],
      ["GET", `/api/v1/filters/${keywordId}`],
      ["PUT", `/api/v1/filters/${keywordId}`, { phrase: "x" }],
      ["DELETE", `/api/v1/filters/${keywordId}`],
      ["GET", "/api/v2/filters/not-a-number"],
    ];
    for (const [method, path, body] of attempts) {
      const res = await call(ctx, method, path, other.token, body);
      expect(res.status, `${method} ${path}`).toBe(404);
    }
    // Nothing changed for the owner, and the other account's own list is empty.
    expect((await call(ctx, "GET", `/api/v2/filters/${filter.id}`, owner.token)).body).toEqual({
      ...filter,
      statuses: [fs],
    });
    expect((await call(ctx, "GET", "/api/v2/filters", other.token)).body).toEqual([]);
    expect((await call(ctx, "GET", "/api/v1/filters", other.token)).body).toEqual([]);
  });

  it("emits filters.changed for every kind of change", async () => {
    const { account, token } = await createUserWithToken(ctx);
    const status = await post(account, "some status");
    const count = () => filterEvents.filter((p) => (p as Json).accountId === account.id).length;
    const steps: [string, (ids: Json) => string, unknown?][] = [
      ["POST", () => "/api/v2/filters", { title: "t", context: ["home"] }],
      ["PUT", (i) => `/api/v2/filters/${i.filter}`, { title: "u" }],
      ["POST", (i) => `/api/v2/filters/${i.filter}/keywords`, { keyword: "k" }],
      ["PUT", (i) => `/api/v2/filters/keywords/${i.keyword}`, { keyword: "l" }],
      ["DELETE", (i) => `/api/v2/filters/keywords/${i.keyword}`],
      ["POST", (i) => `/api/v2/filters/${i.filter}/statuses`, { status_id: status.id }],
      ["DELETE", (i) => `/api/v2/filters/statuses/${i.status}`],
      ["DELETE", (i) => `/api/v2/filters/${i.filter}`],
      ["POST", () => "/api/v1/filters", { phrase: "p", context: ["home"] }],
      ["PUT", (i) => `/api/v1/filters/${i.v1}`, { phrase: "q" }],
      ["DELETE", (i) => `/api/v1/filters/${i.v1}`],
    ];
    const made: Json = {};
    for (const [method, path, body] of steps) {
      const before = count();
      const res = await call(ctx, method, path(made), token, body);
      expect(res.status, `${method} ${path(made)}`).toBe(200);
      if (method === "POST" && path(made) === "/api/v2/filters") made.filter = res.body.id;
      if (path(made).endsWith("/keywords")) made.keyword = res.body.id;
      if (path(made).endsWith("/statuses")) made.status = res.body.id;
      if (method === "POST" && path(made) === "/api/v1/filters") made.v1 = res.body.id;
      expect(count(), `${method} ${path(made)}`).toBe(before + 1);
    }
    // Reads emit nothing, nor does a refused write.
    const before = count();
    await call(ctx, "GET", "/api/v2/filters", token);
    await call(ctx, "POST", "/api/v2/filters", token, { title: "", context: ["home"] });
    expect(count()).toBe(before);
  });

  it("needs the filters scopes", async () => {
    const { token } = await createUserWithToken(ctx, {
      scopes: ["read:statuses", "write:statuses"],
    });
    expect((await call(ctx, "GET", "/api/v2/filters", token)).status).toBe(403);
    expect((await call(ctx, "GET", "/api/v1/filters", token)).status).toBe(403);
    const reader = await createUserWithToken(ctx, { scopes: ["read:filters"] });
    expect((await call(ctx, "GET", "/api/v2/filters", reader.token)).status).toBe(200);
    expect(
      (await call(ctx, "POST", "/api/v2/filters", reader.token, { title: "x", context: ["home"] }))
        .status,
    ).toBe(403);
  });
});
