// Deleting statuses: one's own post or boost through the API (with the boosts of it), and
// removeStatusRows, which also serves unboosting (interactions-service.ts) and undoes what
// the rows added to the counters. Events are emitted after commit.
import { sql, type Transaction } from "kysely";
import type { AccountRow } from "../auth/middleware.ts";
import { emitEvent } from "../events/emit.ts";
import type { DomainEvents } from "../events/types.ts";
import { ApiError } from "../http/errors.ts";
import type { Database } from "../infra/db/schema.ts";
import type { Services } from "../services.ts";
import { findVisibleStatus } from "./queries.ts";
import type { StatusRow } from "./serializer.ts";
import { distributable } from "./write-helpers.ts";

type Trx = Transaction<Database>;

/**
 * Deletes the author's own status (or boost) and the boosts of it. Returns the row as it
 * was, for the delete-and-redraft answer.
 */
export async function deleteStatus(
  services: Services,
  author: AccountRow,
  id: string,
): Promise<StatusRow> {
  const { db } = services;
  const status = await findVisibleStatus(db, author.id, id);
  if (status.account_id !== author.id) throw ApiError.forbidden();
  const removed = await db.transaction().execute(async (trx) => {
    const boosts = await trx
      .selectFrom("statuses")
      .selectAll()
      .where("reblog_of_id", "=", id)
      .execute();
    const all = [status, ...boosts];
    const mentions = await trx
      .selectFrom("mentions")
      .select(["status_id", "account_id"])
      .where(
        "status_id",
        "in",
        all.map((s) => s.id),
      )
      .execute();
    await removeStatusRows(trx, all);
    return all.map((s) => statusDeletedEvent(s, mentions));
  });
  for (const payload of removed) await emitEvent(services, "status.deleted", payload);
  return status;
}

/**
 * The `status.deleted` event of a removed row; `mentions` may hold other statuses' mentions
 * too (read for a whole batch before the rows went). Shared with the inbound Delete.
 */
export function statusDeletedEvent(
  row: StatusRow,
  mentions: { status_id: string; account_id: string }[],
): DomainEvents["status.deleted"] {
  return {
    statusId: row.id,
    accountId: row.account_id,
    uri: row.uri,
    local: row.local,
    visibility: row.visibility,
    reblogOfId: row.reblog_of_id,
    mentionedAccountIds: mentions.filter((m) => m.status_id === row.id).map((m) => m.account_id),
  };
}

/** Deletes statuses and undoes what they added to counters. */
export async function removeStatusRows(trx: Trx, rows: StatusRow[]): Promise<void> {
  if (rows.length === 0) return;
  await trx
    .deleteFrom("statuses")
    .where(
      "id",
      "in",
      rows.map((s) => s.id),
    )
    .execute();
  const gone = new Set(rows.map((s) => s.id));
  for (const s of rows) {
    if (s.visibility !== "direct") {
      await trx
        .updateTable("accounts")
        .set((eb) => ({ statuses_count: sql`greatest(${eb.ref("statuses_count")} - 1, 0)` }))
        .where("id", "=", s.account_id)
        .execute();
    }
    if (s.reblog_of_id && !gone.has(s.reblog_of_id)) {
      await trx
        .updateTable("statuses")
        .set((eb) => ({ reblogs_count: sql`greatest(${eb.ref("reblogs_count")} - 1, 0)` }))
        .where("id", "=", s.reblog_of_id)
        .execute();
    }
    if (s.in_reply_to_id && distributable(s.visibility) && !gone.has(s.in_reply_to_id)) {
      await trx
        .updateTable("statuses")
        .set((eb) => ({ replies_count: sql`greatest(${eb.ref("replies_count")} - 1, 0)` }))
        .where("id", "=", s.in_reply_to_id)
        .execute();
    }
  }
}
