// Infinite scroll as an app does it: 100+ posts made through the API and fanned out by the
// worker, then the home timeline paged with masto's paginator (which follows the Link
// header's `next`) must list every post exactly once, newest first, and `prev` (min_id)
// must bring exactly the posts made afterwards.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { expectResponseSchema } from "./helpers/openapi.ts";
import {
  directUser,
  eventually,
  type Json,
  linkPath,
  raw,
  type Scenario,
  type SignedIn,
  startScenario,
} from "./helpers/scenario.ts";

const POSTS = 110;

let s: Scenario;
let reader: SignedIn;
let writers: SignedIn[];

beforeAll(async () => {
  s = await startScenario();
  reader = await directUser(s, "reader");
  writers = [await directUser(s, "writer1"), await directUser(s, "writer2")];
  for (const w of writers) await reader.masto.v1.accounts.$select(w.id).follow();
});

afterAll(async () => {
  await s?.close();
});

/** Newest first: ids compare numerically (they are 64-bit). */
const newestFirst = (a: string, b: string) => (BigInt(b) > BigInt(a) ? 1 : -1);

async function homeHas(ids: string[]): Promise<boolean> {
  const newest = ids.reduce((a, b) => (BigInt(a) > BigInt(b) ? a : b));
  const r = await raw(s, "GET", "/api/v1/timelines/home?limit=1", reader.token);
  return r.body[0]?.id === newest;
}

describe("home timeline paging through Link headers", { timeout: 120_000 }, () => {
  const posted: string[] = [];

  test(`${POSTS} posts from two followed accounts and the reader's own`, async () => {
    for (let i = 0; i < POSTS; i++) {
      // Interleaved authors, some replies to self, and a few of the reader's own posts.
      const author = i % 10 === 9 ? reader : writers[i % 2]!;
      const status = await author.masto.v1.statuses.create({
        status: `post number ${i} #paging`,
        visibility: i % 7 === 0 ? "private" : "public",
      });
      posted.push(status.id);
    }
    await eventually(() => homeHas(posted), "the fan-out of every post", 30_000);
  });

  test("masto's paginator walks every post once, newest first, without gaps", async () => {
    const seen: string[] = [];
    let pages = 0;
    for await (const page of reader.masto.v1.timelines.home.list({ limit: 40 })) {
      // The page after the last is empty (Mastodon links `next` from every page).
      if (page.length > 0) pages++;
      seen.push(...page.map((x) => x.id));
      if (page.length === 0 || pages > 10) break;
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual([...posted].sort(newestFirst));
    expect(pages).toBe(3);
  });

  test("Link headers by hand: next, prev, limit 20 by default, schema-valid pages", async () => {
    const first = await raw(s, "GET", "/api/v1/timelines/home", reader.token);
    expectResponseSchema("GET", "/api/v1/timelines/home", 200, first.body);
    expect(first.body).toHaveLength(20);
    const next = linkPath(first.link, "next");
    const prev = linkPath(first.link, "prev");
    expect(next).toBe(`/api/v1/timelines/home?max_id=${first.body.at(-1).id}`);
    expect(prev).toBe(`/api/v1/timelines/home?min_id=${first.body[0].id}`);

    // Walk with limit=7 (pages that don't divide the total), following `next` only.
    const ids: string[] = [];
    let path: string | undefined = "/api/v1/timelines/home?limit=7";
    while (path) {
      const r = await raw(s, "GET", path, reader.token);
      expect(r.status).toBe(200);
      if (r.body.length === 0) break;
      ids.push(...r.body.map((x: Json) => x.id));
      const following: string | undefined = linkPath(r.link, "next");
      expect(following).toContain("limit=7");
      path = following;
    }
    expect(ids).toEqual([...posted].sort(newestFirst));

    // Nothing newer than the newest yet.
    expect((await raw(s, "GET", prev!, reader.token)).body).toEqual([]);
  });

  test("catching up with min_id (masto's prev direction) gets exactly the new posts", async () => {
    const top = (await raw(s, "GET", "/api/v1/timelines/home?limit=1", reader.token)).body[0].id;
    const fresh: string[] = [];
    for (let i = 0; i < 45; i++) {
      const status = await writers[i % 2]!.masto.v1.statuses.create({ status: `late ${i}` });
      fresh.push(status.id);
    }
    await eventually(() => homeHas(fresh), "the fan-out of the late posts", 30_000);

    const caught: string[] = [];
    const paginator = reader.masto.v1.timelines.home
      .list({ minId: top, limit: 20 })
      .setDirection("prev");
    for await (const page of paginator) {
      // Each page is newest first; pages come oldest first.
      const ids = page.map((x) => x.id);
      expect(ids).toEqual([...ids].sort(newestFirst));
      caught.unshift(...ids);
      if (caught.length > 100) break;
    }
    expect(caught).toEqual([...fresh].sort(newestFirst));

    // And since_id gives the newest page above the cursor, not the oldest.
    const since = await raw(s, "GET", `/api/v1/timelines/home?since_id=${top}`, reader.token);
    expect(since.body.map((x: Json) => x.id)).toEqual([...fresh].sort(newestFirst).slice(0, 20));
  });
});
