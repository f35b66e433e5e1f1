// The /api/v1/lists resource as apps drive it: masto for the common calls, raw requests
// for schema checks, form bodies and query strings (Subway Tooter sends account_ids[] on
// DELETE as query parameters), member paging with Link headers, other users' lists as 404.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { expectResponseSchema, expectSchema } from "./helpers/openapi.ts";
import {
  directUser,
  type Json,
  linkPath,
  raw,
  type Scenario,
  type SignedIn,
  startScenario,
} from "./helpers/scenario.ts";

let s: Scenario;
let owner: SignedIn;
let other: SignedIn;
let followed: SignedIn[];
let stranger: SignedIn;

beforeAll(async () => {
  s = await startScenario();
  owner = await directUser(s, "listowner");
  other = await directUser(s, "otherowner");
  stranger = await directUser(s, "stranger");
  followed = [];
  for (let i = 0; i < 5; i++) followed.push(await directUser(s, `member${i}`));
  for (const f of followed) await owner.masto.v1.accounts.$select(f.id).follow();
}, 120_000);

afterAll(async () => {
  await s?.close();
});

/** A request with a urlencoded form body (and any query string in `path`). */
async function form(method: string, path: string, token: string, fields: [string, string][]) {
  const res = await fetch(`${s.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      "content-type": "application/x-www-form-urlencoded",
    },
    body: new URLSearchParams(fields).toString(),
  });
  return { status: res.status, body: (await res.json()) as Json };
}

async function memberIds(listId: string, token = owner.token): Promise<string[]> {
  const r = await raw(s, "GET", `/api/v1/lists/${listId}/accounts?limit=0`, token);
  expect(r.status).toBe(200);
  return r.body.map((a: Json) => a.id).sort();
}

describe("lists CRUD", () => {
  test("create, read, update, index and delete, schema-valid", async () => {
    const created = await raw(s, "POST", "/api/v1/lists", owner.token, { title: "Friends" });
    expect(created.status).toBe(200);
    expectResponseSchema("POST", "/api/v1/lists", 200, created.body);
    expect(created.body).toMatchObject({
      title: "Friends",
      replies_policy: "list",
      exclusive: false,
    });
    const id = created.body.id;

    // masto's CreateListParams lacks repliesPolicy, though it sends it (snake-cased) fine.
    const work = { title: "Work", repliesPolicy: "none", exclusive: true };
    const viaMasto = await owner.masto.v1.lists.create(work);
    expect(viaMasto).toMatchObject({ title: "Work", repliesPolicy: "none", exclusive: true });

    const got = await raw(s, "GET", `/api/v1/lists/${id}`, owner.token);
    expectResponseSchema("GET", "/api/v1/lists/{id}", 200, got.body);
    expect(got.body).toEqual(created.body);

    const put = await raw(s, "PUT", `/api/v1/lists/${id}`, owner.token, {
      replies_policy: "followed",
      exclusive: true,
    });
    expect(put.status).toBe(200);
    expectResponseSchema("PUT", "/api/v1/lists/{id}", 200, put.body);
    // Fields not sent keep their values.
    expect(put.body).toEqual({ id, title: "Friends", replies_policy: "followed", exclusive: true });

    // Form encoding with Rails booleans.
    const renamed = await form("PUT", `/api/v1/lists/${id}`, owner.token, [
      ["title", "Close friends"],
      ["exclusive", "0"],
    ]);
    expect(renamed.body).toEqual({
      id,
      title: "Close friends",
      replies_policy: "followed",
      exclusive: false,
    });

    const index = await raw(s, "GET", "/api/v1/lists", owner.token);
    expectResponseSchema("GET", "/api/v1/lists", 200, index.body);
    expect(index.body.map((l: Json) => l.title)).toEqual(["Close friends", "Work"]);
    // Nobody else sees them.
    expect((await raw(s, "GET", "/api/v1/lists", other.token)).body).toEqual([]);

    const deleted = await raw(s, "DELETE", `/api/v1/lists/${viaMasto.id}`, owner.token);
    expect(deleted.status).toBe(200);
    expect(deleted.body).toEqual({});
    expect((await raw(s, "GET", `/api/v1/lists/${viaMasto.id}`, owner.token)).status).toBe(404);
  });

  test("bad input is a 422, never a 500", async () => {
    for (const body of [
      {},
      { title: "" },
      { title: "   " },
      { title: "x", replies_policy: "all" },
    ]) {
      const r = await raw(s, "POST", "/api/v1/lists", owner.token, body);
      expect(r.status, JSON.stringify(body)).toBe(422);
      expect(typeof r.body.error).toBe("string");
    }
    const list = await owner.masto.v1.lists.create({ title: "Valid" });
    const r = await raw(s, "PUT", `/api/v1/lists/${list.id}`, owner.token, { title: "" });
    expect(r.status).toBe(422);
    expect((await raw(s, "GET", "/api/v1/lists/not-a-number", owner.token)).status).toBe(404);
    expect((await raw(s, "GET", "/api/v1/lists/99999999999999999999", owner.token)).status).toBe(
      404,
    );
  });

  test("scopes: read:lists reads, write:lists writes", async () => {
    const { createUserWithToken } = await import("./helpers/auth.ts");
    const reader = await createUserWithToken(s.ctx, { scopes: ["read:lists"] });
    expect((await raw(s, "GET", "/api/v1/lists", reader.token)).status).toBe(200);
    const refused = await raw(s, "POST", "/api/v1/lists", reader.token, { title: "No" });
    expect(refused.status).toBe(403);
    const writer = await createUserWithToken(s.ctx, { scopes: ["write:lists"] });
    expect((await raw(s, "POST", "/api/v1/lists", writer.token, { title: "Yes" })).status).toBe(
      200,
    );
    expect((await raw(s, "GET", "/api/v1/lists", writer.token)).status).toBe(403);
  });
});

describe("list members", () => {
  test("only followed accounts may join; unknown accounts are 404", async () => {
    const list = await owner.masto.v1.lists.create({ title: "Members" });
    const notFollowed = await raw(s, "POST", `/api/v1/lists/${list.id}/accounts`, owner.token, {
      account_ids: [followed[0]!.id, stranger.id],
    });
    expect(notFollowed.status).toBe(422);
    // Nothing was added, not even the followed one.
    expect(await memberIds(list.id)).toEqual([]);
    const unknown = await raw(s, "POST", `/api/v1/lists/${list.id}/accounts`, owner.token, {
      account_ids: ["12345"],
    });
    expect(unknown.status).toBe(404);
    const self = await raw(s, "POST", `/api/v1/lists/${list.id}/accounts`, owner.token, {
      account_ids: [owner.id],
    });
    expect(self.status).toBe(422);
  });

  test("account_ids as a JSON array, form fields and query parameters", async () => {
    const list = await owner.masto.v1.lists.create({ title: "Encodings" });
    const path = `/api/v1/lists/${list.id}/accounts`;

    // JSON array (masto sends this).
    await owner.masto.v1.lists.$select(list.id).accounts.create({ accountIds: [followed[0]!.id] });
    expect(await memberIds(list.id)).toEqual([followed[0]!.id]);

    // Form fields, the way Tusky and friends post.
    const posted = await form("POST", path, owner.token, [
      ["account_ids[]", followed[1]!.id],
      ["account_ids[]", followed[2]!.id],
    ]);
    expect(posted).toEqual({ status: 200, body: {} });
    // Adding a member twice is harmless.
    const again = await raw(s, "POST", path, owner.token, { account_ids: [followed[1]!.id] });
    expect(again.status).toBe(200);
    // Query string on POST too.
    const q = await raw(s, "POST", `${path}?account_ids[]=${followed[3]!.id}`, owner.token);
    expect(q.status).toBe(200);
    expect(await memberIds(list.id)).toEqual(
      followed
        .slice(0, 4)
        .map((f) => f.id)
        .sort(),
    );

    // DELETE with query parameters and no body (Subway Tooter).
    const del = await raw(
      s,
      "DELETE",
      `${path}?account_ids[]=${followed[0]!.id}&account_ids[]=${followed[1]!.id}`,
      owner.token,
    );
    expect(del).toMatchObject({ status: 200, body: {} });
    expect(await memberIds(list.id)).toEqual([followed[2]!.id, followed[3]!.id].sort());

    // DELETE with a form body, then with a JSON body (masto).
    await form("DELETE", path, owner.token, [["account_ids[]", followed[2]!.id]]);
    await owner.masto.v1.lists.$select(list.id).accounts.remove({ accountIds: [followed[3]!.id] });
    expect(await memberIds(list.id)).toEqual([]);
  });

  test("members page with Link headers; limit=0 lists all; /accounts/:id/lists", async () => {
    const list = await owner.masto.v1.lists.create({ title: "Paged" });
    const second = await owner.masto.v1.lists.create({ title: "Second" });
    await owner.masto.v1.lists.$select(list.id).accounts.create({
      accountIds: followed.map((f) => f.id),
    });
    await owner.masto.v1.lists
      .$select(second.id)
      .accounts.create({ accountIds: [followed[0]!.id] });

    const all = await raw(s, "GET", `/api/v1/lists/${list.id}/accounts?limit=0`, owner.token);
    expectResponseSchema("GET", "/api/v1/lists/{id}/accounts", 200, all.body);
    expect(all.body).toHaveLength(5);
    expect(all.link).toBeNull();
    for (const a of all.body) expectSchema("Account", a);

    const seen: string[] = [];
    let path: string | undefined = `/api/v1/lists/${list.id}/accounts?limit=2`;
    let pages = 0;
    while (path && pages < 10) {
      const r = await raw(s, "GET", path, owner.token);
      expect(r.status).toBe(200);
      if (r.body.length === 0) break;
      pages++;
      expect(r.body.length).toBeLessThanOrEqual(2);
      seen.push(...r.body.map((a: Json) => a.id));
      path = linkPath(r.link, "next");
    }
    expect(pages).toBe(3);
    expect(new Set(seen).size).toBe(5);
    expect([...seen].sort()).toEqual(followed.map((f) => f.id).sort());

    // prev from the second page brings back the first page exactly.
    const first = await raw(s, "GET", `/api/v1/lists/${list.id}/accounts?limit=2`, owner.token);
    const page2 = await raw(s, "GET", linkPath(first.link, "next")!, owner.token);
    const back = await raw(s, "GET", linkPath(page2.link, "prev")!, owner.token);
    expect(back.body.map((a: Json) => a.id)).toEqual(first.body.map((a: Json) => a.id));

    // masto's paginator follows the same links.
    const viaMasto: string[] = [];
    for await (const page of owner.masto.v1.lists.$select(list.id).accounts.list({ limit: 2 })) {
      viaMasto.push(...page.map((a) => a.id));
      if (page.length === 0 || viaMasto.length > 10) break;
    }
    expect(viaMasto).toEqual(seen);

    const lists = await raw(s, "GET", `/api/v1/accounts/${followed[0]!.id}/lists`, owner.token);
    expectResponseSchema("GET", "/api/v1/accounts/{id}/lists", 200, lists.body);
    const titles = lists.body.map((l: Json) => l.title);
    expect(titles).toContain("Paged");
    expect(titles).toContain("Second");
    expect(titles).not.toContain("Members");
    const one = await raw(s, "GET", `/api/v1/accounts/${followed[4]!.id}/lists`, owner.token);
    expect(one.body.map((l: Json) => l.title)).toContain("Paged");
    expect(one.body.map((l: Json) => l.title)).not.toContain("Second");
    // Another viewer's lists containing the account: none.
    expect(
      (await raw(s, "GET", `/api/v1/accounts/${followed[0]!.id}/lists`, other.token)).body,
    ).toEqual([]);
    expect((await raw(s, "GET", "/api/v1/accounts/424242/lists", owner.token)).status).toBe(404);
  });

  test("unfollowing removes the account from the follower's lists", async () => {
    const extra = await directUser(s, "leaving");
    await owner.masto.v1.accounts.$select(extra.id).follow();
    const list = await owner.masto.v1.lists.create({ title: "Temporary" });
    await owner.masto.v1.lists.$select(list.id).accounts.create({ accountIds: [extra.id] });
    expect(await memberIds(list.id)).toEqual([extra.id]);
    await owner.masto.v1.accounts.$select(extra.id).unfollow();
    expect(await memberIds(list.id)).toEqual([]);
    expect((await raw(s, "GET", `/api/v1/accounts/${extra.id}/lists`, owner.token)).body).toEqual(
      [],
    );
    // Following again doesn't bring the membership back.
    await owner.masto.v1.accounts.$select(extra.id).follow();
    expect(await memberIds(list.id)).toEqual([]);
  });
});

describe("other users' lists", () => {
  test("are 404 on every endpoint", async () => {
    const list = await owner.masto.v1.lists.create({ title: "Private" });
    await owner.masto.v1.lists.$select(list.id).accounts.create({ accountIds: [followed[0]!.id] });
    await other.masto.v1.accounts.$select(followed[0]!.id).follow();
    const base = `/api/v1/lists/${list.id}`;
    const attempts: [string, string, Record<string, unknown>?][] = [
      ["GET", base],
      ["PUT", base, { title: "Mine now" }],
      ["DELETE", base],
      ["GET", `${base}/accounts`],
      ["POST", `${base}/accounts`, { account_ids: [followed[0]!.id] }],
      ["DELETE", `${base}/accounts`, { account_ids: [followed[0]!.id] }],
      ["GET", `/api/v1/timelines/list/${list.id}`],
    ];
    for (const [method, path, body] of attempts) {
      const r = await raw(s, method, path, other.token, body);
      expect(r.status, `${method} ${path}`).toBe(404);
      expect(r.body).toEqual({ error: "Record not found" });
    }
    // Untouched.
    const still = await raw(s, "GET", base, owner.token);
    expect(still.body.title).toBe("Private");
    expect(await memberIds(list.id)).toEqual([followed[0]!.id]);
    // Without a token: 401.
    expect((await raw(s, "GET", base)).status).toBe(401);
  });
});
