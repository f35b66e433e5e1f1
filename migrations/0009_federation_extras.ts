// Federation extras: reports received from other servers (Flag; the moderation side builds
// on this table) and the delivery health of remote hosts (federation/hosts.ts).
import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("reports")
    .addColumn("id", "bigint", (c) => c.primaryKey())
    // The reporter; for a Flag from another server, its actor (often the instance actor).
    .addColumn("account_id", "bigint", (c) =>
      c.notNull().references("accounts.id").onDelete("cascade"),
    )
    .addColumn("target_account_id", "bigint", (c) =>
      c.notNull().references("accounts.id").onDelete("cascade"),
    )
    .addColumn("status_ids", "jsonb", (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn("comment", "text", (c) => c.notNull().defaultTo(""))
    // The Flag's id: the same report delivered twice is stored once.
    .addColumn("uri", "text", (c) => c.unique())
    .addColumn("forwarded", "boolean", (c) => c.notNull().defaultTo(false))
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createIndex("reports_target_account_id_idx")
    .on("reports")
    .column("target_account_id")
    .execute();

  await db.schema
    .createTable("federation_hosts")
    .addColumn("host", "text", (c) => c.primaryKey())
    .addColumn("failing_since", "timestamptz")
    .addColumn("last_failure_at", "timestamptz")
    .addColumn("last_success_at", "timestamptz")
    .addColumn("unavailable", "boolean", (c) => c.notNull().defaultTo(false))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable("federation_hosts").execute();
  await db.schema.dropTable("reports").execute();
}
