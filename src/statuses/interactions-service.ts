// What a user does to someone's status: favourite, boost, bookmark, mute, pin. Acting on
// a boost acts on the boosted status, as in Mastodon. Every action is idempotent: doing it
// twice leaves one row and counts once.
import { sql } from "kysely";
import type { AccountRow } from "../auth/middleware.ts";
import { emitEvent } from "../events/emit.ts";
import { ApiError } from "../http/errors.ts";
import type { Visibility } from "../infra/db/schema.ts";
import { newId } from "../infra/ids.ts";
import type { Services } from "../services.ts";
import { removeStatusRows } from "./delete-status.ts";
import { findVisibleStatus } from "./queries.ts";
import { localStatusUri, type StatusRow } from "./serializer.ts";

/** The status acted on: the visible status, or the one it boosts. */
async function target(services: Services, viewer: AccountRow, id: string): Promise<StatusRow> {
  const status = await findVisibleStatus(services.db, viewer.id, id);
  if (!status.reblog_of_id) return status;
  return await findVisibleStatus(services.db, viewer.id, status.reblog_of_id);
}

/**
 * For undo actions: the status even when no longer visible, as long as the viewer has the
 * relation to undo (Mastodon lets you unfavourite a post whose author blocked you since).
 */
async function undoTarget(
  services: Services,
  viewer: AccountRow,
  id: string,
  table: "favourites" | "bookmarks" | "status_pins" | "status_mutes",
): Promise<StatusRow> {
  if (!/^\d{1,20}$/.test(id)) throw ApiError.notFound();
  // The four relation tables share one shape; the cast only picks a name for the types.
  const relation = table as "favourites";
  const related = await services.db
    .selectFrom("statuses")
    .selectAll("statuses")
    .where("statuses.id", "=", id)
    .where((eb) =>
      eb.exists(
        eb
          .selectFrom(relation)
          .select("status_id")
          .whereRef("status_id", "=", "statuses.id")
          .where("account_id", "=", viewer.id),
      ),
    )
    .executeTakeFirst();
  return related ?? (await target(services, viewer, id));
}

export async function favourite(
  services: Services,
  viewer: AccountRow,
  id: string,
): Promise<StatusRow> {
  const status = await target(services, viewer, id);
  const favouriteId = newId();
  const created = await services.db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto("favourites")
      .values({ id: favouriteId, account_id: viewer.id, status_id: status.id, uri: null })
      .onConflict((oc) => oc.columns(["account_id", "status_id"]).doNothing())
      .returning("id")
      .executeTakeFirst();
    if (!row) return false;
    await trx
      .updateTable("statuses")
      .set((eb) => ({ favourites_count: eb("favourites_count", "+", 1) }))
      .where("id", "=", status.id)
      .execute();
    return true;
  });
  if (created) {
    await emitEvent(services, "favourite.created", {
      favouriteId,
      accountId: viewer.id,
      statusId: status.id,
    });
  }
  return await reload(services, status.id);
}

export async function unfavourite(
  services: Services,
  viewer: AccountRow,
  id: string,
): Promise<StatusRow> {
  const status = await undoTarget(services, viewer, id, "favourites");
  const removed = await services.db.transaction().execute(async (trx) => {
    const row = await trx
      .deleteFrom("favourites")
      .where("account_id", "=", viewer.id)
      .where("status_id", "=", status.id)
      .returning(["id", "uri"])
      .executeTakeFirst();
    if (!row) return undefined;
    await trx
      .updateTable("statuses")
      .set((eb) => ({ favourites_count: sql`greatest(${eb.ref("favourites_count")} - 1, 0)` }))
      .where("id", "=", status.id)
      .execute();
    return row;
  });
  if (removed) {
    await emitEvent(services, "favourite.removed", {
      accountId: viewer.id,
      statusId: status.id,
      uri: removed.uri,
    });
  }
  return await reload(services, status.id);
}

