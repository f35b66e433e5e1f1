// Which lists receive a status: the one statement of the list rule, shared by the list
// fan-out (src/lists/feed.ts), the back-fill when an account joins a list, and the streaming
// `list` stream (through listRecipientRows), so the three can't drift apart.
//
// A status goes into list L (owned by local account O) when, as on Mastodon:
// - its author is a member of L (membership implies O follows the author) and not suspended;
// - it is not direct, or it mentions O;
// - a boost only when O's follow of the booster shows boosts, and O is unrelated to the
//   boosted author (no mute or block either way);
// - a reply to someone else (not the author, not O) only as L's replies_policy says:
//   `followed` when O follows the account replied to, `list` when that account is a member
//   of L, `none` never;
// - O has not muted or blocked the author, nor been blocked by them.
import { type RawBuilder, sql } from "kysely";
import type { Services } from "../services.ts";
import { unrelated } from "../timelines/fanout.ts";

/**
 * The list rule as a condition over the aliases `s` (the status), `l` (the list) and `f`
 * (the owner's follow of the status's author, the member's `list_accounts.follow_id`).
 */
export function listAccepts(): RawBuilder<boolean> {
  const owner = sql.ref("l.account_id");
  return sql<boolean>`(s.reblog_of_id is null or f.show_reblogs)
    and (s.visibility <> 'direct' or exists (
      select 1 from mentions m where m.status_id = s.id and m.account_id = l.account_id))
    and (s.in_reply_to_account_id is null
      or s.in_reply_to_account_id = s.account_id
      or s.in_reply_to_account_id = l.account_id
      or (l.replies_policy = 'followed' and exists (
        select 1 from follows rf where rf.account_id = l.account_id
          and rf.target_account_id = s.in_reply_to_account_id))
      or (l.replies_policy = 'list' and exists (
        select 1 from list_accounts rl where rl.list_id = l.id
          and rl.account_id = s.in_reply_to_account_id)))
    and (${unrelated(owner, sql.ref("s.account_id"))})
    and (s.reblog_of_id is null or not exists (
      select 1 from statuses o where o.id = s.reblog_of_id
        and o.account_id <> l.account_id
        and not (${unrelated(owner, sql.ref("o.account_id"))})))`;
}

/**
 * The list-feed rows of a status (list_id, owner account_id, status_id, reblog_of_id). A
 * boost is skipped where the list already holds the boosted status or another boost of it
 * (its own row, written by an earlier try of this fan-out, doesn't count).
 */
export function listFeedRows(statusId: string) {
  return sql<{
    list_id: string;
    account_id: string;
    status_id: string;
    reblog_of_id: string | null;
  }>`
    select l.id as list_id, l.account_id, s.id as status_id, s.reblog_of_id
    from statuses s
    join accounts author on author.id = s.account_id and author.suspended_at is null
    join list_accounts la on la.account_id = s.account_id
    join lists l on l.id = la.list_id
    join follows f on f.id = la.follow_id
    where s.id = ${statusId}
      and ${listAccepts()}
      and (s.reblog_of_id is null or not exists (
        select 1 from list_feed lf where lf.list_id = l.id and lf.status_id <> s.id
          and (lf.status_id = s.reblog_of_id or lf.reblog_of_id = s.reblog_of_id)))`;
}

/**
 * The local list owners and their lists that receive `status` (a status id or anything with
 * one): exactly the rows the list fan-out inserts. The streaming `list` stream uses it.
 */
export async function listRecipientRows(
  services: Pick<Services, "db">,
  status: string | { id: string },
): Promise<{ accountId: string; listId: string }[]> {
  const statusId = typeof status === "string" ? status : status.id;
  const result = await sql<{ list_id: string; account_id: string }>`
    select distinct r.list_id, r.account_id from (${listFeedRows(statusId)}) r`.execute(
    services.db,
  );
  return result.rows.map((r) => ({ accountId: String(r.account_id), listId: String(r.list_id) }));
}
