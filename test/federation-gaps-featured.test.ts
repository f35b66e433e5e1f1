// A remote account's pinned posts are read from its `featured` collection when the account
// is stored (first sight or a refresh): looking the account up queues the fetch, and the posts then show on
// GET /api/v1/accounts/:id/statuses?pinned=true. The Add handler's rules hold (only the
// account's own public or unlisted posts), at most 20 items are taken, and a collection that
// cannot be fetched leaves the lookup working and pins nothing.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FEATURED_FETCH_LIMIT, fetchFeaturedCollection } from "../federation/featured-fetch.ts";
import { lookupRemote } from "../federation/lookup.ts";
import { createUserWithToken } from "./helpers/auth.ts";
import { expectResponseSchema } from "./helpers/openapi.ts";
import { until } from "./helpers/queue-backends.ts";
import { type RemoteActor, type RemoteHosts, startRemoteHosts } from "./helpers/remote-actors.ts";
import { createTestContext, type TestContext } from "./helpers/services.ts";

const ORIGIN = "https://testing.local";
const AS = "https://www.w3.org/ns/activitystreams";
const PUBLIC = `${AS}#Public`;
// `featured` is Mastodon's term: without its context the property means nothing.
const TOOT_CONTEXT = [
  AS,
  "https://w3id.org/security/v1",
  { toot: "http://joinmastodon.org/ns#", featured: { "@id": "toot:featured", "@type": "@id" } },
];

let ctx: TestContext;
let hosts: RemoteHosts;
let viewer: Awaited<ReturnType<typeof createUserWithToken>>;
let counter = 0;

beforeAll(async () => {
  hosts = await startRemoteHosts(2);
  ctx = await createTestContext(
    { PUBLIC_URL: ORIGIN, FEDERATION_ALLOW_PRIVATE_ADDRESS: "true" },
    { workers: true },
  );
  viewer = await createUserWithToken(ctx, { username: "viewer" });
}, 90_000);
afterAll(async () => {
  await ctx?.close();
  await hosts?.close();
});

const featuredOf = (origin: string, username: string) =>
  `${origin}/users/${username}/collections/featured`;

/** An actor whose document names a featured collection (served or not by the caller). */
function actorWithFeatured(origin: string, username: string): Promise<RemoteActor> {
  return hosts.actor(origin, username, {
    "@context": TOOT_CONTEXT,
    featured: featuredOf(origin, username),
  });
}

/** A note by the actor at `actorId`; served at its id when `serve` is set. */
function note(actorId: string, options: { to?: string[]; serve?: boolean } = {}) {
  const doc = {
    id: `${actorId}/statuses/${++counter}`,
    type: "Note",
    attributedTo: actorId,
    to: options.to ?? [PUBLIC],
    content: `<p>post ${counter}</p>`,
    published: new Date().toISOString(),
  };
  if (options.serve) hosts.serve(doc.id, { "@context": AS, ...doc });
  return doc;
}

function serveCollection(url: string, items: unknown[]) {
  hosts.serve(url, {
    "@context": AS,
    id: url,
    type: "OrderedCollection",
    totalItems: items.length,
    orderedItems: items,
  });
}

