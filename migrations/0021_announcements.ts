// Announcements (Mastodon's Announcement): notices staff write for every local user, shown
// by apps above the home timeline. Each user can dismiss one (marks it read) and react to it
// with an emoji; reactions are one row per user and name, counted when read.
import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("announcements")
    .addColumn("id", "bigint", (c) => c.primaryKey())
    .addColumn("text", "text", (c) => c.notNull())
    // The text rendered as Mastodon renders plain text, kept so reads don't re-resolve it.
    .addColumn("content", "text", (c) => c.notNull().defaultTo(""))
    // What the rendering linked: accounts mentioned, local statuses linked, hashtags.
    .addColumn("mention_account_ids", "jsonb", (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn("status_ids", "jsonb", (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn("tag_names", "jsonb", (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn("starts_at", "timestamptz")
    .addColumn("ends_at", "timestamptz")
    .addColumn("all_day", "boolean", (c) => c.notNull().defaultTo(false))
    .addColumn("published", "boolean", (c) => c.notNull().defaultTo(false))
    .addColumn("published_at", "timestamptz")
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable("announcement_dismissals")
    .addColumn("announcement_id", "bigint", (c) =>
      c.notNull().references("announcements.id").onDelete("cascade"),
    )
    .addColumn("account_id", "bigint", (c) =>
      c.notNull().references("accounts.id").onDelete("cascade"),
    )
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint("announcement_dismissals_pkey", ["account_id", "announcement_id"])
    .execute();

  await db.schema
    .createTable("announcement_reactions")
    .addColumn("id", "bigint", (c) => c.primaryKey())
    .addColumn("announcement_id", "bigint", (c) =>
      c.notNull().references("announcements.id").onDelete("cascade"),
    )
    .addColumn("account_id", "bigint", (c) =>
      c.notNull().references("accounts.id").onDelete("cascade"),
    )
    // A unicode emoji, or a custom emoji's shortcode (without colons).
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`create unique index announcement_reactions_unique_idx
    on announcement_reactions (announcement_id, account_id, name)`.execute(db);
  await sql`create index announcement_reactions_account_idx
    on announcement_reactions (account_id)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable("announcement_reactions").execute();
  await db.schema.dropTable("announcement_dismissals").execute();
  await db.schema.dropTable("announcements").execute();
}
