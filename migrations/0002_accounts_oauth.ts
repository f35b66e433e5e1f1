// Accounts (local and remote actors), local users, OAuth applications, grants and tokens,
// and browser sessions.
import { type Kysely, sql } from "kysely";

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("accounts")
    .addColumn("id", "bigint", (c) => c.primaryKey())
    .addColumn("username", "text", (c) => c.notNull())
    // null for local accounts; the remote host otherwise.
    .addColumn("domain", "text")
    .addColumn("display_name", "text", (c) => c.notNull().defaultTo(""))
    .addColumn("note", "text", (c) => c.notNull().defaultTo(""))
    .addColumn("uri", "text", (c) => c.notNull().unique())
    .addColumn("url", "text")
    .addColumn("inbox_url", "text")
    .addColumn("shared_inbox_url", "text")
    .addColumn("outbox_url", "text")
    .addColumn("followers_url", "text")
    .addColumn("following_url", "text")
    .addColumn("featured_url", "text")
    .addColumn("avatar_url", "text")
    .addColumn("header_url", "text")
    .addColumn("locked", "boolean", (c) => c.notNull().defaultTo(false))
    .addColumn("bot", "boolean", (c) => c.notNull().defaultTo(false))
    .addColumn("group", "boolean", (c) => c.notNull().defaultTo(false))
    .addColumn("discoverable", "boolean")
    .addColumn("indexable", "boolean", (c) => c.notNull().defaultTo(false))
    .addColumn("hide_collections", "boolean", (c) => c.notNull().defaultTo(false))
    .addColumn("fields", "jsonb", (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn("also_known_as", "jsonb", (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn("moved_to_account_id", "bigint")
    .addColumn("public_key_id", "text")
    .addColumn("public_key_pem", "text")
    .addColumn("followers_count", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("following_count", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("statuses_count", "integer", (c) => c.notNull().defaultTo(0))
    .addColumn("last_status_at", "timestamptz")
    .addColumn("suspended_at", "timestamptz")
    .addColumn("silenced_at", "timestamptz")
    .addColumn("sensitized_at", "timestamptz")
    .addColumn("fetched_at", "timestamptz")
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  // Usernames are unique per domain, case-insensitively.
  await sql`create unique index accounts_username_domain_idx on accounts (lower(username), coalesce(lower(domain), ''))`.execute(
    db,
  );

  // Key pairs of local actors (RSA for HTTP/LD signatures, Ed25519 for object proofs).
  await db.schema
    .createTable("account_keys")
    .addColumn("account_id", "bigint", (c) =>
      c.notNull().references("accounts.id").onDelete("cascade"),
    )
    .addColumn("type", "text", (c) => c.notNull())
    .addColumn("private_jwk", "jsonb", (c) => c.notNull())
    .addColumn("public_jwk", "jsonb", (c) => c.notNull())
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint("account_keys_pk", ["account_id", "type"])
    .execute();

  await db.schema
    .createTable("users")
    .addColumn("id", "bigint", (c) => c.primaryKey())
    .addColumn("account_id", "bigint", (c) =>
      c.notNull().unique().references("accounts.id").onDelete("cascade"),
    )
    .addColumn("email", "text", (c) => c.notNull())
    .addColumn("password_hash", "text", (c) => c.notNull())
    .addColumn("role", "text", (c) => c.notNull().defaultTo("user"))
    .addColumn("confirmed_at", "timestamptz")
    .addColumn("confirmation_token_hash", "text")
    .addColumn("confirmation_sent_at", "timestamptz")
    .addColumn("unconfirmed_email", "text")
    .addColumn("approved", "boolean", (c) => c.notNull().defaultTo(true))
    .addColumn("disabled", "boolean", (c) => c.notNull().defaultTo(false))
    .addColumn("locale", "text", (c) => c.notNull().defaultTo("en"))
    .addColumn("reason", "text")
    .addColumn("reset_password_token_hash", "text")
    .addColumn("reset_password_sent_at", "timestamptz")
    .addColumn("sign_up_ip", "text")
    .addColumn("last_sign_in_at", "timestamptz")
    .addColumn("settings", "jsonb", (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn("updated_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`create unique index users_email_idx on users (lower(email))`.execute(db);

  await db.schema
    .createTable("oauth_applications")
    .addColumn("id", "bigint", (c) => c.primaryKey())
    .addColumn("name", "text", (c) => c.notNull())
    .addColumn("website", "text")
    .addColumn("redirect_uris", "jsonb", (c) => c.notNull())
    .addColumn("scopes", "text", (c) => c.notNull())
    .addColumn("client_id", "text", (c) => c.notNull().unique())
    // Kept in the clear: Mastodon shows it again to the app's owner, and it is random.
    .addColumn("client_secret", "text", (c) => c.notNull())
    .addColumn("owner_account_id", "bigint", (c) => c.references("accounts.id").onDelete("cascade"))
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable("oauth_grants")
    .addColumn("id", "bigint", (c) => c.primaryKey())
    .addColumn("code_hash", "text", (c) => c.notNull().unique())
    .addColumn("application_id", "bigint", (c) =>
      c.notNull().references("oauth_applications.id").onDelete("cascade"),
    )
    .addColumn("account_id", "bigint", (c) =>
      c.notNull().references("accounts.id").onDelete("cascade"),
    )
    .addColumn("redirect_uri", "text", (c) => c.notNull())
    .addColumn("scopes", "text", (c) => c.notNull())
    .addColumn("code_challenge", "text")
    .addColumn("code_challenge_method", "text")
    .addColumn("expires_at", "timestamptz", (c) => c.notNull())
    .addColumn("used_at", "timestamptz")
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();

  await db.schema
    .createTable("oauth_tokens")
    .addColumn("id", "bigint", (c) => c.primaryKey())
    .addColumn("token_hash", "text", (c) => c.notNull().unique())
    .addColumn("application_id", "bigint", (c) =>
      c.notNull().references("oauth_applications.id").onDelete("cascade"),
    )
    // null for client_credentials tokens (an app acting for itself).
    .addColumn("account_id", "bigint", (c) => c.references("accounts.id").onDelete("cascade"))
    .addColumn("scopes", "text", (c) => c.notNull())
    .addColumn("grant_id", "bigint")
    .addColumn("revoked_at", "timestamptz")
    .addColumn("last_used_at", "timestamptz")
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createIndex("oauth_tokens_account_idx")
    .on("oauth_tokens")
    .column("account_id")
    .execute();

  await db.schema
    .createTable("web_sessions")
    .addColumn("id", "bigint", (c) => c.primaryKey())
    .addColumn("session_hash", "text", (c) => c.notNull().unique())
    .addColumn("user_id", "bigint", (c) => c.notNull().references("users.id").onDelete("cascade"))
    .addColumn("ip", "text")
    .addColumn("user_agent", "text")
    .addColumn("expires_at", "timestamptz", (c) => c.notNull())
    .addColumn("created_at", "timestamptz", (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const t of [
    "web_sessions",
    "oauth_tokens",
    "oauth_grants",
    "oauth_applications",
    "users",
    "account_keys",
    "accounts",
  ]) {
    await db.schema.dropTable(t).execute();
  }
}
