// Who hears a status on their user stream. The streaming subscriber runs as its own job,
// possibly before the timelines subscriber has filled home_feed, so it cannot read home_feed
// for new statuses; it selects the very rows fan-out inserts (homeRecipientRows in
// src/timelines/fanout.ts), so the two can't drift apart.
import { sql } from "kysely";
import type { Db } from "../infra/db/index.ts";
import { homeRecipientRows, unrelated } from "../timelines/fanout.ts";

/** Local accounts whose home feed gets `statusId`: exactly fan-out's rule (fanout.ts). */
export async function homeRecipients(db: Db, statusId: string): Promise<string[]> {
  const result = await sql<{ account_id: string }>`
    select distinct r.account_id from (${homeRecipientRows(statusId)}) r`.execute(db);
  return result.rows.map((r) => String(r.account_id));
}

/**
 * Who hears an edit: whoever has the status (or a boost of it) in their home feed, or is
 * mentioned in it. An edit can come before fan-out has filled home_feed (the streaming
 * subscriber may already have told followers of the status), so fan-out's own rule for the
 * status is asked too: a follower who heard the post hears its edit.
 */
export async function editRecipients(db: Db, statusId: string): Promise<string[]> {
  const result = await sql<{ account_id: string }>`
    select h.account_id from home_feed h
      where h.status_id = ${statusId} or h.reblog_of_id = ${statusId}
    union
    select r.account_id from (${homeRecipientRows(statusId)}) r
    union
    select m.account_id from mentions m
      join accounts a on a.id = m.account_id and a.domain is null
      where m.status_id = ${statusId}`.execute(db);
  return result.rows.map((r) => String(r.account_id));
}

/**
 * Who hears a deletion (the row is gone by now): the author, the author's local followers
 * (unless it was direct) and the mentioned local accounts. A bare id tells no one anything
 * they could not see, but it is still kept to those who could have seen the status.
 */
export async function deleteRecipients(
  db: Db,
  e: { accountId: string; local: boolean; visibility: string; mentionedAccountIds: string[] },
): Promise<string[]> {
  const ids = new Set<string>();
  if (e.local) ids.add(e.accountId);
  if (e.visibility !== "direct") {
    const followers = await db
      .selectFrom("follows")
      .innerJoin("accounts", "accounts.id", "follows.account_id")
      .select("follows.account_id")
      .where("follows.target_account_id", "=", e.accountId)
      .where("accounts.domain", "is", null)
      .execute();
    for (const f of followers) ids.add(f.account_id);
  }
  if (e.mentionedAccountIds.length) {
    const mentioned = await db
      .selectFrom("accounts")
      .select("id")
      .where("id", "in", e.mentionedAccountIds)
      .where("domain", "is", null)
      .execute();
    for (const m of mentioned) ids.add(m.id);
  }
  return [...ids];
}

/**
 * Those of `viewerIds` who may see `statusId` now and have not muted its author: the rules of
 * visibleTo and notMutedBy (src/statuses/visibility.ts), for many viewers in one query.
 */
export async function stillVisibleTo(
  db: Db,
  statusId: string,
  viewerIds: string[],
): Promise<string[]> {
  if (viewerIds.length === 0) return [];
  const result = await sql<{ id: string }>`
    select a.id from accounts a, statuses s
    where s.id = ${statusId} and a.id in (${sql.join(viewerIds)})
      and (s.visibility in ('public', 'unlisted') or s.account_id = a.id
        or (s.visibility = 'private' and exists (select 1 from follows f
          where f.account_id = a.id and f.target_account_id = s.account_id))
        or exists (select 1 from mentions m where m.status_id = s.id and m.account_id = a.id))
      and (s.account_id = a.id or (${unrelated(sql.ref("a.id"), sql.ref("s.account_id"))}))`.execute(
    db,
  );
  return result.rows.map((r) => String(r.id));
}
