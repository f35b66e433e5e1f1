// Pinned posts across servers. Inbound: Add/Remove to a remote actor's featured collection,
// signed and delivered through the real HTTP inbox, shown by the Mastodon API as pins; the
// ones that must not count are handed to the handler directly and awaited. Outbound: a
// local pin and unpin reach the followers' server as Add and Remove.
import { Add } from "@fedify/vocab";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { onAdd } from "../federation/inbox/add.ts";
import { lookupRemote } from "../federation/lookup.ts";
import { newId } from "../src/infra/ids.ts";
import { insertFollow } from "../src/relationships/follow-service.ts";
import { createUserWithToken } from "./helpers/auth.ts";
import { inboxContextOf, postToInbox } from "./helpers/inbox-handlers.ts";
import { expectResponseSchema } from "./helpers/openapi.ts";
import { until } from "./helpers/queue-backends.ts";
import { type RemoteActor, type RemoteHosts, startRemoteHosts } from "./helpers/remote-actors.ts";
import { createTestContext, type TestContext } from "./helpers/services.ts";

const ORIGIN = "https://testing.local";
const AS = "https://www.w3.org/ns/activitystreams";
const PUBLIC = `${AS}#Public`;

let ctx: TestContext;
let hosts: RemoteHosts;
let karen: Awaited<ReturnType<typeof createUserWithToken>>;
let rin: RemoteActor;
let other: RemoteActor;
let counter = 0;

const featuredOf = (actor: { id: string }) => `${actor.id}/collections/featured`;
// `featured` is Mastodon's term: without its context the property means nothing.
const TOOT_CONTEXT = [
  AS,
  "https://w3id.org/security/v1",
  { toot: "http://joinmastodon.org/ns#", featured: { "@id": "toot:featured", "@type": "@id" } },
];
const withFeatured = (origin: string, username: string) => ({
  "@context": TOOT_CONTEXT,
  featured: `${origin}/users/${username}/collections/featured`,
});

beforeAll(async () => {
  hosts = await startRemoteHosts(2);
  ctx = await createTestContext(
    { PUBLIC_URL: ORIGIN, FEDERATION_ALLOW_PRIVATE_ADDRESS: "true" },
    { workers: true },
  );
  karen = await createUserWithToken(ctx, { username: "karen" });
  const origin = hosts.origins[0]!;
  rin = await hosts.actor(origin, "rin", withFeatured(origin, "rin"));
  other = await hosts.actor(hosts.origins[1]!, "other", withFeatured(hosts.origins[1]!, "other"));
}, 90_000);
afterAll(async () => {
  await ctx?.close();
  await hosts?.close();
});

/** A note by `actor`, served at its id (not delivered to us). */
function note(actor: RemoteActor, to: string[] = [PUBLIC]) {
  const id = `${actor.id}/statuses/${++counter}`;
  const doc = {
    "@context": AS,
    id,
    type: "Note",
    attributedTo: actor.id,
    to,
    content: `<p>pinned ${counter}</p>`,
    published: new Date().toISOString(),
  };
  hosts.serve(id, doc);
  return doc;
}

function featuredActivity(
  type: "Add" | "Remove",
  actor: RemoteActor,
  object: string,
  target?: string,
) {
  return {
    "@context": AS,
    id: `${actor.id}#${type.toLowerCase()}s/${++counter}`,
    type,
    actor: actor.id,
    object,
    target: target ?? featuredOf(actor),
  };
}

async function accountId(uri: string): Promise<string> {
  const row = await ctx.services.db
    .selectFrom("accounts")
    .select("id")
    .where("uri", "=", uri)
    .executeTakeFirstOrThrow();
  return row.id;
}

