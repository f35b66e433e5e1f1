// Before an account's rows go (the foreign keys cascade), what it did to others' counters
// is taken back: one place for the remote Delete of an actor and for staff deletion.
import { sql } from "kysely";
import type { Db } from "../infra/db/index.ts";

/** Takes the account's favourites, boosts and replies off the posts they were counted on. */
export async function uncountInteractions(trx: Db, id: string): Promise<void> {
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
}
