// Timeline markers (`/api/v1/markers`), plus what fan-out and notifications need to stay
// idempotent and fast when their jobs are retried.
import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("markers")
    .addColumn("account_id", "bigint", (c) =>
      c.notNull().references("accounts.id").onDelete("cascade"),
    )
    // "home" or "notifications".
    .addColumn("timeline", "text", (c) => c.notNull())
    .addColumn("last_read_id", "bigint", (c) => c.notNull())
    .addColumn("version", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint("markers_pk", ["account_id", "timeline"])
    .execute();

  // What caused a notification (`favourite:<id>`, `follow:<id>`, ...), like Mastodon's
  // activity reference: a retried job finds the row it already made (on conflict do nothing),
  // and undoing the activity (unfavourite, unreblog) finds the notification to delete.
  await sql`alter table notifications add column activity_key text`.execute(db);
  await sql`create unique index notifications_activity_idx on notifications (account_id, activity_key)`.execute(
    db,
  );
  // Grouped notifications (v2) read a group by key.
  await sql`create index notifications_group_idx on notifications (account_id, group_key, id desc) where group_key is not null`.execute(
    db,
  );
  // Fan-out skips a boost when the follower's feed already has the original or another
  // boost of it.
  await sql`create index home_feed_reblog_idx on home_feed (account_id, reblog_of_id) where reblog_of_id is not null`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index if exists home_feed_reblog_idx`.execute(db);
  await sql`drop index if exists notifications_group_idx`.execute(db);
  await sql`drop index if exists notifications_activity_idx`.execute(db);
  await sql`alter table notifications drop column if exists activity_key`.execute(db);
  await db.schema.dropTable("markers").execute();
}
