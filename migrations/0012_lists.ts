// Lists (`/api/v1/lists`): named sets of followed accounts, each with its own feed.
// - lists: owned by a local account; `replies_policy` and `exclusive` as on Mastodon.
// - list_accounts: members. Each row points at the owner's follow of the member, so when
//   the follow goes (unfollow, block, removal from followers, account deletion) the
//   membership goes with it in the same statement, as Mastodon ties list_accounts to follows.
// - list_feed: the list timeline, fanned out on write like home_feed; reading it is one
//   range scan on (list_id, status_id).
import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("lists")
    .addColumn("id", "bigint", (c) => c.primaryKey())
    .addColumn("account_id", "bigint", (c) =>
      c.notNull().references("accounts.id").onDelete("cascade"),
    )
    .addColumn("title", "text", (c) => c.notNull())
    .addColumn("replies_policy", "text", (c) => c.notNull().defaultTo("list"))
    .addColumn("exclusive", "boolean", (c) => c.notNull().defaultTo(false))
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addCheckConstraint(
      "lists_replies_policy_check",
      sql`replies_policy in ('followed', 'list', 'none')`,
    )
    .execute();
  await sql`create index lists_account_idx on lists (account_id)`.execute(db);

  await db.schema
    .createTable("list_accounts")
    .addColumn("id", "bigint", (c) => c.primaryKey())
    .addColumn("list_id", "bigint", (c) => c.notNull().references("lists.id").onDelete("cascade"))
    .addColumn("account_id", "bigint", (c) =>
      c.notNull().references("accounts.id").onDelete("cascade"),
    )
    .addColumn("follow_id", "bigint", (c) =>
      c.notNull().references("follows.id").onDelete("cascade"),
    )
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint("list_accounts_pair_key", ["list_id", "account_id"])
    .execute();
  // Fan-out asks "which lists hold this author?" for every status.
  await sql`create index list_accounts_account_idx on list_accounts (account_id)`.execute(db);
  await sql`create index list_accounts_follow_idx on list_accounts (follow_id)`.execute(db);

  await db.schema
    .createTable("list_feed")
    .addColumn("list_id", "bigint", (c) => c.notNull().references("lists.id").onDelete("cascade"))
    .addColumn("status_id", "bigint", (c) =>
      c.notNull().references("statuses.id").onDelete("cascade"),
    )
    .addColumn("reblog_of_id", "bigint")
    .addPrimaryKeyConstraint("list_feed_pk", ["list_id", "status_id"])
    .execute();
  await sql`create index list_feed_status_idx on list_feed (status_id)`.execute(db);
  // A boost is skipped when the list already has the original or another boost of it.
  await sql`create index list_feed_reblog_idx on list_feed (list_id, reblog_of_id) where reblog_of_id is not null`.execute(
    db,
  );
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable("list_feed").execute();
  await db.schema.dropTable("list_accounts").execute();
  await db.schema.dropTable("lists").execute();
}