/** Boosts a status; returns the boost (a status whose reblog_of_id is the boosted one). */
export async function reblog(
  services: Services,
  viewer: AccountRow,
  id: string,
  requested: Visibility | null,
  defaultVisibility: Visibility,
): Promise<StatusRow> {
  const status = await target(services, viewer, id);
  const own = status.account_id === viewer.id;
  // Followers-only posts may only be boosted by their author (to the same followers);
  // direct messages never.
  if (status.visibility === "direct" || (status.visibility === "private" && !own)) {
    throw ApiError.forbidden("This action is not allowed");
  }
  let visibility: Visibility = requested ?? defaultVisibility;
  if (visibility === "direct") visibility = "public";
  if (status.visibility === "private") visibility = "private";

  const existing = await services.db
    .selectFrom("statuses")
    .selectAll()
    .where("account_id", "=", viewer.id)
    .where("reblog_of_id", "=", status.id)
    .executeTakeFirst();
  if (existing) return existing;

  const boostId = newId();
  const now = new Date();
  const { publicUrl } = services.config;
  const created = await services.db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto("statuses")
      .values({
        id: boostId,
        uri: `${localStatusUri(publicUrl, viewer.username, boostId)}/activity`,
        url: null,
        account_id: viewer.id,
        local: true,
        in_reply_to_id: null,
        in_reply_to_account_id: null,
        in_reply_to_uri: null,
        reblog_of_id: status.id,
        conversation_id: null,
        visibility,
        language: null,
        application_id: null,
        created_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await trx
      .updateTable("statuses")
      .set((eb) => ({ reblogs_count: eb("reblogs_count", "+", 1) }))
      .where("id", "=", status.id)
      .execute();
    await trx
      .updateTable("accounts")
      .set((eb) => ({ statuses_count: eb("statuses_count", "+", 1), last_status_at: now }))
      .where("id", "=", viewer.id)
      .execute();
    return row;
  });
  await emitEvent(services, "status.created", { statusId: created.id });
  return created;
}

/** Removes the viewer's boost; returns the (formerly) boosted status. */
export async function unreblog(
  services: Services,
  viewer: AccountRow,
  id: string,
): Promise<StatusRow> {
  if (!/^\d{1,20}$/.test(id)) throw ApiError.notFound();
  // The id may be the boosted status or the viewer's boost of it.
  const given = await services.db
    .selectFrom("statuses")
    .selectAll()
    .where("id", "=", id)
    .executeTakeFirst();
  if (!given) throw ApiError.notFound();
  const originalId =
    given.reblog_of_id && given.account_id === viewer.id ? given.reblog_of_id : given.id;
  const boost = await services.db
    .selectFrom("statuses")
    .selectAll()
    .where("account_id", "=", viewer.id)
    .where("reblog_of_id", "=", originalId)
    .executeTakeFirst();
  if (!boost) {
    // Nothing to undo: answer like a read, so an invisible status stays a 404.
    return await target(services, viewer, originalId);
  }
  const mentions: string[] = [];
  await services.db.transaction().execute((trx) => removeStatusRows(trx, [boost]));
  await emitEvent(services, "status.deleted", {
    statusId: boost.id,
    accountId: viewer.id,
    uri: boost.uri,
    local: true,
    visibility: boost.visibility,
    reblogOfId: originalId,
    mentionedAccountIds: mentions,
  });
  return await reload(services, originalId);
}

type SimpleRelation = "bookmarks" | "status_mutes";

async function addRelation(
  services: Services,
  viewer: AccountRow,
  id: string,
  table: SimpleRelation,
): Promise<StatusRow> {
  const status = await target(services, viewer, id);
  await services.db
    .insertInto(table)
    .values({ id: newId(), account_id: viewer.id, status_id: status.id, uri: null })
    .onConflict((oc) => oc.columns(["account_id", "status_id"]).doNothing())
    .execute();
  return status;
}

