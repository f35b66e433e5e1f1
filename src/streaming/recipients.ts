// Who hears a status on their user stream. The streaming subscriber runs as its own job,
// possibly before the timelines subscriber has filled home_feed, so it cannot read home_feed
// for new statuses; instead it computes the same recipients as src/timelines/fanout.ts in one
// set-based SELECT. Keep the two in step: the rules below mirror fanOutStatus's, except that
// the "already has this boost" check skips the boost's own home_feed row, which fan-out may
// already have written.
import { sql } from "kysely";
import type { Db } from "../infra/db/index.ts";

/** Neither account (SQL expressions) muted or blocked the other; `r` is the reader. */
function unrelated(r: string, a: string) {
  return sql.raw(`not exists (
      select 1 from mutes mu where mu.account_id = ${r} and mu.target_account_id = ${a}
        and (mu.expires_at is null or mu.expires_at > now()))
    and not exists (
      select 1 from blocks bl where (bl.account_id = ${r} and bl.target_account_id = ${a})
        or (bl.account_id = ${a} and bl.target_account_id = ${r}))`);
}

/** Local accounts whose home feed gets `statusId` (fan-out's rule, see fanout.ts). */
export async function homeRecipients(db: Db, statusId: string): Promise<string[]> {
  const result = await sql<{ account_id: string }>`
    select distinct r.account_id
    from statuses s
    join accounts author on author.id = s.account_id and author.suspended_at is null
    join lateral (
      select au.id as account_id from accounts au
        where au.id = s.account_id and au.domain is null
      union
      select f.account_id from follows f
        join accounts fa on fa.id = f.account_id and fa.domain is null
        where f.target_account_id = s.account_id
          and (s.reblog_of_id is null or f.show_reblogs)
          and (s.visibility <> 'direct' or exists (
            select 1 from mentions m where m.status_id = s.id and m.account_id = f.account_id))
          and (s.in_reply_to_account_id is null
            or s.in_reply_to_account_id = s.account_id
            or s.in_reply_to_account_id = f.account_id
            or exists (select 1 from follows f2 where f2.account_id = f.account_id
              and f2.target_account_id = s.in_reply_to_account_id))
      union
      select tf.account_id from status_tags st
        join tag_follows tf on tf.tag_id = st.tag_id
        join accounts ta on ta.id = tf.account_id and ta.domain is null
        where st.status_id = s.id and s.visibility = 'public' and s.reblog_of_id is null
    ) r on true
    where s.id = ${statusId}
      and (r.account_id = s.account_id or (${unrelated("r.account_id", "s.account_id")}))
      and (s.reblog_of_id is null or not exists (
        select 1 from statuses o where o.id = s.reblog_of_id
          and o.account_id <> r.account_id
          and not (${unrelated("r.account_id", "o.account_id")})))
      and (s.reblog_of_id is null or not exists (
        select 1 from home_feed h where h.account_id = r.account_id and h.status_id <> s.id
          and (h.status_id = s.reblog_of_id or h.reblog_of_id = s.reblog_of_id)))`.execute(db);
  return result.rows.map((r) => String(r.account_id));
}

/**
 * Who hears an edit: whoever has the status (or a boost of it) in their home feed, or is
 * mentioned in it. Fan-out ran long before any edit, so home_feed is the truth here.
 */
export async function editRecipients(db: Db, statusId: string): Promise<string[]> {
  const result = await sql<{ account_id: string }>`
    select h.account_id from home_feed h
      where h.status_id = ${statusId} or h.reblog_of_id = ${statusId}
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
      and (s.account_id = a.id or (${unrelated("a.id", "s.account_id")}))`.execute(db);
  return result.rows.map((r) => String(r.id));
}