async function pinnedUris(accountId: string): Promise<string[]> {
  const res = await ctx.app.request(`/api/v1/accounts/${accountId}/statuses?pinned=true&limit=40`, {
    headers: { authorization: `Bearer ${viewer.token}` },
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { uri: string; pinned?: boolean }[];
  expectResponseSchema("GET", "/api/v1/accounts/{id}/statuses", 200, body);
  return body.map((s) => s.uri).sort();
}

describe("featured collection on first sight", () => {
  it("pins the account's own public posts listed in its featured collection", async () => {
    const origin = hosts.origins[0]!;
    const pinner = await actorWithFeatured(origin, "pinner");
    const stranger = await hosts.actor(hosts.origins[1]!, "stranger");
    const inline = note(pinner.id);
    const linked = note(pinner.id, { serve: true });
    const followersOnly = note(pinner.id, { to: [`${pinner.id}/followers`] });
    const someoneElses = note(stranger.id, { serve: true });
    // The refused items come first, so once the valid ones are pinned, all were handled.
    serveCollection(featuredOf(origin, "pinner"), [
      followersOnly,
      someoneElses.id,
      inline,
      linked.id,
    ]);

    const found = await lookupRemote(ctx.services, pinner.id);
    const account = found?.account;
    expect(account?.featured_url).toBe(featuredOf(origin, "pinner"));
    const expected = [inline.id, linked.id].sort();
    await until(async () => (await pinnedUris(account!.id)).length >= 2, 30_000);
    expect(await pinnedUris(account!.id)).toEqual(expected);
    // The refused posts were not pinned (a followers-only one may be stored, never pinned).
    const stored = await ctx.services.db
      .selectFrom("statuses")
      .select("uri")
      .where("uri", "=", someoneElses.id)
      .executeTakeFirst();
    expect(stored).toBeUndefined();
  }, 60_000);

  it("takes at most 20 items of a long collection", async () => {
    const origin = hosts.origins[0]!;
    const prolific = await actorWithFeatured(origin, "prolific");
    const notes = Array.from({ length: FEATURED_FETCH_LIMIT + 5 }, () => note(prolific.id));
    serveCollection(featuredOf(origin, "prolific"), notes);
    const account = (await lookupRemote(ctx.services, prolific.id))!.account!;
    await until(async () => (await pinnedUris(account.id)).length >= FEATURED_FETCH_LIMIT, 30_000);
    // Run once more, awaited, so the count read after it is final.
    await fetchFeaturedCollection(ctx.services, account.id);
    const pinned = await pinnedUris(account.id);
    expect(FEATURED_FETCH_LIMIT).toBe(20);
    expect(pinned).toEqual(
      notes
        .slice(0, FEATURED_FETCH_LIMIT)
        .map((n) => n.id)
        .sort(),
    );
  }, 60_000);

  it("keeps the lookup working when the featured collection can't be fetched", async () => {
    const origin = hosts.origins[1]!;
    // Not served at all (404), and one that answers with a page that is no collection.
    const missing = await actorWithFeatured(origin, "missing");
    const broken = await actorWithFeatured(origin, "broken");
    hosts.serve(featuredOf(origin, "broken"), { oops: true }, "text/html");
    for (const actor of [missing, broken]) {
      const account = (await lookupRemote(ctx.services, actor.id))?.account;
      expect(account?.uri).toBe(actor.id);
      await expect(fetchFeaturedCollection(ctx.services, account!.id)).resolves.toBeUndefined();
      const res = await ctx.app.request(`/api/v1/accounts/${account!.id}`, {
        headers: { authorization: `Bearer ${viewer.token}` },
      });
      expect(res.status).toBe(200);
      expect(await pinnedUris(account!.id)).toEqual([]);
    }
  }, 60_000);

  it("re-reads the collection when the account is refreshed, and drops pins it no longer lists", async () => {
    const origin = hosts.origins[0]!;
    const changer = await actorWithFeatured(origin, "changer");
    const kept = note(changer.id);
    const dropped = note(changer.id);
    serveCollection(featuredOf(origin, "changer"), [kept, dropped]);
    const account = (await lookupRemote(ctx.services, changer.id))!.account!;
    await until(async () => (await pinnedUris(account.id)).length >= 2, 30_000);

    const added = note(changer.id);
    serveCollection(featuredOf(origin, "changer"), [kept, added]);
    // A refresh of the actor document (a lookup, a stale account, an Update) queues the
    // fetch again.
    await lookupRemote(ctx.services, changer.id);
    const expected = [kept.id, added.id].sort();
    await until(
      async () => JSON.stringify(await pinnedUris(account.id)) === JSON.stringify(expected),
      30_000,
    );

    // A collection that can't be read leaves the pins as they are.
    hosts.serve(featuredOf(origin, "changer"), { oops: true }, "text/html");
    await fetchFeaturedCollection(ctx.services, account.id);
    expect(await pinnedUris(account.id)).toEqual(expected);
  }, 60_000);
});