async function pinnedUris(uri: string): Promise<string[]> {
  const id = await accountId(uri);
  const res = await ctx.app.request(`/api/v1/accounts/${id}/statuses?pinned=true`, {
    headers: { authorization: `Bearer ${karen.token}` },
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as { uri: string; pinned?: boolean }[];
  expectResponseSchema("GET", "/api/v1/accounts/{id}/statuses", 200, body);
  return body.map((s) => s.uri);
}

/** Runs the Add handler as the inbox would and waits for it to finish. */
async function handleAdd(activity: Record<string, unknown>): Promise<void> {
  const inbox = inboxContextOf(ctx, activity, "Add");
  await onAdd(inbox, await Add.fromJsonLd(activity, inbox));
}

describe("inbound Add/Remove to featured", () => {
  it("pins a post the actor adds to its featured collection, fetching it, and unpins on Remove", async () => {
    const pinned = note(rin);
    await postToInbox(ctx, ORIGIN, featuredActivity("Add", rin, pinned.id), rin);
    await until(async () => {
      const row = await ctx.services.db
        .selectFrom("accounts")
        .select("id")
        .where("uri", "=", rin.id)
        .executeTakeFirst();
      return row !== undefined && (await pinnedUris(rin.id)).length === 1;
    }, 60_000);
    expect(await pinnedUris(rin.id)).toEqual([pinned.id]);

    await postToInbox(ctx, ORIGIN, featuredActivity("Remove", rin, pinned.id), rin);
    await until(async () => (await pinnedUris(rin.id)).length === 0, 60_000);
    // The post itself stays.
    const status = await ctx.services.db
      .selectFrom("statuses")
      .select("id")
      .where("uri", "=", pinned.id)
      .executeTakeFirst();
    expect(status).toBeDefined();
  }, 150_000);

  it("ignores Adds to another collection, of someone else's post, or of a private post", async () => {
    const mine = note(rin);
    const theirs = note(other);
    const privatePost = note(rin, [`${rin.id}/followers`]);
    // Stored first, so the handler has the posts either way.
    await handleAdd(featuredActivity("Add", rin, mine.id, `${rin.id}/collections/tags`));
    await handleAdd(featuredActivity("Add", rin, theirs.id));
    await handleAdd(featuredActivity("Add", rin, privatePost.id));
    // Another actor's featured collection as the target.
    await handleAdd(featuredActivity("Add", rin, mine.id, featuredOf(other)));
    expect(await pinnedUris(rin.id)).toEqual([]);
    // The same handler does pin the valid one (the refusals above are not a broken handler).
    await handleAdd(featuredActivity("Add", rin, mine.id));
    expect(await pinnedUris(rin.id)).toEqual([mine.id]);
  });
});

describe("outbound pin", () => {
  it("sends Add and Remove of the featured collection to followers' servers", async () => {
    const follower = await hosts.actor(hosts.origins[1]!, "follower");
    // The remote follower, fetched as a lookup would, following karen.
    await lookupRemote(ctx.services, follower.id);
    const followerId = await accountId(follower.id);
    const id = newId();
    await insertFollow(ctx.services.db, {
      id,
      account_id: followerId,
      target_account_id: karen.account.id,
      uri: `${follower.id}#follows/${id}`,
      show_reblogs: true,
      notify: false,
      languages: null,
    });
    // More followers than a page of the followers collection (50), each with its own inbox:
    // every one of them must hear, not just the first page.
    const extra = Array.from({ length: 60 }, (_, i) => ({
      id: newId(),
      username: `reader${i}`,
      domain: new URL(hosts.origins[1]!).host,
      uri: `${hosts.origins[1]}/users/reader${i}`,
      url: null,
      inbox_url: `${hosts.origins[1]}/users/reader${i}/inbox`,
      shared_inbox_url: null,
    }));
    await ctx.services.db.insertInto("accounts").values(extra).execute();
    for (const r of extra) {
      await insertFollow(ctx.services.db, {
        id: newId(),
        account_id: r.id,
        target_account_id: karen.account.id,
        uri: `${r.uri}#follow`,
        show_reblogs: true,
        notify: false,
        languages: null,
      });
    }
    const auth = { authorization: `Bearer ${karen.token}`, "content-type": "application/json" };
    const created = await ctx.app.request("/api/v1/statuses", {
      method: "POST",
      headers: auth,
      body: JSON.stringify({ status: "pin me", visibility: "public" }),
    });
    const status = (await created.json()) as { id: string; uri: string };
    const pin = await ctx.app.request(`/api/v1/statuses/${status.id}/pin`, {
      method: "POST",
      headers: auth,
    });
    expect(pin.status).toBe(200);
    const received = (type: string) =>
      hosts.received
        .filter((r) => r.method === "POST" && r.url.startsWith(hosts.origins[1]!))
        .map((r) => ({
          url: r.url,
          headers: r.headers,
          body: JSON.parse(r.body) as Record<string, unknown>,
        }))
        .filter((r) => r.body.type === type);
    // 61 inboxes: the follower's shared inbox and the 60 readers' own.
    await until(() => received("Add").length === 61, 60_000);
    expect(new Set(received("Add").map((r) => r.url)).size).toBe(61);
    const add = received("Add")[0]!;
    expect(add.body).toMatchObject({
      actor: `${ORIGIN}/users/karen`,
      object: status.uri,
      target: `${ORIGIN}/users/karen/collections/featured`,
    });
    expect(add.headers.signature ?? add.headers["signature-input"]).toBeTruthy();
    // Pinning again changes nothing and sends nothing new.
    await ctx.app.request(`/api/v1/statuses/${status.id}/pin`, { method: "POST", headers: auth });
    const unpin = await ctx.app.request(`/api/v1/statuses/${status.id}/unpin`, {
      method: "POST",
      headers: auth,
    });
    expect(unpin.status).toBe(200);
    await until(() => received("Remove").length === 61, 60_000);
    expect(received("Remove")[0]!.body).toMatchObject({
      object: status.uri,
      target: `${ORIGIN}/users/karen/collections/featured`,
    });
    expect(received("Add")).toHaveLength(61);
  }, 150_000);
});
