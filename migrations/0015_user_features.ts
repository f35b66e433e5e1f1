// Per-user features of issue #8: scheduled statuses (with the media they reserve), domain
// blocks, featured hashtags, and the notification policy with its filtered-notification
// requests (filtered notifications stay in `notifications`, flagged, until accepted).
import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  // `params` holds what POST /statuses was given; the worker job publishes from it.
  await db.schema
    .createTable("scheduled_statuses")
    .addColumn("id", "bigint", (c) => c.primaryKey())
    .addColumn("account_id", "bigint", (c) =>
      c.notNull().references("accounts.id").onDelete("cascade"),
    )
    .addColumn("scheduled_at", "timestamptz", (c) => c.notNull())
    .addColumn("params", "jsonb", (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`create index scheduled_statuses_account_idx on scheduled_statuses (account_id, scheduled_at)`.execute(
    db,
  );
  // Media held for a scheduled status: not attachable elsewhere, not pruned as unattached.
  await db.schema
    .alterTable("media_attachments")
    .addColumn("scheduled_status_id", "bigint", (c) =>
      c.references("scheduled_statuses.id").onDelete("set null"),
    )
    .execute();
  await sql`create index media_attachments_scheduled_idx on media_attachments (scheduled_status_id)
    where scheduled_status_id is not null`.execute(db);

  await db.schema
    .createTable("account_domain_blocks")
    .addColumn("id", "bigint", (c) => c.primaryKey())
    .addColumn("account_id", "bigint", (c) =>
      c.notNull().references("accounts.id").onDelete("cascade"),
    )
    .addColumn("domain", "text", (c) => c.notNull())
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint("account_domain_blocks_key", ["account_id", "domain"])
    .execute();

  // Counts and last use are computed from the account's statuses when read.
  await db.schema
    .createTable("featured_tags")
    .addColumn("id", "bigint", (c) => c.primaryKey())
    .addColumn("account_id", "bigint", (c) =>
      c.notNull().references("accounts.id").onDelete("cascade"),
    )
    .addColumn("tag_id", "bigint", (c) => c.notNull().references("tags.id").onDelete("cascade"))
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint("featured_tags_key", ["account_id", "tag_id"])
    .execute();

  await db.schema
    .createTable("notification_policies")
    .addColumn("account_id", "bigint", (c) =>
      c.primaryKey().references("accounts.id").onDelete("cascade"),
    )
    .addColumn("for_not_following", "text", (c) => c.notNull().defaultTo("accept"))
    .addColumn("for_not_followers", "text", (c) => c.notNull().defaultTo("accept"))
    .addColumn("for_new_accounts", "text", (c) => c.notNull().defaultTo("accept"))
    .addColumn("for_private_mentions", "text", (c) => c.notNull().defaultTo("accept"))
    .addColumn("for_limited_accounts", "text", (c) => c.notNull().defaultTo("filter"))
    .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable("notification_requests")
    .addColumn("id", "bigint", (c) => c.primaryKey())
    .addColumn("account_id", "bigint", (c) =>
      c.notNull().references("accounts.id").onDelete("cascade"),
    )
    .addColumn("from_account_id", "bigint", (c) =>
      c.notNull().references("accounts.id").onDelete("cascade"),
    )
    .addColumn("last_status_id", "bigint", (c) => c.references("statuses.id").onDelete("set null"))
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint("notification_requests_key", ["account_id", "from_account_id"])
    .execute();

  // Senders whose request was accepted: their notifications are never filtered again.
  await db.schema
    .createTable("notification_permissions")
    .addColumn("id", "bigint", (c) => c.primaryKey())
    .addColumn("account_id", "bigint", (c) =>
      c.notNull().references("accounts.id").onDelete("cascade"),
    )
    .addColumn("from_account_id", "bigint", (c) =>
      c.notNull().references("accounts.id").onDelete("cascade"),
    )
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint("notification_permissions_key", ["account_id", "from_account_id"])
    .execute();

  await db.schema
    .alterTable("notifications")
    .addColumn("filtered", "boolean", (c) => c.notNull().defaultTo(false))
    .execute();
  await sql`create index notifications_filtered_idx on notifications (account_id, from_account_id)
    where filtered`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists notifications_filtered_idx`.execute(db);
  await db.schema.alterTable("notifications").dropColumn("filtered").execute();
  await db.schema.dropTable("notification_permissions").execute();
  await db.schema.dropTable("notification_requests").execute();
  await db.schema.dropTable("notification_policies").execute();
  await db.schema.dropTable("featured_tags").execute();
  await db.schema.dropTable("account_domain_blocks").execute();
  await sql`drop index if exists media_attachments_scheduled_idx`.execute(db);
  await db.schema.alterTable("media_attachments").dropColumn("scheduled_status_id").execute();
  await db.schema.dropTable("scheduled_statuses").execute();
}
