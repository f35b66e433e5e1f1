// Analytics for admins: which local accounts were active on which day (daily active users
// and retention cohorts), staff decisions on what may trend, and the days whose report has
// been mailed (so several workers mail it once).
import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("daily_activity")
    .addColumn("day", "date", (c) => c.notNull())
    .addColumn("account_id", "bigint", (c) =>
      c.notNull().references("accounts.id").onDelete("cascade"),
    )
    .addPrimaryKeyConstraint("daily_activity_pkey", ["day", "account_id"])
    .execute();
  // Retention follows one cohort's accounts across days.
  await db.schema
    .createIndex("daily_activity_account_day_idx")
    .on("daily_activity")
    .columns(["account_id", "day"])
    .execute();

  await db.schema
    .createTable("trend_reviews")
    .addColumn("kind", "text", (c) => c.notNull().check(sql`kind in ('tag', 'status', 'link')`))
    .addColumn("target_id", "bigint", (c) => c.notNull())
    .addColumn("trendable", "boolean", (c) => c.notNull())
    .addColumn("reviewed_by_account_id", "bigint", (c) =>
      c.references("accounts.id").onDelete("set null"),
    )
    .addColumn("reviewed_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint("trend_reviews_pkey", ["kind", "target_id"])
    .execute();

  await db.schema
    .createTable("admin_daily_reports")
    .addColumn("day", "date", (c) => c.primaryKey())
    .addColumn("sent_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable("admin_daily_reports").execute();
  await db.schema.dropTable("trend_reviews").execute();
  await db.schema.dropTable("daily_activity").execute();
}
