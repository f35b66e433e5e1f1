// Follows and follow requests: the only code that writes `follows` and `follow_requests`
// and keeps followers_count/following_count in step with them. Used by the API (local users)
// and by federation (inbound Follow, Accept, Reject, Undo), so every function takes account
// ids and works whichever side is remote.
//
// Events, emitted after commit:
// - follow.created: a follows row appeared (timelines merge, notifications, and federation
//   sends Accept when a remote follower was taken on directly);
// - follow_request.created: a pending request appeared (federation sends the Follow when the
//   target is remote; notifications when it is local);
// - follow.removed: a follow or pending request of `accountId` disappeared (federation sends
//   Undo(Follow) when `accountId` is local and the target remote);
// - follow_request.authorized / follow_request.rejected: the target accepted or refused,
//   or removed an established follower (federation sends Accept/Reject to a remote follower).
import type { AccountRow } from "../auth/middleware.ts";
import { emitEvent } from "../events/emit.ts";
import { ApiError } from "../http/errors.ts";
import type { Db } from "../infra/db/index.ts";
import { newId } from "../infra/ids.ts";
import type { Services } from "../services.ts";

// A transaction handle (a Transaction is a Kysely): callers inside a transaction pass theirs.
type Trx = Db;

export interface FollowOptions {
  /** Show the target's boosts in home (`reblogs`); default true on creation. */
  reblogs?: boolean;
  /** Notify on each new post (`notify`); default false on creation. */
  notify?: boolean;
  /** Only these languages in home; null or [] for all. */
  languages?: string[] | null;
  /** The Follow activity's id: given for remote followers, generated for local ones. */
  uri?: string | null;
}

export interface FollowResult {
  state: "following" | "requested";
  /** The follows or follow_requests row id. */
  id: string;
  /** False when the follow or request already existed (its options were updated). */
  created: boolean;
}

/**
 * `followerId` follows `targetId`: directly when the target is local and unlocked,
 * otherwise as a pending request (a locked local target decides; a remote one answers
 * with Accept). Re-following updates the options of the existing follow or request.
 * Throws 404 for unknown, suspended or self targets and 403 across a block (also a
 * user's domain block) or to a moved account.
 */
