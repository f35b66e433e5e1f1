// Blocks, mutes, endorsements and personal notes: the viewer's one-sided relations to
// another account. A block also severs the follow graph between the two, both ways.

import { validationError } from "../accounts/local-account-service.ts";
import { emitEvent } from "../events/emit.ts";
import { ApiError } from "../http/errors.ts";
import { newId } from "../infra/ids.ts";
import type { Services } from "../services.ts";
import { deleteFollow } from "./follow-service.ts";

async function requireTarget(services: Services, accountId: string, targetId: string) {
  if (accountId === targetId) throw ApiError.forbidden("This action is not allowed");
  const target = await services.db
    .selectFrom("accounts")
    .select(["id", "domain"])
    .where("id", "=", targetId)
    .executeTakeFirst();
  if (!target) throw ApiError.notFound("Record not found");
  return target;
}

/**
 * `accountId` blocks `targetId`. Follows and pending requests between the two are removed
 * in the same transaction (counters too). `uri` is the Block activity's id for a remote
 * blocker (federation), generated for local ones.
 */
export async function blockAccount(
  services: Services,
  accountId: string,
  targetId: string,
  options: { uri?: string | null } = {},
): Promise<void> {
  const { config } = services;
  await requireTarget(services, accountId, targetId);
  const blocker = await services.db
    .selectFrom("accounts")
    .select("domain")
    .where("id", "=", accountId)
    .executeTakeFirstOrThrow();
  const result = await services.db.transaction().execute(async (trx) => {
    const id = newId();
    const uri =
      options.uri ?? (blocker.domain === null ? `${config.publicUrl}/blocks/${id}` : null);
    const inserted = await trx
      .insertInto("blocks")
      .values({ id, account_id: accountId, target_account_id: targetId, uri })
      .onConflict((oc) => oc.columns(["account_id", "target_account_id"]).doNothing())
      .returning(["id", "uri"])
      .executeTakeFirst();
    const outFollow = await deleteFollow(trx, accountId, targetId);
    const inFollow = await deleteFollow(trx, targetId, accountId);
    const outRequest = await trx
      .deleteFrom("follow_requests")
      .where("account_id", "=", accountId)
      .where("target_account_id", "=", targetId)
      .returning("uri")
      .executeTakeFirst();
    const inRequest = await trx
      .deleteFrom("follow_requests")
      .where("account_id", "=", targetId)
      .where("target_account_id", "=", accountId)
      .returning("uri")
      .executeTakeFirst();
    // Endorsing needs a follow, which just went away.
    await trx
      .deleteFrom("endorsements")
      .where("account_id", "=", accountId)
      .where("target_account_id", "=", targetId)
      .execute();
    return { inserted, outgoing: outFollow ?? outRequest, incoming: inFollow ?? inRequest };
  });

  // Our own follow is undone; theirs is refused (a remote follower is sent a Reject).
  if (result.outgoing) {
    await emitEvent(services, "follow.removed", {
      accountId,
      targetAccountId: targetId,
      uri: result.outgoing.uri,
    });
  }
  if (result.incoming) {
    const payload = { accountId: targetId, targetAccountId: accountId, uri: result.incoming.uri };
    await emitEvent(services, "follow.removed", payload);
    await emitEvent(services, "follow_request.rejected", payload);
  }
  if (result.inserted) {
    await emitEvent(services, "block.created", {
      accountId,
      targetAccountId: targetId,
      uri: result.inserted.uri,
    });
  }
}

export async function unblockAccount(
  services: Services,
  accountId: string,
  targetId: string,
): Promise<void> {
  await requireTarget(services, accountId, targetId);
  const removed = await services.db
    .deleteFrom("blocks")
    .where("account_id", "=", accountId)
    .where("target_account_id", "=", targetId)
    .returning("uri")
    .executeTakeFirst();
  if (removed) {
    await emitEvent(services, "block.removed", {
      accountId,
      targetAccountId: targetId,
      uri: removed.uri,
    });
  }
}

/**
 * Mutes `targetId`: their posts leave the viewer's timelines, and with `notifications`
 * (default true) their notifications too. `durationSeconds` > 0 makes it expire; muting
 * again replaces the previous settings.
 */
export async function muteAccount(
  services: Services,
  accountId: string,
  targetId: string,
  options: { notifications?: boolean; durationSeconds?: number } = {},
): Promise<void> {
  await requireTarget(services, accountId, targetId);
  const duration = options.durationSeconds ?? 0;
  const expiresAt = duration > 0 ? new Date(Date.now() + duration * 1000) : null;
  const hide = options.notifications ?? true;
  await services.db
    .insertInto("mutes")
    .values({
      id: newId(),
      account_id: accountId,
      target_account_id: targetId,
      hide_notifications: hide,
      expires_at: expiresAt,
    })
    .onConflict((oc) =>
      oc
        .columns(["account_id", "target_account_id"])
        .doUpdateSet({ hide_notifications: hide, expires_at: expiresAt }),
    )
    .execute();
}

export async function unmuteAccount(
  services: Services,
  accountId: string,
  targetId: string,
): Promise<void> {
  await requireTarget(services, accountId, targetId);
  await services.db
    .deleteFrom("mutes")
    .where("account_id", "=", accountId)
    .where("target_account_id", "=", targetId)
    .execute();
}

/** Features `targetId` on the viewer's profile; Mastodon allows it only for followed accounts. */
export async function endorseAccount(
  services: Services,
  accountId: string,
  targetId: string,
): Promise<void> {
  await requireTarget(services, accountId, targetId);
  await services.db.transaction().execute(async (trx) => {
    const follow = await trx
      .selectFrom("follows")
      .select("id")
      .where("account_id", "=", accountId)
      .where("target_account_id", "=", targetId)
      .executeTakeFirst();
    if (!follow) {
      throw validationError({
        base: [
          {
            error: "ERR_INVALID",
            description: "You must be already following the person you want to endorse",
          },
        ],
      });
    }
    await trx
      .insertInto("endorsements")
      .values({ id: newId(), account_id: accountId, target_account_id: targetId, uri: null })
      .onConflict((oc) => oc.columns(["account_id", "target_account_id"]).doNothing())
      .execute();
  });
}

export async function unendorseAccount(
  services: Services,
  accountId: string,
  targetId: string,
): Promise<void> {
  await requireTarget(services, accountId, targetId);
  await services.db
    .deleteFrom("endorsements")
    .where("account_id", "=", accountId)
    .where("target_account_id", "=", targetId)
    .execute();
}

export const NOTE_MAX = 2000;

/** Sets the viewer's private note on `targetId`; an empty comment removes it. */
export async function setAccountNote(
  services: Services,
  accountId: string,
  targetId: string,
  comment: string,
): Promise<void> {
  if ([...comment].length > NOTE_MAX) {
    throw validationError({
      comment: [
        { error: "ERR_TOO_LONG", description: `is too long (maximum is ${NOTE_MAX} characters)` },
      ],
    });
  }
  await requireTarget(services, accountId, targetId);
  if (comment.trim() === "") {
    await services.db
      .deleteFrom("account_notes")
      .where("account_id", "=", accountId)
      .where("target_account_id", "=", targetId)
      .execute();
    return;
  }
  await services.db
    .insertInto("account_notes")
    .values({ id: newId(), account_id: accountId, target_account_id: targetId, comment })
    .onConflict((oc) =>
      oc
        .columns(["account_id", "target_account_id"])
        .doUpdateSet({ comment, updated_at: new Date() }),
    )
    .execute();
}
