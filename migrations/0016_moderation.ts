// Moderation: the columns Mastodon's Report and Admin::Report carry on top of what a Flag
// needed (migration 0009), and the audit log of staff actions (src/moderation/audit-log.ts).
import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable("reports")
    // spam, legal, violation or other (Mastodon's Report categories).
    .addColumn("category", "text", (c) => c.notNull().defaultTo("other"))
    .addColumn("rule_ids", "jsonb", (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    // Set when resolved; cleared when reopened.
    .addColumn("action_taken_at", "timestamptz")
    .addColumn("action_taken_by_account_id", "bigint", (c) =>
      c.references("accounts.id").onDelete("set null"),
    )
    .addColumn("assigned_account_id", "bigint", (c) =>
      c.references("accounts.id").onDelete("set null"),
    )
    .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  // The admin list: unresolved first is the common query.
  await sql`create index reports_unresolved_idx on reports (id) where action_taken_at is null`.execute(
    db,
  );
  await sql`create index reports_account_id_idx on reports (account_id)`.execute(db);

  await db.schema
    .createTable("admin_action_logs")
    .addColumn("id", "bigint", (c) => c.primaryKey())
    // The staff member who acted; null once that account is gone (the entry stays).
    .addColumn("account_id", "bigint", (c) => c.references("accounts.id").onDelete("set null"))
    .addColumn("action", "text", (c) => c.notNull())
    .addColumn("target_type", "text", (c) => c.notNull())
    .addColumn("target_id", "text", (c) => c.notNull())
    // What the target was called when acted on (a username, a domain): it may be gone later.
    .addColumn("human_identifier", "text")
    .addColumn("details", "jsonb", (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`create index admin_action_logs_account_idx on admin_action_logs (account_id, id)`.execute(
    db,
  );
  await sql`create index admin_action_logs_target_idx on admin_action_logs (target_type, target_id)`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable("admin_action_logs").execute();
  await sql`drop index if exists reports_unresolved_idx`.execute(db);
  await sql`drop index if exists reports_account_id_idx`.execute(db);
  await db.schema
    .alterTable("reports")
    .dropColumn("category")
    .dropColumn("rule_ids")
    .dropColumn("action_taken_at")
    .dropColumn("action_taken_by_account_id")
    .dropColumn("assigned_account_id")
    .dropColumn("updated_at")
    .execute();
}
