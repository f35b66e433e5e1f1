// Inbound Move (account migration). Accepted moves go through the real HTTP inbox (signed
// by loopback actors, handled by the worker), and the follows they rewrite are checked in
// the database, on the API and in what the remote hosts receive (Follow to the new account,
// Undo to the old one). Refused moves are handed to the handler directly and awaited, so
// "nothing happened" is known to be final rather than not yet.
import { Move } from "@fedify/vocab";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { onMove } from "../federation/inbox/move.ts";
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

let ctx: TestContext;
let hosts: RemoteHosts;
let alice: Awaited<ReturnType<typeof createUserWithToken>>;
let bob: Awaited<ReturnType<typeof createUserWithToken>>;
let oldActor: RemoteActor;
let newActor: RemoteActor;
let mallory: RemoteActor;
let counter = 0;

beforeAll(async () => {
  hosts = await startRemoteHosts(3);
  ctx = await createTestContext(
    { PUBLIC_URL: ORIGIN, FEDERATION_ALLOW_PRIVATE_ADDRESS: "true" },
    { workers: true },
  );
  alice = await createUserWithToken(ctx, { username: "alice" });
  bob = await createUserWithToken(ctx, { username: "bob" });
  oldActor = await hosts.actor(hosts.origins[0]!, "old");
  // The new account does not name the old one yet.
  newActor = await hosts.actor(hosts.origins[1]!, "new");
  mallory = await hosts.actor(hosts.origins[2]!, "mallory", { alsoKnownAs: [] });
}, 90_000);
afterAll(async () => {
  await ctx?.close();
  await hosts?.close();
});

function account(uri: string) {
  return ctx.services.db
    .selectFrom("accounts")
    .selectAll()
    .where("uri", "=", uri)
    .executeTakeFirst();
}

/** Makes `followerId` follow the remote or local account at `uri` (stored first if unknown). */
async function follow(followerId: string, targetId: string) {
  const id = newId();
  await insertFollow(ctx.services.db, {
    id,
    account_id: followerId,
    target_account_id: targetId,
    uri: `${ORIGIN}/follows/${id}`,
    show_reblogs: false,
    notify: true,
    languages: null,
  });
}

/** Runs the Move handler on `activity` as the inbox would, and waits for it to finish. */
async function handle(activity: Record<string, unknown>): Promise<void> {
  const inbox = inboxContextOf(ctx, activity, "Move");
  await onMove(inbox, await Move.fromJsonLd(activity, inbox));
}

function move(actor: RemoteActor, object: string, target: string) {
  return {
    "@context": AS,
    id: `${actor.id}#moves/${++counter}`,
    type: "Move",
    actor: actor.id,
    object,
    target,
  };
}

function posted(origin: string, type: string) {
  return hosts.received
    .filter((r) => r.method === "POST" && r.url.startsWith(origin))
    .map((r) => JSON.parse(r.body) as Record<string, unknown>)
    .filter((a) => a.type === type);
}

