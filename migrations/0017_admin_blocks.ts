// Admin blocks and instance rules: federation policy per domain (domain_blocks,
// domain_allows), sign-up refusals (email_domain_blocks, canonical_email_blocks, ip_blocks)
// and the server rules, which get their own rows so reports can name them by a stable id.
import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("domain_blocks")
    .addColumn("id", "bigint", (c) => c.primaryKey())
    // Lowercase, punycode; a block covers the domain and every subdomain.
    .addColumn("domain", "text", (c) => c.notNull().unique())
    .addColumn("severity", "text", (c) => c.notNull().defaultTo("silence"))
    .addColumn("reject_media", "boolean", (c) => c.notNull().defaultTo(false))
    .addColumn("reject_reports", "boolean", (c) => c.notNull().defaultTo(false))
    .addColumn("private_comment", "text")
    .addColumn("public_comment", "text")
    .addColumn("obfuscate", "boolean", (c) => c.notNull().defaultTo(false))
    // The timestamp written into accounts.suspended_at/silenced_at when the block was
    // applied: lifting the block clears exactly those marks, not ones set by moderators.
    .addColumn("applied_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable("domain_allows")
    .addColumn("id", "bigint", (c) => c.primaryKey())
    .addColumn("domain", "text", (c) => c.notNull().unique())
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable("email_domain_blocks")
    .addColumn("id", "bigint", (c) => c.primaryKey())
    .addColumn("domain", "text", (c) => c.notNull().unique())
    // Mastodon 4.3: sign-ups from the domain are held for approval instead of refused.
    .addColumn("allow_with_approval", "boolean", (c) => c.notNull().defaultTo(false))
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable("canonical_email_blocks")
    .addColumn("id", "bigint", (c) => c.primaryKey())
    .addColumn("canonical_email_hash", "text", (c) => c.notNull().unique())
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable("ip_blocks")
    .addColumn("id", "bigint", (c) => c.primaryKey())
    // A network (`inet` keeps the prefix length): matched with `>>=`.
    .addColumn("ip", sql`inet`, (c) => c.notNull().unique())
    .addColumn("severity", "text", (c) => c.notNull())
    .addColumn("comment", "text", (c) => c.notNull().defaultTo(""))
    .addColumn("expires_at", "timestamptz")
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable("rules")
    .addColumn("id", "bigint", (c) => c.primaryKey())
    .addColumn("text", "text", (c) => c.notNull())
    .addColumn("hint", "text", (c) => c.notNull().defaultTo(""))
    .addColumn("priority", "integer", (c) => c.notNull().defaultTo(0))
    // Deleted rules stay (reports keep naming them) but are no longer listed.
    .addColumn("deleted_at", "timestamptz")
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    "rules",
    "ip_blocks",
    "canonical_email_blocks",
    "email_domain_blocks",
    "domain_allows",
    "domain_blocks",
  ]) {
    await db.schema.dropTable(table).execute();
  }
}
