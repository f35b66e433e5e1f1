// List timelines fanned out by the worker: members' posts arrive, replies follow the list's
// replies_policy, exclusive lists keep their members out of home, visibility, mutes and
// blocks hold on read, joining back-fills and leaving (or an unfollow) clears, and paging
// through Link headers neither repeats nor skips.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { listRecipientRows } from "../src/lists/recipients.ts";
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

let s: Scenario;
let owner: SignedIn;
let counter = 0;

beforeAll(async () => {
  s = await startScenario();
  owner = await directUser(s, "listreader");
}, 120_000);

/**
 * Fresh accounts for one test (so no earlier post is back-filled into its lists); the
 * owner follows them unless `followed` is false.
 */
async function people(n: number, followed = true): Promise<SignedIn[]> {
  const made: SignedIn[] = [];
  for (let i = 0; i < n; i++) {
    const person = await directUser(s, `person${++counter}`);
    if (followed) await owner.masto.v1.accounts.$select(person.id).follow();
    made.push(person);
  }
  return made;
}

afterAll(async () => {
  await s?.close();
});

/** Polls for worker results, with room for a loaded machine. */
const soon = <T>(fn: () => Promise<T | undefined | false | null>, what: string) =>
  eventually(fn, what, 45_000);

const newestFirst = (x: string, y: string) => (BigInt(y) > BigInt(x) ? 1 : -1);

async function timeline(listId: string, query = ""): Promise<Json[]> {
  const r = await raw(s, "GET", `/api/v1/timelines/list/${listId}${query}`, owner.token);
  expect(r.status).toBe(200);
  expectResponseSchema("GET", "/api/v1/timelines/list/{list_id}", 200, r.body);
  return r.body;
}

async function timelineIds(listId: string): Promise<string[]> {
  return (await timeline(listId, "?limit=40")).map((x: Json) => x.id);
}

async function homeIds(): Promise<string[]> {
  const r = await raw(s, "GET", "/api/v1/timelines/home?limit=40", owner.token);
  return r.body.map((x: Json) => x.id);
}

/** Waits until the list shows exactly `expected` (newest first). */
async function listShows(listId: string, expected: string[], what: string) {
  const want = [...expected].sort(newestFirst);
  let last: string[] = [];
  try {
    await soon(async () => {
      last = await timelineIds(listId);
      return JSON.stringify(last) === JSON.stringify(want);
    }, what);
  } catch (error) {
    // The ids actually seen, for a readable failure.
    expect(last, String(error)).toEqual(want);
    throw error;
  }
}

async function newList(
  title: string,
  members: SignedIn[],
  options: { repliesPolicy?: "followed" | "list" | "none"; exclusive?: boolean } = {},
) {
  const list = await owner.masto.v1.lists.create({ title, ...options });
  if (members.length) {
    await owner.masto.v1.lists
      .$select(list.id)
      .accounts.create({ accountIds: members.map((m) => m.id) });
  }
  return list.id;
}

