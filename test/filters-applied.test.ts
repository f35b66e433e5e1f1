// Filters applied where statuses are shown: `filtered` on each Status, `hide` dropping
// statuses from timelines, threads, account pages and notifications, status filters and
// boosts, whole-word matching and expiry, all through the HTTP API.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newId } from "../src/infra/ids.ts";
import { call } from "./helpers/api.ts";
import { createUserWithToken } from "./helpers/auth.ts";
import { localPosts } from "./helpers/local-posts.ts";
import { expectResponseSchema, expectSchema } from "./helpers/openapi.ts";
import { createTestContext, type TestContext } from "./helpers/services.ts";

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked against the schema
type Json = any;

let ctx: TestContext;
const { next: nextMoment, post } = localPosts(() => ctx);

beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => {
  await ctx?.close();
});

async function toHome(accountId: string, statusIds: string[]) {
  await ctx.services.db
    .insertInto("home_feed")
    .values(
      statusIds.map((status_id) => ({ account_id: accountId, status_id, reblog_of_id: null })),
    )
    .execute();
}

const ids = (statuses: Json[]) => statuses.map((s: Json) => s.id);

describe("filters applied to statuses", () => {
  it("warns on home and public, hides on home only, per context", async () => {
    const author = await createUserWithToken(ctx);
    const viewer = await createUserWithToken(ctx);
    const plain = await post(author.account, "nothing to see");
    const warned = await post(author.account, "Talking about the Cats again");
    const hidden = await post(author.account, "my lunch was a sandwich");
    await toHome(viewer.account.id, [plain.id, warned.id, hidden.id]);

    const warn = (
      await call(ctx, "POST", "/api/v2/filters", viewer.token, {
        title: "Cats",
        context: ["home", "public"],
        filter_action: "warn",
        keywords_attributes: [{ keyword: "cats", whole_word: true }],
      })
    ).body;
    await call(ctx, "POST", "/api/v2/filters", viewer.token, {
      title: "Food",
      context: ["home"],
      filter_action: "hide",
      keywords_attributes: [{ keyword: "sandwich" }],
    });

    const home = (await call(ctx, "GET", "/api/v1/timelines/home", viewer.token)).body;
    for (const s of home) expectSchema("Status", s);
    expect(ids(home)).toEqual([warned.id, plain.id]);
    const warnedEntity = home.find((s: Json) => s.id === warned.id);
    expect(warnedEntity.filtered).toHaveLength(1);
    expectSchema("FilterResult", warnedEntity.filtered[0]);
    expect(warnedEntity.filtered[0]).toEqual({
      filter: {
        id: warn.id,
        title: "Cats",
        context: ["home", "public"],
        expires_at: null,
        filter_action: "warn",
      },
      keyword_matches: ["cats"],
      status_matches: null,
    });
    expect(home.find((s: Json) => s.id === plain.id).filtered).toEqual([]);

    // Public: the hide filter is for home only, so the lunch post shows, unfiltered.
    const pub = (
      await call(ctx, "GET", "/api/v1/timelines/public?local=true&limit=40", viewer.token)
    ).body;
    const pubById = new Map(pub.map((s: Json) => [s.id, s]));
    expect(pubById.has(hidden.id)).toBe(true);
    expect((pubById.get(hidden.id) as Json).filtered).toEqual([]);
    expect((pubById.get(warned.id) as Json).filtered[0].filter.id).toBe(warn.id);

    // Anonymous readers and the author see no filter results.
    const anon = await ctx.app.request("/api/v1/timelines/public?local=true&limit=40");
    const anonBody = (await anon.json()) as Json[];
    expect(anonBody.find((s: Json) => s.id === warned.id).filtered).toBeUndefined();
    const own = (await call(ctx, "GET", `/api/v1/statuses/${warned.id}`, author.token)).body;
    expect(own.filtered).toEqual([]);

    // A single status carries every matching filter whatever its context (clients decide).
    const single = (await call(ctx, "GET", `/api/v1/statuses/${hidden.id}`, viewer.token)).body;
    expectSchema("Status", single);
    expect(single.filtered.map((r: Json) => r.filter.filter_action)).toEqual(["hide"]);
  });

  it("hides in threads and on account pages, and matches status filters and boosts", async () => {
    const author = await createUserWithToken(ctx);
    const viewer = await createUserWithToken(ctx);
    const root = await post(author.account, "root of the thread");
    const reply1 = await post(author.account, "a reply about spiders", {
      inReplyTo: { id: root.id, account_id: author.account.id },
    });
    const reply2 = await post(author.account, "a calm reply", {
      inReplyTo: { id: root.id, account_id: author.account.id },
    });
    await call(ctx, "POST", "/api/v2/filters", viewer.token, {
      title: "Spiders",
      context: ["thread", "account"],
      filter_action: "hide",
      keywords_attributes: [{ keyword: "spiders" }],
    });
    const context = await call(ctx, "GET", `/api/v1/statuses/${root.id}/context`, viewer.token);
    expectResponseSchema("GET", "/api/v1/statuses/{id}/context", 200, context.body);
    expect(ids(context.body.descendants)).toEqual([reply2.id]);
    // Without the filter (another viewer) both replies are there.
    const other = await createUserWithToken(ctx);
    const full = (await call(ctx, "GET", `/api/v1/statuses/${root.id}/context`, other.token)).body;
    expect(ids(full.descendants)).toEqual([reply1.id, reply2.id]);

    const page = (
      await call(ctx, "GET", `/api/v1/accounts/${author.account.id}/statuses`, viewer.token)
    ).body;
    expect(ids(page)).toEqual([reply2.id, root.id]);

    // A status filter: the filtered status, and a boost of it, report status_matches.
    const statusFilter = (
      await call(ctx, "POST", "/api/v2/filters", viewer.token, {
        title: "That one",
        context: ["home"],
      })
    ).body;
    await call(ctx, "POST", `/api/v2/filters/${statusFilter.id}/statuses`, viewer.token, {
      status_id: root.id,
    });
    const at = nextMoment();
    const boostId = newId(at);
    await ctx.services.db
      .insertInto("statuses")
      .values({
        id: boostId,
        uri: `https://example.test/statuses/${boostId}`,
        account_id: other.account.id,
        local: true,
        visibility: "public",
        reblog_of_id: root.id,
        content: "",
        created_at: new Date(at),
      })
      .execute();
    await toHome(viewer.account.id, [root.id, boostId]);
    const home = (await call(ctx, "GET", "/api/v1/timelines/home", viewer.token)).body;
    for (const s of home) expectSchema("Status", s);
    const boost = home.find((s: Json) => s.id === boostId);
    expect(boost.filtered).toEqual([
      {
        filter: expect.objectContaining({ id: statusFilter.id, filter_action: "warn" }),
        keyword_matches: null,
        status_matches: [root.id],
      },
    ]);
    expect(boost.reblog.filtered).toEqual(boost.filtered);
    expect(home.find((s: Json) => s.id === root.id).filtered[0].status_matches).toEqual([root.id]);
  });

  it("drops notifications a hide filter matches and marks warned ones", async () => {
    const author = await createUserWithToken(ctx);
    const viewer = await createUserWithToken(ctx);
    const hidden = await post(author.account, "buy crypto now");
    const warned = await post(author.account, "weekly crypto-free newsletter", {
      spoiler: "Newsletter",
    });
    const plain = await post(author.account, "hello there");
    for (const s of [hidden, warned, plain]) {
      await ctx.services.db
        .insertInto("notifications")
        .values({
          id: newId(),
          account_id: viewer.account.id,
          from_account_id: author.account.id,
          type: "mention",
          status_id: s.id,
          created_at: new Date(),
        })
        .execute();
    }
    await call(ctx, "POST", "/api/v2/filters", viewer.token, {
      title: "Spam",
      context: ["notifications"],
      filter_action: "hide",
      keywords_attributes: [{ keyword: "buy crypto" }],
    });
    await call(ctx, "POST", "/api/v2/filters", viewer.token, {
      title: "Letters",
      context: ["notifications"],
      filter_action: "warn",
      keywords_attributes: [{ keyword: "newsletter" }],
    });
    const res = await call(ctx, "GET", "/api/v1/notifications", viewer.token);
    expectResponseSchema("GET", "/api/v1/notifications", 200, res.body);
    expect(res.body.map((n: Json) => n.status.id).sort()).toEqual([warned.id, plain.id].sort());
    const warnedNote = res.body.find((n: Json) => n.status.id === warned.id);
    expect(warnedNote.status.filtered[0].keyword_matches).toEqual(["newsletter"]);

    const grouped = await call(ctx, "GET", "/api/v2/notifications", viewer.token);
    expect(grouped.status).toBe(200);
    expect(grouped.body.statuses.map((s: Json) => s.id).sort()).toEqual(
      [warned.id, plain.id].sort(),
    );
  });

  it("matches whole words, case and content warnings, and ignores expired filters", async () => {
    const author = await createUserWithToken(ctx);
    const viewer = await createUserWithToken(ctx);
    const texts = {
      exact: "I like CAT videos",
      inside: "concatenate the strings",
      accented: "café culture",
      cw: "harmless body",
      html: "fish&amp;chips",
    };
    const rows: Record<string, string> = {};
    for (const [key, content] of Object.entries(texts)) {
      rows[key] = (
        await post(author.account, content, key === "cw" ? { spoiler: "Cat pics" } : {})
      ).id;
    }
    await toHome(viewer.account.id, Object.values(rows));
    const whole = (
      await call(ctx, "POST", "/api/v2/filters", viewer.token, {
        title: "whole",
        context: ["home"],
        keywords_attributes: [
          { keyword: "cat", whole_word: true },
          { keyword: "caf", whole_word: true },
          { keyword: "fish&chips", whole_word: true },
        ],
      })
    ).body;
    const partial = (
      await call(ctx, "POST", "/api/v2/filters", viewer.token, {
        title: "partial",
        context: ["home"],
        keywords_attributes: [{ keyword: "CAT", whole_word: false }],
      })
    ).body;
    const expired = (
      await call(ctx, "POST", "/api/v2/filters", viewer.token, {
        title: "gone",
        context: ["home"],
        filter_action: "hide",
        keywords_attributes: [{ keyword: "videos" }],
      })
    ).body;
    await ctx.services.db
      .updateTable("custom_filters")
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where("id", "=", expired.id)
      .execute();

    const home = (await call(ctx, "GET", "/api/v1/timelines/home?limit=40", viewer.token)).body;
    const filtersOf = (key: string) =>
      home
        .find((s: Json) => s.id === rows[key])
        .filtered.map((r: Json) => r.filter.id)
        .sort();
    expect(filtersOf("exact")).toEqual([whole.id, partial.id].sort());
    expect(filtersOf("inside")).toEqual([partial.id]);
    // "caf" is not a whole word of "café": é is a letter, not a boundary.
    expect(filtersOf("accented")).toEqual([]);
    expect(filtersOf("cw")).toEqual([whole.id, partial.id].sort());
    expect(filtersOf("html")).toEqual([whole.id]);
    // The expired hide filter neither hides the video post nor shows up anywhere.
    expect(ids(home)).toContain(rows.exact);
    expect(JSON.stringify(home)).not.toContain(`"title":"gone"`);
  });
});
