// The SQL queue's claim checks, for each candidate with an ordering key, whether an earlier
// job with that key is still pending or running. Without this index that check scans the
// queue once per candidate, which grows quadratically with a backlog of ordered deliveries.
import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create index jobs_ordering_idx on jobs (queue, ordering_key, id)
    where ordering_key is not null and failed_at is null`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists jobs_ordering_idx`.execute(db);
}
