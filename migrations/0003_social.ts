// The social model: statuses and their edits, mentions and hashtags, the follow graph,
// favourites, bookmarks, blocks, mutes, pins, notifications, and the fanned-out home feed.
import { type Kysely, sql } from "kysely";

const now = sql`now()`;

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("statuses")
    .addColumn("id", "bigint", (c) => c.primaryKey())
    .addColumn("uri", "text", (c) => c.notNull().unique())
    .addColumn("url", "text")
    .addColumn("account_id", "bigint", (c) =>
      c.notNull().references("accounts.id").onDelete("cascade"),
    )
    .addColumn("local", "boolean", (c) => c.notNull())
    .addColumn("in_reply_to_id", "bigint")
    .addColumn("in_reply_to_account_id", "bigint")
    // A reply whose parent we could not fetch keeps the parent's IRI.
    .addColumn("in_reply_to_uri", "text")
    .addColumn("reblog_of_id", "bigint", (c) => c.references("statuses.id").onDelete("cascade"))
    .addColumn("conversation_id", "bigint")
    // Source text of local statuses (for edit and delete-and-redraft).
    .addColumn("text", "text", (c) => c.notNull().defaultTo(""))
    .addColumn("content", "text", (c) => c.notNull().defaultTo(""))
    .addColumn("spoiler_text", "text", (c) => c.notNull().defaultTo(""))
    .addColumn("sensitive", "boolean", (c) => c.notNull().defaultTo(false))
    .addColumn("visibility", "text", (c) => c.notNull())
    .addColumn("language", "text")
    .addColumn("application_id", "bigint")
    .addColumn("replies_count", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("reblogs_count", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("favourites_count", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("edited_at", "timestamptz")
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(now))
    .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(now))
    .execute();
  await sql`create index statuses_account_idx on statuses (account_id, id desc)`.execute(db);
  await sql`create index statuses_reblog_idx on statuses (reblog_of_id) where reblog_of_id is not null`.execute(
    db,
  );
  await sql`create index statuses_reply_idx on statuses (in_reply_to_id) where in_reply_to_id is not null`.execute(
    db,
  );
  await sql`create index statuses_public_idx on statuses (id desc, local) where visibility = 'public' and reblog_of_id is null`.execute(
    db,
  );
  await sql`create index statuses_search_idx on statuses using gin (to_tsvector('simple', regexp_replace(content, '<[^>]*>', ' ', 'g')))`.execute(
    db,
  );

  await db.schema
    .createTable("status_edits")
    .addColumn("id", "bigint", (c) => c.primaryKey())
    .addColumn("status_id", "bigint", (c) =>
      c.notNull().references("statuses.id").onDelete("cascade"),
    )
    .addColumn("account_id", "bigint", (c) => c.notNull())
    .addColumn("text", "text", (c) => c.notNull().defaultTo(""))
    .addColumn("content", "text", (c) => c.notNull())
    .addColumn("spoiler_text", "text", (c) => c.notNull().defaultTo(""))
    .addColumn("sensitive", "boolean", (c) => c.notNull().defaultTo(false))
    .addColumn("media", "jsonb", (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(now))
    .execute();
  await sql`create index status_edits_status_idx on status_edits (status_id, id)`.execute(db);

  await db.schema
    .createTable("mentions")
    .addColumn("status_id", "bigint", (c) =>
      c.notNull().references("statuses.id").onDelete("cascade"),
    )
    .addColumn("account_id", "bigint", (c) =>
      c.notNull().references("accounts.id").onDelete("cascade"),
    )
    .addColumn("silent", "boolean", (c) => c.notNull().defaultTo(false))
    .addPrimaryKeyConstraint("mentions_pk", ["status_id", "account_id"])
    .execute();
  await sql`create index mentions_account_idx on mentions (account_id, status_id desc)`.execute(db);

  await db.schema
    .createTable("tags")
    .addColumn("id", "bigint", (c) => c.primaryKey())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("display_name", "text", (c) => c.notNull())
    .addColumn("listable", "boolean", (c) => c.notNull().defaultTo(true))
    .addColumn("last_status_at", "timestamptz")
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(now))
    .execute();
  await sql`create unique index tags_name_idx on tags (lower(name))`.execute(db);
  await sql`create index tags_name_prefix_idx on tags (lower(name) text_pattern_ops)`.execute(db);

  await db.schema
    .createTable("status_tags")
    .addColumn("status_id", "bigint", (c) =>
      c.notNull().references("statuses.id").onDelete("cascade"),
    )
    .addColumn("tag_id", "bigint", (c) => c.notNull().references("tags.id").onDelete("cascade"))
    .addPrimaryKeyConstraint("status_tags_pk", ["tag_id", "status_id"])
    .execute();
  await sql`create index status_tags_status_idx on status_tags (status_id)`.execute(db);

  // Follows and follow requests: the same shape; a request becomes a follow when accepted.
  for (const table of ["follows", "follow_requests"]) {
    await db.schema
      .createTable(table)
      .addColumn("id", "bigint", (c) => c.primaryKey())
      .addColumn("account_id", "bigint", (c) =>
        c.notNull().references("accounts.id").onDelete("cascade"),
      )
      .addColumn("target_account_id", "bigint", (c) =>
        c.notNull().references("accounts.id").onDelete("cascade"),
      )
      .addColumn("uri", "text")
      .addColumn("show_reblogs", "boolean", (c) => c.notNull().defaultTo(true))
      .addColumn("notify", "boolean", (c) => c.notNull().defaultTo(false))
      .addColumn("languages", "jsonb")
      .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(now))
      .addUniqueConstraint(`${table}_pair_key`, ["account_id", "target_account_id"])
      .execute();
    await sql`create index ${sql.raw(`${table}_target_idx`)} on ${sql.table(table)} (target_account_id, id desc)`.execute(
      db,
    );
  }

  // Per-account relations to another account.
  for (const table of ["blocks", "mutes", "endorsements"]) {
    await db.schema
      .createTable(table)
      .addColumn("id", "bigint", (c) => c.primaryKey())
      .addColumn("account_id", "bigint", (c) =>
        c.notNull().references("accounts.id").onDelete("cascade"),
      )
      .addColumn("target_account_id", "bigint", (c) =>
        c.notNull().references("accounts.id").onDelete("cascade"),
      )
      .addColumn("uri", "text")
      .addColumn("hide_notifications", "boolean", (c) => c.notNull().defaultTo(true))
      .addColumn("expires_at", "timestamptz")
      .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(now))
      .addUniqueConstraint(`${table}_pair_key`, ["account_id", "target_account_id"])
      .execute();
    await sql`create index ${sql.raw(`${table}_target_idx`)} on ${sql.table(table)} (target_account_id)`.execute(
      db,
    );
  }

  // Per-account relations to a status.
  for (const table of ["favourites", "bookmarks", "status_pins", "status_mutes"]) {
    await db.schema
      .createTable(table)
      .addColumn("id", "bigint", (c) => c.primaryKey())
      .addColumn("account_id", "bigint", (c) =>
        c.notNull().references("accounts.id").onDelete("cascade"),
      )
      .addColumn("status_id", "bigint", (c) =>
        c.notNull().references("statuses.id").onDelete("cascade"),
      )
      .addColumn("uri", "text")
      .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(now))
      .addUniqueConstraint(`${table}_pair_key`, ["account_id", "status_id"])
      .execute();
    await sql`create index ${sql.raw(`${table}_status_idx`)} on ${sql.table(table)} (status_id)`.execute(
      db,
    );
  }

  await db.schema
    .createTable("notifications")
    .addColumn("id", "bigint", (c) => c.primaryKey())
    .addColumn("account_id", "bigint", (c) =>
      c.notNull().references("accounts.id").onDelete("cascade"),
    )
    .addColumn("from_account_id", "bigint", (c) =>
      c.notNull().references("accounts.id").onDelete("cascade"),
    )
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("status_id", "bigint", (c) => c.references("statuses.id").onDelete("cascade"))
    .addColumn("group_key", "text")
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(now))
    .execute();
  await sql`create index notifications_account_idx on notifications (account_id, id desc)`.execute(
    db,
  );

  // Home timelines, fanned out on write: reading one is a single index range scan.
  await db.schema
    .createTable("home_feed")
    .addColumn("account_id", "bigint", (c) =>
      c.notNull().references("accounts.id").onDelete("cascade"),
    )
    .addColumn("status_id", "bigint", (c) =>
      c.notNull().references("statuses.id").onDelete("cascade"),
    )
    // The boosted status, so a boost of something already in the feed can be skipped.
    .addColumn("reblog_of_id", "bigint")
    .addPrimaryKeyConstraint("home_feed_pk", ["account_id", "status_id"])
    .execute();
  await sql`create index home_feed_status_idx on home_feed (status_id)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of [
    "home_feed",
    "notifications",
    "status_mutes",
    "status_pins",
    "bookmarks",
    "favourites",
    "endorsements",
    "mutes",
    "blocks",
    "follow_requests",
    "follows",
    "status_tags",
    "tags",
    "mentions",
    "status_edits",
    "statuses",
  ]) {
    await db.schema.dropTable(t).execute();
  }
}