export async function createFollow(
  services: Services,
  followerId: string,
  targetId: string,
  options: FollowOptions = {},
): Promise<FollowResult> {
  const { db, config } = services;
  const result = await db.transaction().execute(async (trx) => {
    const accounts = await trx
      .selectFrom("accounts")
      .selectAll()
      .where("id", "in", [followerId, targetId])
      .execute();
    const follower = accounts.find((a) => a.id === followerId);
    const target = accounts.find((a) => a.id === targetId);
    if (!follower || !target || followerId === targetId || target.suspended_at) {
      throw ApiError.notFound("Record not found");
    }
    const blocked = await trx
      .selectFrom("blocks")
      .select("id")
      .where((eb) =>
        eb.or([
          eb.and([eb("account_id", "=", followerId), eb("target_account_id", "=", targetId)]),
          eb.and([eb("account_id", "=", targetId), eb("target_account_id", "=", followerId)]),
        ]),
      )
      .executeTakeFirst();
    if (blocked || target.moved_to_account_id) {
      throw ApiError.forbidden("This action is not allowed");
    }
    // Nor across a user's domain block: a local user blocking the other's server (Mastodon
    // refuses both a follow of it and, with a Reject, a follow from it).
    const domainPairs = [
      { owner: follower, domain: target.domain },
      { owner: target, domain: follower.domain },
    ].filter((p) => p.owner.domain === null && p.domain !== null);
    if (domainPairs.length) {
      const domainBlocked = await trx
        .selectFrom("account_domain_blocks")
        .select("id")
        .where((eb) =>
          eb.or(
            domainPairs.map((p) =>
              eb.and([eb("account_id", "=", p.owner.id), eb("domain", "=", p.domain!)]),
            ),
          ),
        )
        .executeTakeFirst();
      if (domainBlocked) throw ApiError.forbidden("This action is not allowed");
    }

    const changes = optionColumns(options);
    const existing = await trx
      .selectFrom("follows")
      .select("id")
      .where("account_id", "=", followerId)
      .where("target_account_id", "=", targetId)
      .executeTakeFirst();
    if (existing) {
      if (Object.keys(changes).length) {
        await trx.updateTable("follows").set(changes).where("id", "=", existing.id).execute();
      }
      return { state: "following", id: existing.id, created: false } as const;
    }
    const pending = await trx
      .selectFrom("follow_requests")
      .select("id")
      .where("account_id", "=", followerId)
      .where("target_account_id", "=", targetId)
      .executeTakeFirst();
    if (pending) {
      if (Object.keys(changes).length) {
        await trx
          .updateTable("follow_requests")
          .set(changes)
          .where("id", "=", pending.id)
          .execute();
      }
      return { state: "requested", id: pending.id, created: false } as const;
    }

    const id = newId();
    const row = {
      id,
      account_id: followerId,
      target_account_id: targetId,
      // Local follows get an IRI of their own so the Follow (and its Undo) can be addressed.
      uri: options.uri ?? (follower.domain === null ? `${config.publicUrl}/follows/${id}` : null),
      show_reblogs: options.reblogs ?? true,
      notify: options.notify ?? false,
      languages: languagesColumn(options.languages),
    };
    // A remote target always answers for itself (Accept), even if it looks unlocked here.
    // A limited (silenced) follower is never taken on directly, as in Mastodon.
    const needsApproval =
      target.locked ||
      (target.domain !== null && follower.domain === null) ||
      follower.silenced_at !== null;
    if (needsApproval) {
      const inserted = await trx
        .insertInto("follow_requests")
        .values(row)
        .onConflict((oc) => oc.columns(["account_id", "target_account_id"]).doNothing())
        .returning("id")
        .executeTakeFirst();
      return {
        state: "requested",
        id: inserted?.id ?? id,
        created: inserted !== undefined,
      } as const;
    }
    const inserted = await insertFollow(trx, row);
    return { state: "following", id: inserted ?? id, created: inserted !== undefined } as const;
  });

  if (result.created) {
    if (result.state === "following") {
      await emitEvent(services, "follow.created", {
        followId: result.id,
        accountId: followerId,
        targetAccountId: targetId,
      });
    } else {
      await emitEvent(services, "follow_request.created", {
        requestId: result.id,
        accountId: followerId,
        targetAccountId: targetId,
      });
    }
  }
  return result;
}

/** The API's follow: the signed-in account follows `targetId`. */
export function followAccount(
  services: Services,
  viewer: AccountRow,
  targetId: string,
  options: FollowOptions = {},
): Promise<FollowResult> {
  return createFollow(services, viewer.id, targetId, { ...options, uri: undefined });
}

/**
 * Removes `followerId`'s follow of (or pending request to) `targetId`. Returns whether
 * anything was removed; removing nothing is not an error (Mastodon answers 200 either way).
 */
export async function unfollowAccount(
  services: Services,
  followerId: string,
  targetId: string,
): Promise<boolean> {
  const removed = await services.db.transaction().execute(async (trx) => {
    const follow = await deleteFollow(trx, followerId, targetId);
    if (follow) return follow;
    return await trx
      .deleteFrom("follow_requests")
      .where("account_id", "=", followerId)
      .where("target_account_id", "=", targetId)
      .returning(["id", "uri"])
      .executeTakeFirst();
  });
  if (!removed) return false;
  await emitEvent(services, "follow.removed", {
    accountId: followerId,
    targetAccountId: targetId,
    uri: removed.uri,
  });
  return true;
}

/**
 * The target accepts `requesterId`'s pending request: it becomes a follow. 404 when there
 * is no such request. Federation calls this on an inbound Accept too (target remote).
 */
export async function acceptFollowRequest(
  services: Services,
  requesterId: string,
  targetId: string,
): Promise<void> {
  const accepted = await services.db.transaction().execute(async (trx) => {
    const request = await trx
      .deleteFrom("follow_requests")
      .where("account_id", "=", requesterId)
      .where("target_account_id", "=", targetId)
      .returningAll()
      .executeTakeFirst();
    if (!request) throw ApiError.notFound("Record not found");
    const id = newId();
    const followId = await insertFollow(trx, {
      id,
      account_id: requesterId,
      target_account_id: targetId,
      uri: request.uri,
      show_reblogs: request.show_reblogs,
      notify: request.notify,
      languages: request.languages === null ? null : JSON.stringify(request.languages),
    });
    return { uri: request.uri, followId };
  });
  await emitEvent(services, "follow_request.authorized", {
    accountId: requesterId,
    targetAccountId: targetId,
    uri: accepted.uri,
  });
  // Undefined when a follow already existed (a duplicate request): nothing new to announce.
  if (accepted.followId) {
    await emitEvent(services, "follow.created", {
      followId: accepted.followId,
      accountId: requesterId,
      targetAccountId: targetId,
    });
  }
}

