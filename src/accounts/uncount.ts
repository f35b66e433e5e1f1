// Before an account's rows go (the foreign keys cascade), what it did to others' counters
// is taken back: one place for the remote Delete of an actor and for staff deletion, so
// both leave the same counts behind.
import { sql } from "kysely";
import type { Db } from "../infra/db/index.ts";

/**
 * Takes the account's favourites, boosts and replies off the posts they were counted on,
 * and its follows off the counters of the accounts at either end of them: whoever it
 * followed loses a follower, whoever followed it follows one account fewer.
 */
export async function uncountAccount(trx: Db, id: string): Promise<void> {
  await sql`
    update statuses s set favourites_count = greatest(s.favourites_count - f.n, 0)
    from (select status_id, count(*)::int as n from favourites
          where account_id = ${id} group by status_id) f
    where s.id = f.status_id`.execute(trx);
  await sql`
    update statuses s set reblogs_count = greatest(s.reblogs_count - r.n, 0)
    from (select reblog_of_id, count(*)::int as n from statuses
          where account_id = ${id} and reblog_of_id is not null group by reblog_of_id) r
    where s.id = r.reblog_of_id and s.account_id <> ${id}`.execute(trx);
  await sql`
    update statuses s set replies_count = greatest(s.replies_count - r.n, 0)
    from (select in_reply_to_id, count(*)::int as n from statuses
          where account_id = ${id} and in_reply_to_id is not null group by in_reply_to_id) r
    where s.id = r.in_reply_to_id and s.account_id <> ${id}`.execute(trx);
  // One follows row per pair, so each account at the other end moves by exactly one.
  await sql`
    update accounts a set followers_count = greatest(a.followers_count - 1, 0)
    from follows f where f.account_id = ${id} and a.id = f.target_account_id`.execute(trx);
  await sql`
    update accounts a set following_count = greatest(a.following_count - 1, 0)
    from follows f where f.target_account_id = ${id} and a.id = f.account_id`.execute(trx);
}
