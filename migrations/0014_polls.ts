// Polls: at most one per status (local ones made with the status, remote ones read from
// a Question), and the votes cast on them. Tallies are kept on the poll row: for local
// polls they are recounted from poll_votes at each vote, for remote ones they are what
// the poll's server last reported (plus local votes not yet reflected there).
import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("polls")
    .addColumn("id", "bigint", (c) => c.primaryKey())
    .addColumn("status_id", "bigint", (c) =>
      c.notNull().unique().references("statuses.id").onDelete("cascade"),
    )
    .addColumn("account_id", "bigint", (c) =>
      c.notNull().references("accounts.id").onDelete("cascade"),
    )
    .addColumn("options", "jsonb", (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    // One count per option, in the order of `options`.
    .addColumn("tallies", "jsonb", (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn("multiple", "boolean", (c) => c.notNull().defaultTo(false))
    .addColumn("hide_totals", "boolean", (c) => c.notNull().defaultTo(false))
    .addColumn("expires_at", "timestamptz")
    .addColumn("votes_count", "integer", (c) => c.notNull().defaultTo(0))
    // Unknown (null) for remote polls whose server does not say.
    .addColumn("voters_count", "integer")
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createTable("poll_votes")
    .addColumn("id", "bigint", (c) => c.primaryKey())
    .addColumn("poll_id", "bigint", (c) => c.notNull().references("polls.id").onDelete("cascade"))
    .addColumn("account_id", "bigint", (c) =>
      c.notNull().references("accounts.id").onDelete("cascade"),
    )
    .addColumn("choice", "integer", (c) => c.notNull())
    // The vote's ActivityPub id (a received vote's Note, or the one we sent).
    .addColumn("uri", "text", (c) => c.unique())
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`create unique index poll_votes_choice_idx
    on poll_votes (poll_id, account_id, choice)`.execute(db);
  await sql`create index poll_votes_account_idx on poll_votes (account_id)`.execute(db);
  // The poll's options at each revision of a status, for its edit history.
  await db.schema.alterTable("status_edits").addColumn("poll_options", "jsonb").execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable("status_edits").dropColumn("poll_options").execute();
  await db.schema.dropTable("poll_votes").execute();
  await db.schema.dropTable("polls").execute();
}