/** The target refuses `requesterId`'s pending request. 404 when there is none. */
export async function rejectFollowRequest(
  services: Services,
  requesterId: string,
  targetId: string,
): Promise<void> {
  const request = await services.db
    .deleteFrom("follow_requests")
    .where("account_id", "=", requesterId)
    .where("target_account_id", "=", targetId)
    .returning(["id", "uri"])
    .executeTakeFirst();
  if (!request) throw ApiError.notFound("Record not found");
  await emitEvent(services, "follow_request.rejected", {
    accountId: requesterId,
    targetAccountId: targetId,
    uri: request.uri,
  });
}

/**
 * `accountId` drops `followerId` from its followers. Emits follow.removed (the follow is
 * gone) and follow_request.rejected (what federation tells a remote follower: Reject).
 */
export async function removeFromFollowers(
  services: Services,
  accountId: string,
  followerId: string,
): Promise<boolean> {
  const removed = await services.db
    .transaction()
    .execute((trx) => deleteFollow(trx, followerId, accountId));
  if (!removed) return false;
  const payload = { accountId: followerId, targetAccountId: accountId, uri: removed.uri };
  await emitEvent(services, "follow.removed", payload);
  await emitEvent(services, "follow_request.rejected", payload);
  return true;
}

interface FollowInsert {
  id: string;
  account_id: string;
  target_account_id: string;
  uri: string | null;
  show_reblogs: boolean;
  notify: boolean;
  languages: string | null;
}

/** Inserts a follow and bumps both counters; undefined when the pair already follows. */
export async function insertFollow(trx: Trx, row: FollowInsert): Promise<string | undefined> {
  const inserted = await trx
    .insertInto("follows")
    .values(row)
    .onConflict((oc) => oc.columns(["account_id", "target_account_id"]).doNothing())
    .returning("id")
    .executeTakeFirst();
  if (!inserted) return undefined;
  await trx
    .updateTable("accounts")
    .set((eb) => ({ following_count: eb("following_count", "+", 1) }))
    .where("id", "=", row.account_id)
    .execute();
  await trx
    .updateTable("accounts")
    .set((eb) => ({ followers_count: eb("followers_count", "+", 1) }))
    .where("id", "=", row.target_account_id)
    .execute();
  return inserted.id;
}

/** Deletes a follow and lowers both counters (never below zero); the removed row or undefined. */
export async function deleteFollow(
  trx: Trx,
  followerId: string,
  targetId: string,
): Promise<{ id: string; uri: string | null } | undefined> {
  const removed = await trx
    .deleteFrom("follows")
    .where("account_id", "=", followerId)
    .where("target_account_id", "=", targetId)
    .returning(["id", "uri"])
    .executeTakeFirst();
  if (!removed) return undefined;
  await trx
    .updateTable("accounts")
    .set((eb) => ({
      following_count: eb.fn("greatest", [eb("following_count", "-", 1), eb.lit(0)]),
    }))
    .where("id", "=", followerId)
    .execute();
  await trx
    .updateTable("accounts")
    .set((eb) => ({
      followers_count: eb.fn("greatest", [eb("followers_count", "-", 1), eb.lit(0)]),
    }))
    .where("id", "=", targetId)
    .execute();
  return removed;
}

function optionColumns(options: FollowOptions) {
  const set: { show_reblogs?: boolean; notify?: boolean; languages?: string | null } = {};
  if (options.reblogs !== undefined) set.show_reblogs = options.reblogs;
  if (options.notify !== undefined) set.notify = options.notify;
  if (options.languages !== undefined) set.languages = languagesColumn(options.languages);
  return set;
}

// Mastodon stores "all languages" as null; an empty list means the same.
function languagesColumn(languages: string[] | null | undefined): string | null {
  return languages && languages.length > 0 ? JSON.stringify(languages) : null;
}
