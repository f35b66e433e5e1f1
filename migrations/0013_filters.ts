// Custom filters (Mastodon's v2 model): a filter owns keywords and statuses and says in
// which contexts it applies and what to do (warn, hide, blur). v1 filters are stored here
// too, one keyword per filter, so both APIs always see the same data.
import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("custom_filters")
    .addColumn("id", "bigint", (c) => c.primaryKey())
    .addColumn("account_id", "bigint", (c) =>
      c.notNull().references("accounts.id").onDelete("cascade"),
    )
    .addColumn("title", "text", (c) => c.notNull())
    // A JSON array of context names (home, notifications, public, thread, account).
    .addColumn("context", "jsonb", (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn("action", "text", (c) => c.notNull().defaultTo("warn"))
    .addColumn("expires_at", "timestamptz")
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`create index custom_filters_account_idx on custom_filters (account_id)`.execute(db);

  await db.schema
    .createTable("custom_filter_keywords")
    .addColumn("id", "bigint", (c) => c.primaryKey())
    .addColumn("custom_filter_id", "bigint", (c) =>
      c.notNull().references("custom_filters.id").onDelete("cascade"),
    )
    .addColumn("keyword", "text", (c) => c.notNull())
    .addColumn("whole_word", "boolean", (c) => c.notNull().defaultTo(true))
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`create index custom_filter_keywords_filter_idx
    on custom_filter_keywords (custom_filter_id)`.execute(db);

  await db.schema
    .createTable("custom_filter_statuses")
    .addColumn("id", "bigint", (c) => c.primaryKey())
    .addColumn("custom_filter_id", "bigint", (c) =>
      c.notNull().references("custom_filters.id").onDelete("cascade"),
    )
    .addColumn("status_id", "bigint", (c) =>
      c.notNull().references("statuses.id").onDelete("cascade"),
    )
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint("custom_filter_statuses_filter_status_key", [
      "custom_filter_id",
      "status_id",
    ])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable("custom_filter_statuses").execute();
  await db.schema.dropTable("custom_filter_keywords").execute();
  await db.schema.dropTable("custom_filters").execute();
}
