// Direct-message conversations per participant, Web Push subscriptions, and the state that
// batches notification emails (one pending mail per user at a time).
import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  // One row per (local account, thread): Mastodon's account_conversations. The thread is
  // statuses.conversation_id. last_status_id has no foreign key on purpose: when that status
  // is deleted the conversations subscriber still finds the row by it and repairs it.
  await db.schema
    .createTable("account_conversations")
    .addColumn("id", "bigint", (c) => c.primaryKey())
    .addColumn("account_id", "bigint", (c) =>
      c.notNull().references("accounts.id").onDelete("cascade"),
    )
    .addColumn("conversation_id", "bigint", (c) => c.notNull())
    .addColumn("participant_account_ids", "jsonb", (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn("last_status_id", "bigint", (c) => c.notNull())
    .addColumn("unread", "boolean", (c) => c.notNull().defaultTo(false))
    .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint("account_conversations_thread_key", ["account_id", "conversation_id"])
    .execute();
  // The list is read newest message first, and paged by last_status_id.
  await sql`create index account_conversations_list_idx on account_conversations (account_id, last_status_id desc)`.execute(
    db,
  );
  await sql`create index account_conversations_last_status_idx on account_conversations (last_status_id)`.execute(
    db,
  );

  // One subscription per access token: revoking or deleting the token ends it.
  await db.schema
    .createTable("web_push_subscriptions")
    .addColumn("id", "bigint", (c) => c.primaryKey())
    .addColumn("token_id", "bigint", (c) =>
      c.notNull().unique().references("oauth_tokens.id").onDelete("cascade"),
    )
    .addColumn("account_id", "bigint", (c) =>
      c.notNull().references("accounts.id").onDelete("cascade"),
    )
    .addColumn("endpoint", "text", (c) => c.notNull())
    .addColumn("key_p256dh", "text", (c) => c.notNull())
    .addColumn("key_auth", "text", (c) => c.notNull())
    .addColumn("alerts", "jsonb", (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn("policy", "text", (c) => c.notNull().defaultTo("all"))
    // RFC 8291 (aes128gcm) when true; the legacy draft (aesgcm) Mastodon used before 4.4.
    .addColumn("standard", "boolean", (c) => c.notNull().defaultTo(false))
    // The bearer token, encrypted with the instance secret: Mastodon puts it in the payload.
    .addColumn("sealed_token", "text", (c) => c.notNull())
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createIndex("web_push_subscriptions_account_idx")
    .on("web_push_subscriptions")
    .column("account_id")
    .execute();

  // Notification emails: which notifications were already mailed, and whether a batch is
  // scheduled (pending_since set), so a burst of notifications becomes one message.
  await db.schema
    .createTable("notification_email_state")
    .addColumn("account_id", "bigint", (c) =>
      c.primaryKey().references("accounts.id").onDelete("cascade"),
    )
    .addColumn("last_notification_id", "bigint")
    .addColumn("pending_since", "timestamptz")
    .addColumn("last_sent_at", "timestamptz")
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable("notification_email_state").ifExists().execute();
  await db.schema.dropTable("web_push_subscriptions").ifExists().execute();
  await db.schema.dropTable("account_conversations").ifExists().execute();
}
