// Delete: the sender removes one of its posts (given as a Tombstone or an id), or itself
// (object id = actor id). Only what the sender owns is removed; nothing is fetched, since
// a deleted object or actor no longer answers.
import type { InboxContext } from "@fedify/fedify";
import type { Delete } from "@fedify/vocab";
import { sql } from "kysely";
import { uncountAccount } from "../../src/accounts/uncount.ts";
import { emitEvent } from "../../src/events/emit.ts";
import type { Services } from "../../src/services.ts";
import { statusDeletedEvent } from "../../src/statuses/delete-status.ts";
import type { FederationContextData } from "../context.ts";
import { findStatusByUri, type StatusRow } from "../objects/remote-status.ts";
import { knownSender } from "./sender.ts";

type Ctx = InboxContext<FederationContextData>;

export async function onDelete(ctx: Ctx, del: Delete): Promise<void> {
  const actorId = del.actorId;
  const objectId = del.objectId;
  if (!actorId || !objectId) return;
  const sender = await knownSender(ctx, actorId);
  if (!sender) return;
  if (objectId.href === actorId.href) {
    await deleteRemoteAccount(ctx.data, sender.id);
    return;
  }
  const status = await findStatusByUri(ctx.data, objectId.href);
  if (!status || status.local || status.account_id !== sender.id) return;
  await deleteStatusRow(ctx.data, status);
}

/**
 * Deletes a status with its counters, and emits status.deleted for it and for the boosts
 * of it that go with it (the foreign key removes them). Used for Delete and Undo(Announce).
 */
export async function deleteStatusRow(services: Services, status: StatusRow): Promise<boolean> {
  const events = await services.db.transaction().execute(async (trx) => {
    const gone = await trx
      .deleteFrom("statuses")
      .where("id", "=", status.id)
      .returningAll()
      .executeTakeFirst();
    // Deleted meanwhile by another delivery of the same activity.
    if (!gone) return [];
    const boosts = await trx
      .selectFrom("statuses")
      .selectAll()
      .where("reblog_of_id", "=", status.id)
      .execute();
    const mentions = await trx
      .selectFrom("mentions")
      .select(["status_id", "account_id"])
      .where("status_id", "in", [status.id, ...boosts.map((b) => b.id)])
      .execute();
    if (boosts.length > 0) {
      await trx
        .deleteFrom("statuses")
        .where(
          "id",
          "in",
          boosts.map((b) => b.id),
        )
        .execute();
    }
    if (gone.in_reply_to_id) {
      await trx
        .updateTable("statuses")
        .set({ replies_count: sql`greatest(replies_count - 1, 0)` })
        .where("id", "=", gone.in_reply_to_id)
        .execute();
    }
    if (gone.reblog_of_id) {
      await trx
        .updateTable("statuses")
        .set({ reblogs_count: sql`greatest(reblogs_count - 1, 0)` })
        .where("id", "=", gone.reblog_of_id)
        .execute();
    }
    for (const row of [gone, ...boosts]) {
      await trx
        .updateTable("accounts")
        .set({ statuses_count: sql`greatest(statuses_count - 1, 0)` })
        .where("id", "=", row.account_id)
        .execute();
    }
    return [gone, ...boosts].map((row) => statusDeletedEvent(row, mentions));
  });
  for (const payload of events) await emitEvent(services, "status.deleted", payload);
  return events.length > 0;
}

/**
 * Removes a remote account and everything it made (the foreign keys cascade), first taking
 * its favourites, boosts and replies off the counters of the posts they were counted on,
 * and its follows off the follower and following counts of the accounts at their other end
 * (as staff deletion does, through the same helper).
 */
export async function deleteRemoteAccount(services: Services, accountId: string): Promise<void> {
  const removed = await services.db.transaction().execute(async (trx) => {
    const account = await trx
      .selectFrom("accounts")
      .select(["id", "uri", "domain"])
      .where("id", "=", accountId)
      .forUpdate()
      .executeTakeFirst();
    if (!account || account.domain === null) return null;
    await uncountAccount(trx, accountId);
    await trx.deleteFrom("accounts").where("id", "=", accountId).execute();
    return account;
  });
  if (removed) {
    await emitEvent(services, "account.deleted", {
      accountId: removed.id,
      uri: removed.uri,
      local: false,
    });
  }
}
