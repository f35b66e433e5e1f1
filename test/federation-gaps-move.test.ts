// Inbound Move carries blocks and mutes: a local account that blocked the moving account
// blocks its new account (and the Block reaches the new account's server), one that muted
// it mutes the new account with the same notification setting and expiry. Nothing is carried
// to someone who already follows the target, an existing block or mute of the target stays
// as it was, and an expired mute is not carried. The Move is handed to its handler and
// awaited, so the relationships are final when they are read.
import { Move } from "@fedify/vocab";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { onMove } from "../federation/inbox/move.ts";
import { lookupRemote } from "../federation/lookup.ts";
import type { AccountRow } from "../src/auth/middleware.ts";
import { newId } from "../src/infra/ids.ts";
import { blockAccount, muteAccount } from "../src/relationships/block-mute-service.ts";
import { insertFollow } from "../src/relationships/follow-service.ts";
import { createUserWithToken } from "./helpers/auth.ts";
import { inboxContextOf } from "./helpers/inbox-handlers.ts";
import { expectResponseSchema } from "./helpers/openapi.ts";
import { until } from "./helpers/queue-backends.ts";
import { type RemoteActor, type RemoteHosts, startRemoteHosts } from "./helpers/remote-actors.ts";
import { createTestContext, type TestContext } from "./helpers/services.ts";

const ORIGIN = "https://testing.local";
const AS = "https://www.w3.org/ns/activitystreams";

type User = Awaited<ReturnType<typeof createUserWithToken>>;

let ctx: TestContext;
let hosts: RemoteHosts;
let oldActor: RemoteActor;
let newActor: RemoteActor;
let origin: AccountRow;
let target: AccountRow;

beforeAll(async () => {
  hosts = await startRemoteHosts(2);
  ctx = await createTestContext(
    { PUBLIC_URL: ORIGIN, FEDERATION_ALLOW_PRIVATE_ADDRESS: "true" },
    { workers: true },
  );
  oldActor = await hosts.actor(hosts.origins[0]!, "old");
  newActor = await hosts.actor(hosts.origins[1]!, "new", { alsoKnownAs: [oldActor.id] });
  origin = (await lookupRemote(ctx.services, oldActor.id))!.account!;
  target = (await lookupRemote(ctx.services, newActor.id))!.account!;
}, 90_000);
afterAll(async () => {
  await ctx?.close();
  await hosts?.close();
});

async function handleMove(): Promise<void> {
  const activity = {
    "@context": AS,
    id: `${oldActor.id}#moves/${newId()}`,
    type: "Move",
    actor: oldActor.id,
    object: oldActor.id,
    target: newActor.id,
  };
  const inbox = inboxContextOf(ctx, activity, "Move");
  await onMove(inbox, await Move.fromJsonLd(activity, inbox));
}

async function relationshipToTarget(user: User) {
  const res = await ctx.app.request(`/api/v1/accounts/relationships?id[]=${target.id}`, {
    headers: { authorization: `Bearer ${user.token}` },
  });
  expect(res.status).toBe(200);
  const body = (await res.json()) as {
    blocking: boolean;
    muting: boolean;
    muting_notifications: boolean;
    note: string;
  }[];
  expectResponseSchema("GET", "/api/v1/accounts/relationships", 200, body);
  return body[0]!;
}

function rowsOf(table: "blocks" | "mutes", user: User, targetId = target.id) {
  return ctx.services.db
    .selectFrom(table)
    .selectAll()
    .where("account_id", "=", user.account.id)
    .where("target_account_id", "=", targetId)
    .execute();
}

describe("Move carries blocks and mutes", () => {
  it("blocks and mutes the new account for those who blocked or muted the old one", async () => {
    const blocker = await createUserWithToken(ctx, { username: "blocker" });
    const muter = await createUserWithToken(ctx, { username: "muter" });
    const follower = await createUserWithToken(ctx, { username: "follower" });
    const alreadyMuting = await createUserWithToken(ctx, { username: "already" });
    const alreadyBlocking = await createUserWithToken(ctx, { username: "twice" });
    const expired = await createUserWithToken(ctx, { username: "expired" });

    await blockAccount(ctx.services, blocker.account.id, origin.id);
    await muteAccount(ctx.services, muter.account.id, origin.id, {
      notifications: false,
      durationSeconds: 3600,
    });
    // Already follows the new account: the mute is not carried to it.
    await muteAccount(ctx.services, follower.account.id, origin.id);
    await insertFollow(ctx.services.db, {
      ...{ id: newId(), account_id: follower.account.id, target_account_id: target.id, uri: null },
      ...{ show_reblogs: true, notify: false, languages: null },
    });
    // Already mutes the new account (hiding notifications): that mute stays as it was.
    await muteAccount(ctx.services, alreadyMuting.account.id, origin.id, { notifications: false });
    await muteAccount(ctx.services, alreadyMuting.account.id, target.id, { notifications: true });
    // Already blocks both: no second block row.
    await blockAccount(ctx.services, alreadyBlocking.account.id, origin.id);
    await blockAccount(ctx.services, alreadyBlocking.account.id, target.id);
    // A mute that has run out is not carried.
    await muteAccount(ctx.services, expired.account.id, origin.id);
    await ctx.services.db
      .updateTable("mutes")
      .set({ expires_at: new Date(Date.now() - 60_000) })
      .where("account_id", "=", expired.account.id)
      .execute();
    const [originMute] = await rowsOf("mutes", muter, origin.id);

    await handleMove();

    expect(
      (
        await ctx.services.db
          .selectFrom("accounts")
          .select("moved_to_account_id")
          .where("id", "=", origin.id)
          .executeTakeFirstOrThrow()
      ).moved_to_account_id,
    ).toBe(target.id);

    expect(await relationshipToTarget(blocker)).toMatchObject({ blocking: true, muting: false });
    // A private note on the new account says why, as Mastodon's does.
    const originAcct = `@${origin.username}@${origin.domain}`;
    expect((await relationshipToTarget(blocker)).note).toBe(
      `This user moved from ${originAcct}, which you had blocked.`,
    );
    expect((await relationshipToTarget(muter)).note).toBe(
      `This user moved from ${originAcct}, which you had muted.`,
    );
    expect((await relationshipToTarget(follower)).note).toBe("");
    expect(await relationshipToTarget(muter)).toMatchObject({
      blocking: false,
      muting: true,
      muting_notifications: false,
    });
    const [carried] = await rowsOf("mutes", muter);
    expect(carried?.expires_at?.getTime()).toBe(originMute?.expires_at?.getTime());
    expect(carried?.expires_at).not.toBeNull();

    expect(await relationshipToTarget(follower)).toMatchObject({ muting: false });
    expect(await relationshipToTarget(alreadyMuting)).toMatchObject({
      muting: true,
      muting_notifications: true,
    });
    expect(await rowsOf("blocks", alreadyBlocking)).toHaveLength(1);
    expect(await relationshipToTarget(expired)).toMatchObject({ muting: false });

    // The carried block federates as any block does: the new account's server hears it.
    await until(
      () =>
        blocksReceived().some(
          (a) => a.actor === `${ORIGIN}/users/blocker` && a.object === newActor.id,
        ),
      60_000,
    );
  }, 120_000);
});

/** Block activities the new account's host received. */
function blocksReceived() {
  return hosts.received
    .filter((r) => r.method === "POST" && r.url.startsWith(hosts.origins[1]!))
    .map((r) => JSON.parse(r.body) as Record<string, unknown>)
    .filter((a) => a.type === "Block");
}
