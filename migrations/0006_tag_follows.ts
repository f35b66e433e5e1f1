// Followed hashtags (`POST /api/v1/tags/:name/follow`): the home timeline shows public posts
// with a followed tag, and `GET /api/v1/followed_tags` pages by this table's id, as Mastodon does.
import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("tag_follows")
    .addColumn("id", "bigint", (c) => c.primaryKey())
    .addColumn("account_id", "bigint", (c) =>
      c.notNull().references("accounts.id").onDelete("cascade"),
    )
    .addColumn("tag_id", "bigint", (c) => c.notNull().references("tags.id").onDelete("cascade"))
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint("tag_follows_pair_key", ["account_id", "tag_id"])
    .execute();
  // Fan-out asks "who follows this tag?" for every tagged post.
  await sql`create index tag_follows_tag_idx on tag_follows (tag_id)`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable("tag_follows").execute();
}
