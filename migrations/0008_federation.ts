// Federation: key pairs of the instance actor (the server itself, which signs fetches made
// on nobody's behalf). Account keys live in account_keys; the instance actor has no account
// row, so it gets a table of its own.
import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("instance_actor_keys")
    .addColumn("type", "text", (c) => c.primaryKey())
    .addColumn("private_jwk", "jsonb", (c) => c.notNull())
    .addColumn("public_jwk", "jsonb", (c) => c.notNull())
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable("instance_actor_keys").execute();
}