describe("Move", () => {
  it("refuses a Move the target does not confirm (no alsoKnownAs back)", async () => {
    await handle(move(oldActor, oldActor.id, newActor.id));
    // Both accounts were fetched and stored; nothing moved.
    const old = (await account(oldActor.id))!;
    expect(old.moved_to_account_id).toBeNull();
    expect((await account(newActor.id))?.also_known_as).toEqual([]);
    await follow(alice.account.id, old.id);
    await follow(bob.account.id, old.id);
  });

  it("refuses a Move sent by someone else, even to an account that names the origin", async () => {
    // Even naming both: a Move whose object is not its actor moves no one.
    hosts.serve(newActor.id, { ...newActor.document, alsoKnownAs: [oldActor.id, mallory.id] });
    await handle(move(mallory, oldActor.id, newActor.id));
    expect((await account(oldActor.id))?.moved_to_account_id).toBeNull();
    expect((await account(mallory.id))?.moved_to_account_id ?? null).toBeNull();
    hosts.serve(newActor.id, { ...newActor.document, alsoKnownAs: [oldActor.id] });
  });

  it("moves: fetches the target afresh, marks the origin, carries local followers over", async () => {
    // The target was stored moments ago without the alias: only a fresh fetch confirms it.
    expect((await account(newActor.id))?.also_known_as).toEqual([]);
    expect(await followsOf(alice.account.id)).toEqual([oldActor.id]);
    await postToInbox(ctx, ORIGIN, move(oldActor, oldActor.id, newActor.id), oldActor);
    const target = await eventuallyAccount(newActor.id, (a) => a.also_known_as.length > 0);
    await until(
      async () => (await account(oldActor.id))?.moved_to_account_id === target.id,
      60_000,
    );
    const old = (await account(oldActor.id))!;

    // Each local follower: a request to the new (remote) account, no follow of the old one.
    for (const user of [alice, bob]) {
      await until(async () => (await followsOf(user.account.id)).length === 0, 60_000);
      const request = await ctx.services.db
        .selectFrom("follow_requests")
        .selectAll()
        .where("account_id", "=", user.account.id)
        .where("target_account_id", "=", target.id)
        .executeTakeFirst();
      // The follow's options came along.
      expect(request).toMatchObject({ show_reblogs: false, notify: true });
    }
    // The remote servers heard it: Follow to the new account's host, Undo(Follow) to the old.
    await until(() => posted(hosts.origins[1]!, "Follow").length === 2, 60_000);
    await until(() => posted(hosts.origins[0]!, "Undo").length === 2, 60_000);
    const actors = posted(hosts.origins[1]!, "Follow").map((a) => a.actor);
    expect(actors.sort()).toEqual([`${ORIGIN}/users/alice`, `${ORIGIN}/users/bob`]);

    // The Account entity says where it went.
    const res = await ctx.app.request(`/api/v1/accounts/${old.id}`, {
      headers: { authorization: `Bearer ${alice.token}` },
    });
    const body = (await res.json()) as { moved?: { id: string; acct: string } };
    expect(res.status).toBe(200);
    expectResponseSchema("GET", "/api/v1/accounts/{id}", 200, body);
    expect(body.moved?.id).toBe(target.id);
  }, 150_000);

  it("moves to a local account: its own aliases decide, and a locked one gets requests", async () => {
    const carol = await createUserWithToken(ctx, { username: "carol" });
    const dave = await createUserWithToken(ctx, { username: "dave" });
    const leaving = await hosts.actor(hosts.origins[2]!, "leaving");
    const carolUri = `${ORIGIN}/users/carol`;
    // Not yet an alias: refused.
    await handle(move(leaving, leaving.id, carolUri));
    const from = (await account(leaving.id))!;
    expect(from.moved_to_account_id).toBeNull();
    await follow(dave.account.id, from.id);
    await ctx.services.db
      .updateTable("accounts")
      .set({ locked: true, also_known_as: JSON.stringify([leaving.id]) })
      .where("id", "=", carol.account.id)
      .execute();
    await postToInbox(ctx, ORIGIN, move(leaving, leaving.id, carolUri), leaving);
    await until(
      async () => (await account(leaving.id))?.moved_to_account_id === carol.account.id,
      60_000,
    );
    await until(async () => (await followsOf(dave.account.id)).length === 0, 60_000);
    const request = await ctx.services.db
      .selectFrom("follow_requests")
      .select("id")
      .where("account_id", "=", dave.account.id)
      .where("target_account_id", "=", carol.account.id)
      .executeTakeFirst();
    expect(request).toBeDefined();
    const follows = await ctx.services.db
      .selectFrom("follows")
      .select("id")
      .where("target_account_id", "=", carol.account.id)
      .execute();
    expect(follows).toEqual([]);
  }, 90_000);
});

async function followsOf(accountId: string): Promise<string[]> {
  const rows = await ctx.services.db
    .selectFrom("follows")
    .innerJoin("accounts", "accounts.id", "follows.target_account_id")
    .select("accounts.uri")
    .where("follows.account_id", "=", accountId)
    .execute();
  return rows.map((r) => r.uri);
}

async function eventuallyAccount(
  uri: string,
  test: (a: NonNullable<Awaited<ReturnType<typeof account>>>) => boolean,
) {
  let found: Awaited<ReturnType<typeof account>>;
  await until(async () => {
    found = await account(uri);
    return found !== undefined && test(found);
  }, 60_000);
  return found!;
}