describe("list timelines", { timeout: 120_000 }, () => {
  test("members' posts arrive; others' don't; the reader must own the list", async () => {
    const [a, b, c] = (await people(3)) as [SignedIn, SignedIn, SignedIn];
    const listId = await newList("Basics", [a, b]);
    const pa = await a.masto.v1.statuses.create({ status: "from alice" });
    const pb = await b.masto.v1.statuses.create({ status: "from bob", visibility: "private" });
    const pc = await c.masto.v1.statuses.create({ status: "from carol, not a member" });
    await listShows(listId, [pa.id, pb.id], "members' posts in the list");
    // Carol's post went through the same fan-out job kind; the rule gives it no list.
    expect(await listRecipientRows(s.ctx.services, pc)).toEqual([]);
    expect(await listRecipientRows(s.ctx.services, pa.id)).toEqual([
      { accountId: owner.id, listId },
    ]);
    // Direct posts only when they mention the owner.
    const dmOther = await a.masto.v1.statuses.create({
      status: `@${b.username} just us`,
      visibility: "direct",
    });
    const dmOwner = await a.masto.v1.statuses.create({
      status: `@${owner.username} hello`,
      visibility: "direct",
    });
    await listShows(listId, [pa.id, pb.id, dmOwner.id], "a direct post to the owner");
    expect(await listRecipientRows(s.ctx.services, dmOther.id)).toEqual([]);
  });

  test("replies follow replies_policy: followed, list, none", async () => {
    const [a, b, c] = (await people(3)) as [SignedIn, SignedIn, SignedIn];
    const [d] = (await people(1, false)) as [SignedIn];
    const lists = {
      followed: await newList("Followed", [a, b], { repliesPolicy: "followed" }),
      list: await newList("List", [a, b], { repliesPolicy: "list" }),
      none: await newList("None", [a, b], { repliesPolicy: "none" }),
    };
    const root = {
      a: await a.masto.v1.statuses.create({ status: "alice root" }),
      b: await b.masto.v1.statuses.create({ status: "bob root" }),
      c: await c.masto.v1.statuses.create({ status: "carol root" }),
      d: await d.masto.v1.statuses.create({ status: "dave root" }),
      owner: await owner.masto.v1.statuses.create({ status: "owner root" }),
    };
    const reply = async (to: keyof typeof root) =>
      (
        await a.masto.v1.statuses.create({
          status: `alice replies to ${to}`,
          inReplyToId: root[to].id,
        })
      ).id;
    const self = await reply("a");
    const toMember = await reply("b");
    const toFollowed = await reply("c");
    const toStranger = await reply("d");
    const toOwner = await reply("owner");
    const roots = [root.a.id, root.b.id];
    const expected = {
      followed: [...roots, self, toMember, toFollowed, toOwner],
      list: [...roots, self, toMember, toOwner],
      none: [...roots, self, toOwner],
    };
    for (const policy of ["followed", "list", "none"] as const) {
      await listShows(lists[policy], expected[policy], `replies_policy=${policy}`);
    }
    // The rule itself (what streaming's list stream uses) agrees, for every reply.
    const receivers = async (id: string) =>
      (await listRecipientRows(s.ctx.services, id))
        .map((r) => r.listId)
        .filter((l) => Object.values(lists).includes(l))
        .sort();
    expect(await receivers(toStranger)).toEqual([]);
    expect(await receivers(toFollowed)).toEqual([lists.followed]);
    expect(await receivers(toMember)).toEqual([lists.followed, lists.list].sort());
    expect(await receivers(toOwner)).toEqual(Object.values(lists).sort());
  });

  test("exclusive lists keep their members' posts out of home", async () => {
    const [b, c] = (await people(2)) as [SignedIn, SignedIn];
    const exclusive = await newList("Exclusive", [c], { exclusive: true });
    const inclusive = await newList("Inclusive", [b]);
    const pc = await c.masto.v1.statuses.create({ status: "carol, exclusively listed" });
    const pb = await b.masto.v1.statuses.create({ status: "bob, listed but not exclusive" });
    await listShows(exclusive, [pc.id], "the exclusive list");
    await soon(async () => (await timelineIds(inclusive)).includes(pb.id), "inclusive");
    // Fan-out writes home before lists in the same job, so home is final by now.
    const home = await homeIds();
    expect(home).toContain(pb.id);
    expect(home).not.toContain(pc.id);
    // A boost by the exclusive member stays out of home too.
    const boost = await c.masto.v1.statuses.$select(pb.id).reblog();
    await soon(async () => (await timelineIds(exclusive)).includes(boost.id), "boost");
    expect(await homeIds()).not.toContain(boost.id);

    // Once the list is no longer exclusive, new posts reach home again.
    await owner.masto.v1.lists.$select(exclusive).update({ title: "Exclusive", exclusive: false });
    const later = await c.masto.v1.statuses.create({ status: "carol, after" });
    await soon(async () => (await homeIds()).includes(later.id), "home after exclusive off");
  });

  test("joining back-fills recent posts; leaving clears them at once", async () => {
    const [a] = (await people(1)) as [SignedIn];
    const earlier = [
      (await a.masto.v1.statuses.create({ status: "before joining 1" })).id,
      (await a.masto.v1.statuses.create({ status: "before joining 2" })).id,
    ];
    const listId = await newList("Backfill", []);
    expect(await timelineIds(listId)).toEqual([]);
    await owner.masto.v1.lists.$select(listId).accounts.create({ accountIds: [a.id] });
    await soon(async () => {
      const ids = await timelineIds(listId);
      return earlier.every((id) => ids.includes(id));
    }, "the back-fill");
    await owner.masto.v1.lists.$select(listId).accounts.remove({ accountIds: [a.id] });
    expect(await timelineIds(listId)).toEqual([]);
    const rows = await s.ctx.services.db
      .selectFrom("list_feed")
      .select("status_id")
      .where("list_id", "=", listId)
      .execute();
    expect(rows).toEqual([]);
  });

  test("mutes and blocks apply on read; an unfollow clears the member's posts", async () => {
    const [e, f] = (await people(2)) as [SignedIn, SignedIn];
    const listId = await newList("Moderated", [e, f]);
    const pe = await e.masto.v1.statuses.create({ status: "erin" });
    const pf = await f.masto.v1.statuses.create({ status: "frank" });
    await listShows(listId, [pe.id, pf.id], "both posts");

    await owner.masto.v1.accounts.$select(e.id).mute();
    expect(await timelineIds(listId)).toEqual([pf.id]);
    await owner.masto.v1.accounts.$select(e.id).unmute();
    expect(await timelineIds(listId)).toEqual([pf.id, pe.id].sort(newestFirst));

    // A member's boost of someone the owner then blocks is hidden on read.
    const [g] = (await people(1, false)) as [SignedIn];
    const pg = await g.masto.v1.statuses.create({ status: "grace, boosted by frank" });
    const boost = await f.masto.v1.statuses.$select(pg.id).reblog();
    await soon(async () => (await timelineIds(listId)).includes(boost.id), "the boost");
    await owner.masto.v1.accounts.$select(g.id).block();
    expect(await timelineIds(listId)).toEqual([pf.id, pe.id].sort(newestFirst));

    // Blocking a member ends the follow: erin leaves the list and her post goes with her.
    await owner.masto.v1.accounts.$select(e.id).block();
    expect(await timelineIds(listId)).toEqual([pf.id]);
    const members = await raw(s, "GET", `/api/v1/lists/${listId}/accounts`, owner.token);
    expect(members.body.map((x: Json) => x.id)).toEqual([f.id]);

    await owner.masto.v1.accounts.$select(f.id).unfollow();
    expect(await timelineIds(listId)).toEqual([]);
    await soon(async () => {
      const left = await s.ctx.services.db
        .selectFrom("list_feed")
        .select("status_id")
        .where("list_id", "=", listId)
        .execute();
      return left.length === 0;
    }, "the list feed rows to be cleared");
  });

  test("paging through Link headers neither repeats nor skips", async () => {
    const [a, b] = (await people(2)) as [SignedIn, SignedIn];
    const listId = await newList("Paging", [a, b]);
    const posted: string[] = [];
    for (let i = 0; i < 23; i++) {
      const author = i % 2 ? a : b;
      posted.push((await author.masto.v1.statuses.create({ status: `page post ${i}` })).id);
    }
    await listShows(listId, posted, "every paging post");

    const seen: string[] = [];
    let path: string | undefined = `/api/v1/timelines/list/${listId}?limit=5`;
    while (path) {
      const r = await raw(s, "GET", path, owner.token);
      expect(r.status).toBe(200);
      if (r.body.length === 0) break;
      seen.push(...r.body.map((x: Json) => x.id));
      path = linkPath(r.link, "next");
      expect(path).toContain("limit=5");
    }
    expect(seen).toEqual([...posted].sort(newestFirst));

    // Catching up with min_id gets exactly what came after, once.
    const top = seen[0]!;
    const fresh: string[] = [];
    for (let i = 0; i < 7; i++) {
      fresh.push((await a.masto.v1.statuses.create({ status: `fresh ${i}` })).id);
    }
    await soon(
      async () => (await timeline(listId, "?limit=1"))[0]?.id === fresh.at(-1),
      "the fresh posts",
    );
    const caught: string[] = [];
    let prev: string | undefined = `/api/v1/timelines/list/${listId}?min_id=${top}&limit=3`;
    for (let guard = 0; prev && guard < 10; guard++) {
      const r = await raw(s, "GET", prev, owner.token);
      if (r.body.length === 0) break;
      caught.unshift(...r.body.map((x: Json) => x.id));
      prev = linkPath(r.link, "prev");
    }
    expect(caught).toEqual([...fresh].sort(newestFirst));

    // masto's paginator over the same list.
    const viaMasto: string[] = [];
    for await (const page of owner.masto.v1.timelines.list.$select(listId).list({ limit: 10 })) {
      viaMasto.push(...page.map((x) => x.id));
      if (page.length === 0 || viaMasto.length > 100) break;
    }
    expect(viaMasto).toEqual([...posted, ...fresh].sort(newestFirst));
  });
});
