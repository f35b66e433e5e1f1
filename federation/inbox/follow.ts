// Inbound follow traffic: Follow (a remote actor follows a local account), Accept and Reject
// (a remote account answers our Follow), Undo(Follow). The follow rules live in
// src/relationships/follow-service.ts; this file maps activities onto them.
import type { InboxContext } from "@fedify/fedify";
import { Accept, Follow, Reject } from "@fedify/vocab";
import type { AccountRow } from "../../src/auth/middleware.ts";
import { ApiError } from "../../src/http/errors.ts";
import { log } from "../../src/infra/logging.ts";
import {
  acceptFollowRequest,
  createFollow,
  rejectFollowRequest,
  unfollowAccount,
} from "../../src/relationships/follow-service.ts";
import type { FederationContextData } from "../context.ts";
import { accountOfActor } from "../remote-accounts.ts";
import { findLocalAccount, recipientOf } from "../util.ts";

type Ctx = InboxContext<FederationContextData>;
const logger = log("federation");

/** The local account an actor URI of ours names, if any. */
export async function localAccountOf(ctx: Ctx, uri: URL | null): Promise<AccountRow | null> {
  if (!uri) return null;
  const parsed = ctx.parseUri(uri);
  if (parsed?.type !== "actor") return null;
  const account = await findLocalAccount(ctx.data.db, parsed.identifier);
  return account && account.username === parsed.identifier ? account : null;
}

/** The (remote) sender of an activity, stored or refreshed. */
export async function remoteSender(
  ctx: Ctx,
  activity: { actorId: URL | null; getActor: Follow["getActor"] },
): Promise<AccountRow | null> {
  const account = await accountOfActor(
    ctx.data,
    activity.actorId,
    () => activity.getActor(ctx),
    ctx,
  );
  // A suspended account's follows, blocks and undos are refused like its content.
  return account && account.domain !== null && !account.suspended_at ? account : null;
}

export async function onFollow(ctx: Ctx, follow: Follow): Promise<void> {
  if (!follow.id) return;
  const target = await localAccountOf(ctx, follow.objectId);
  if (!target) return;
  const follower = await remoteSender(ctx, follow);
  if (!follower) return;
  let state: "following" | "requested";
  try {
    ({ state } = await createFollow(ctx.data, follower.id, target.id, { uri: follow.id.href }));
  } catch (error) {
    // Blocked (403) or not followable (404): say no, as Mastodon does.
    if (!(error instanceof ApiError)) throw error;
    await answer(ctx, target, follower, follow, "reject");
    return;
  }
  // A locked account answers later (follow_request.authorized); a repeated Follow of an
  // existing follow is accepted again, in case the other side lost track.
  if (state === "following") await answer(ctx, target, follower, follow, "accept");
}

async function answer(
  ctx: Ctx,
  target: AccountRow,
  follower: AccountRow,
  follow: Follow,
  kind: "accept" | "reject",
): Promise<void> {
  const actor = ctx.getActorUri(target.username);
  const id = new URL(`${actor.href}#${kind}s/follows/${encodeURIComponent(follow.id!.href)}`);
  const values = { id, actor, object: follow, to: new URL(follower.uri) };
  await ctx.sendActivity(
    { identifier: target.username },
    recipientOf(follower),
    kind === "accept" ? new Accept(values) : new Reject(values),
  );
}

/** The Follow an Accept/Reject answers, as (our local follower, the remote target). */
async function answeredFollow(ctx: Ctx, activity: Accept | Reject) {
  const sender = await remoteSender(ctx, activity);
  if (!sender) return null;
  const objectId = activity.objectId;
  const { db } = ctx.data;
  // Our Follow's id is stored on the request (or follow); match it when given.
  if (objectId) {
    for (const table of ["follow_requests", "follows"] as const) {
      const row = await db
        .selectFrom(table)
        .select(["account_id", "target_account_id"])
        .where("uri", "=", objectId.href)
        .executeTakeFirst();
      if (row) return row.target_account_id === sender.id ? row : null;
    }
  }
  // Some servers send a Follow without our id; fall back on its actor.
  const object = await activity.getObject(ctx).catch(() => null);
  if (!(object instanceof Follow)) return null;
  const local = await localAccountOf(ctx, object.actorId);
  return local ? { account_id: local.id, target_account_id: sender.id } : null;
}

export async function onAccept(ctx: Ctx, accept: Accept): Promise<void> {
  const pair = await answeredFollow(ctx, accept);
  if (!pair) return;
  try {
    await acceptFollowRequest(ctx.data, pair.account_id, pair.target_account_id);
  } catch (error) {
    // Already following (a repeated Accept): nothing to do.
    if (!(error instanceof ApiError)) throw error;
  }
}

export async function onReject(ctx: Ctx, reject: Reject): Promise<void> {
  const pair = await answeredFollow(ctx, reject);
  if (!pair) return;
  try {
    await rejectFollowRequest(ctx.data, pair.account_id, pair.target_account_id);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    // No pending request: the target removed us from its followers.
    await unfollowAccount(ctx.data, pair.account_id, pair.target_account_id);
  }
}

/** Undo(Follow): the remote actor stops following a local account. */
export async function onUndoFollow(ctx: Ctx, sender: AccountRow, follow: Follow): Promise<void> {
  const target = await localAccountOf(ctx, follow.objectId);
  if (!target) {
    logger.debug("Undo(Follow) of unknown target {id}", { id: follow.objectId?.href });
    return;
  }
  await unfollowAccount(ctx.data, sender.id, target.id);
}
