// Media attachments: local uploads (files in the media storage) and remote attachments
// (remote_url, optionally cached). status_id is set null when the status goes, so a
// delete-and-redraft can attach the same media again; unattached rows are pruned later.
import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("media_attachments")
    .addColumn("id", "bigint", (c) => c.primaryKey())
    .addColumn("account_id", "bigint", (c) =>
      c.notNull().references("accounts.id").onDelete("cascade"),
    )
    .addColumn("status_id", "bigint", (c) => c.references("statuses.id").onDelete("set null"))
    .addColumn("position", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("content_type", "text")
    .addColumn("file_key", "text")
    .addColumn("preview_key", "text")
    .addColumn("file_size", "bigint")
    .addColumn("remote_url", "text")
    .addColumn("description", "text")
    .addColumn("blurhash", "text")
    .addColumn("meta", "jsonb", (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    // pending (queued for the worker), ready, or failed (processing_error says why).
    .addColumn("processing", "text", (c) => c.notNull().defaultTo("ready"))
    .addColumn("processing_error", "text")
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`create index media_attachments_status_idx on media_attachments (status_id, position)
    where status_id is not null`.execute(db);
  // The prune of unattached uploads, and an account's own uploads.
  await sql`create index media_attachments_unattached_idx on media_attachments (created_at)
    where status_id is null`.execute(db);
  await sql`create index media_attachments_account_idx on media_attachments (account_id)`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable("media_attachments").execute();
}
