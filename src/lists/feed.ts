// List feeds are written like home feeds (src/timelines/fanout.ts): one INSERT ... SELECT per
// new status into list_feed, using the rule in ./recipients.ts, so reading a list timeline
// is one range scan on (list_id, status_id). Joining a list copies the member's recent
// statuses in; leaving it (or the owner unfollowing) takes them out. All writes are
// idempotent: they run in jobs that may be retried.
import { sql } from "kysely";
import type { Db } from "../infra/db/index.ts";
import { BACKFILL_ITEMS, FEED_MAX_ITEMS, trimSampledFeeds } from "../timelines/fanout.ts";
import { listAccepts, listFeedRows } from "./recipients.ts";

/** Inserts a status into the feeds of the lists that receive it. Returns the rows added. */
export async function fanOutToLists(db: Db, statusId: string): Promise<number> {
  const result = await sql`
    insert into list_feed (list_id, status_id, reblog_of_id)
    select r.list_id, r.status_id, r.reblog_of_id from (${listFeedRows(statusId)}) r
    on conflict do nothing`.execute(db);
  const added = Number(result.numAffectedRows ?? 0n);
  if (added > 0) await trimSampledFeeds(db, "list_feed", statusId);
  return added;
}

/** Trims one list's feed to the newest FEED_MAX_ITEMS entries. */
export async function trimListFeed(db: Db, listId: string): Promise<void> {
  await sql`
    delete from list_feed
    where list_id = ${listId} and status_id <= (
      select f.status_id from list_feed f where f.list_id = ${listId}
      order by f.status_id desc offset ${FEED_MAX_ITEMS} limit 1)`.execute(db);
}

/**
 * After `accountIds` joined `listId`: copies each member's latest statuses that the list
 * rule lets in. Members that left again before the job ran are simply not found.
 */
export async function backfillListMembers(
  db: Db,
  listId: string,
  accountIds: string[],
): Promise<void> {
  if (accountIds.length === 0) return;
  await sql`
    insert into list_feed (list_id, status_id, reblog_of_id)
    select l.id, x.id, x.reblog_of_id
    from lists l
    join list_accounts la on la.list_id = l.id and la.account_id in (${sql.join(accountIds)})
    join accounts author on author.id = la.account_id and author.suspended_at is null
    join follows f on f.id = la.follow_id
    join lateral (
      select s.id, s.reblog_of_id from statuses s
      where s.account_id = la.account_id and ${listAccepts()}
      order by s.id desc limit ${BACKFILL_ITEMS}
    ) x on true
    where l.id = ${listId}
    on conflict do nothing`.execute(db);
  await trimListFeed(db, listId);
}

/**
 * Removes `authorIds`' statuses (their posts and boosts) from one list's feed. Runs in the
 * transaction that removes the members, so the list never shows a departed member.
 */
export async function removeMembersFromListFeed(
  db: Db,
  listId: string,
  authorIds: string[],
): Promise<void> {
  if (authorIds.length === 0) return;
  await sql`
    delete from list_feed lf
    where lf.list_id = ${listId}
      and lf.status_id in (select id from statuses where account_id in (${sql.join(authorIds)}))`.execute(
    db,
  );
}

/**
 * After `ownerId` stopped following `authorId` (the membership rows went with the follow):
 * removes the author's statuses from every list of the owner that no longer holds them.
 */
export async function removeUnfollowedFromLists(
  db: Db,
  ownerId: string,
  authorId: string,
): Promise<void> {
  await sql`
    delete from list_feed lf
    using lists l
    where l.id = lf.list_id and l.account_id = ${ownerId}
      and lf.status_id in (select id from statuses where account_id = ${authorId})
      and not exists (select 1 from list_accounts la
        where la.list_id = l.id and la.account_id = ${authorId})`.execute(db);
}
