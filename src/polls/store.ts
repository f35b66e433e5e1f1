// Poll rows: written with their status (inside the status's transaction), changed by an
// edit, and read by id. Votes live in votes.ts; rendering in serializer.ts.
import type { Selectable, Transaction } from "kysely";
import type { Db } from "../infra/db/index.ts";
import type { Database, PollsTable } from "../infra/db/schema.ts";
import { newId } from "../infra/ids.ts";
import type { NewPoll } from "./params.ts";

export type PollRow = Selectable<PollsTable>;
type Trx = Transaction<Database>;

export function isExpired(poll: Pick<PollRow, "expires_at">, now = Date.now()): boolean {
  return poll.expires_at !== null && new Date(poll.expires_at).getTime() <= now;
}

/** Adds a local status's poll (in the status's transaction). */
export async function insertPoll(
  trx: Trx,
  statusId: string,
  accountId: string,
  poll: NewPoll,
  now: Date,
): Promise<PollRow> {
  return await trx
    .insertInto("polls")
    .values({
      id: newId(now),
      status_id: statusId,
      account_id: accountId,
      options: JSON.stringify(poll.options),
      tallies: JSON.stringify(poll.options.map(() => 0)),
      multiple: poll.multiple,
      hide_totals: poll.hideTotals,
      expires_at: new Date(now.getTime() + poll.expiresIn * 1000),
      votes_count: 0,
      voters_count: 0,
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export interface PollEditResult {
  /** The poll after the edit; undefined when the status has none now. */
  poll: PollRow | undefined;
  /** Options or the kind of poll changed: the old votes were dropped. */
  reset: boolean;
}

/**
 * Applies an edit's poll, as Mastodon's edit does: the request carries the whole poll, and
 * one without it removes the poll. Changing the options (or single/multiple choice)
 * invalidates every vote cast, so the votes are dropped; the expiry restarts from now.
 */
export async function applyPollEdit(
  trx: Trx,
  statusId: string,
  accountId: string,
  poll: NewPoll | null,
  now: Date,
): Promise<PollEditResult> {
  const current = await trx
    .selectFrom("polls")
    .selectAll()
    .where("status_id", "=", statusId)
    .forUpdate()
    .executeTakeFirst();
  if (!poll) {
    if (current) await trx.deleteFrom("polls").where("id", "=", current.id).execute();
    return { poll: undefined, reset: current !== undefined };
  }
  if (!current) {
    return { poll: await insertPoll(trx, statusId, accountId, poll, now), reset: false };
  }
  const reset =
    JSON.stringify(current.options) !== JSON.stringify(poll.options) ||
    current.multiple !== poll.multiple;
  if (reset) await trx.deleteFrom("poll_votes").where("poll_id", "=", current.id).execute();
  const updated = await trx
    .updateTable("polls")
    .set({
      options: JSON.stringify(poll.options),
      multiple: poll.multiple,
      hide_totals: poll.hideTotals,
      expires_at: new Date(now.getTime() + poll.expiresIn * 1000),
      updated_at: now,
      ...(reset
        ? { tallies: JSON.stringify(poll.options.map(() => 0)), votes_count: 0, voters_count: 0 }
        : {}),
    })
    .where("id", "=", current.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  return { poll: updated, reset };
}

export async function findPoll(db: Db, id: string): Promise<PollRow | undefined> {
  if (!/^\d{1,20}$/.test(id)) return undefined;
  return await db.selectFrom("polls").selectAll().where("id", "=", id).executeTakeFirst();
}

export async function findPollOfStatus(db: Db, statusId: string): Promise<PollRow | undefined> {
  return await db
    .selectFrom("polls")
    .selectAll()
    .where("status_id", "=", statusId)
    .executeTakeFirst();
}