export function bookmark(services: Services, viewer: AccountRow, id: string) {
  return addRelation(services, viewer, id, "bookmarks");
}

export async function unbookmark(services: Services, viewer: AccountRow, id: string) {
  const status = await undoTarget(services, viewer, id, "bookmarks");
  await services.db
    .deleteFrom("bookmarks")
    .where("account_id", "=", viewer.id)
    .where("status_id", "=", status.id)
    .execute();
  return status;
}

/** Mutes notifications from the status's whole conversation. */
export function muteConversation(services: Services, viewer: AccountRow, id: string) {
  return addRelation(services, viewer, id, "status_mutes");
}

export async function unmuteConversation(services: Services, viewer: AccountRow, id: string) {
  const status = await undoTarget(services, viewer, id, "status_mutes");
  const conversation = status.conversation_id;
  await services.db
    .deleteFrom("status_mutes")
    .where("account_id", "=", viewer.id)
    .where((eb) =>
      conversation
        ? eb.or([
            eb("status_id", "=", status.id),
            eb(
              "status_id",
              "in",
              eb.selectFrom("statuses").select("id").where("conversation_id", "=", conversation),
            ),
          ])
        : eb("status_id", "=", status.id),
    )
    .execute();
  return status;
}

export const MAX_PINS = 5;

export async function pin(services: Services, viewer: AccountRow, id: string): Promise<StatusRow> {
  const status = await findVisibleStatus(services.db, viewer.id, id);
  // Mastodon's validation messages, as 422s.
  if (status.reblog_of_id)
    throw ApiError.unprocessable("Validation failed: Boosts cannot be pinned");
  if (status.account_id !== viewer.id) {
    throw ApiError.unprocessable("Validation failed: Someone else's post cannot be pinned");
  }
  if (status.visibility !== "public" && status.visibility !== "unlisted") {
    throw ApiError.unprocessable("Validation failed: Non-public toot cannot be pinned");
  }
  const pinned = await services.db.transaction().execute(async (trx) => {
    const already = await trx
      .selectFrom("status_pins")
      .select("id")
      .where("account_id", "=", viewer.id)
      .where("status_id", "=", status.id)
      .executeTakeFirst();
    if (already) return false;
    const count = await trx
      .selectFrom("status_pins")
      .select(sql<string>`count(*)`.as("n"))
      .where("account_id", "=", viewer.id)
      .executeTakeFirst();
    if (Number(count?.n ?? 0) >= MAX_PINS) {
      throw ApiError.unprocessable(
        "Validation failed: You have already pinned the maximum number of toots",
      );
    }
    const inserted = await trx
      .insertInto("status_pins")
      .values({ id: newId(), account_id: viewer.id, status_id: status.id, uri: null })
      .onConflict((oc) => oc.columns(["account_id", "status_id"]).doNothing())
      .returning("id")
      .executeTakeFirst();
    return inserted !== undefined;
  });
  // Followers' servers update the featured collection they show (Add).
  if (pinned) {
    await emitEvent(services, "status.pinned", {
      accountId: viewer.id,
      statusId: status.id,
      uri: status.uri,
    });
  }
  return status;
}

export async function unpin(
  services: Services,
  viewer: AccountRow,
  id: string,
): Promise<StatusRow> {
  const status = await findVisibleStatus(services.db, viewer.id, id);
  const removed = await services.db
    .deleteFrom("status_pins")
    .where("account_id", "=", viewer.id)
    .where("status_id", "=", status.id)
    .returning("id")
    .executeTakeFirst();
  if (removed) {
    await emitEvent(services, "status.unpinned", {
      accountId: viewer.id,
      statusId: status.id,
      uri: status.uri,
    });
  }
  return status;
}

async function reload(services: Services, id: string): Promise<StatusRow> {
  return await services.db
    .selectFrom("statuses")
    .selectAll()
    .where("id", "=", id)
    .executeTakeFirstOrThrow();
}
