// Creating local users: the one place that turns a username, email and password into an
// account, a user and its actor URLs, with Mastodon's validation rules and error shape.
import argon2 from "argon2";
import { sql } from "kysely";
import type { AccountRow, UserRow } from "../auth/middleware.ts";
import type { Config } from "../config.ts";
import { ApiError } from "../http/errors.ts";
import type { Db } from "../infra/db/index.ts";
import type { Role } from "../infra/db/schema.ts";
import { newId } from "../infra/ids.ts";

export const USERNAME_MAX = 30;
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 72;

// Names that would collide with routes, system actors or impersonate staff (Mastodon's list, roughly).
const RESERVED_USERNAMES = new Set([
  "admin",
  "administrator",
  "root",
  "support",
  "help",
  "info",
  "moderator",
  "mod",
  "owner",
  "staff",
  "security",
  "abuse",
  "postmaster",
  "hostmaster",
  "webmaster",
  "mailer-daemon",
  "noreply",
  "no-reply",
  "instance",
  "instance.actor",
  "actor",
  "roost",
  "system",
  "api",
  "oauth",
  "auth",
  "users",
  "inbox",
  "outbox",
  "settings",
  "about",
  "explore",
  "public",
  "home",
  "nodeinfo",
  "well-known",
]);

export interface ValidationDetail {
  error: string;
  description: string;
}
export type ValidationDetails = Record<string, ValidationDetail[]>;

/** Mastodon's 422: `{"error":"Validation failed: ...","details":{field:[{error,description}]}}`. */
export function validationError(details: ValidationDetails): ApiError {
  const summary = Object.entries(details)
    .flatMap(([field, list]) => list.map((d) => `${humanize(field)} ${d.description}`))
    .join(", ");
  return ApiError.unprocessable(`Validation failed: ${summary}`, details);
}

function humanize(field: string): string {
  const words = field.replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function add(details: ValidationDetails, field: string, error: string, description: string) {
  details[field] = [...(details[field] ?? []), { error, description }];
}

export function isValidEmail(email: string): boolean {
  return email.length <= 254 && /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email);
}

export interface NewLocalUser {
  username: string;
  email: string;
  password: string;
  role?: Role;
  confirmed?: boolean;
  approved?: boolean;
  locale?: string;
  reason?: string | null;
  signUpIp?: string | null;
  displayName?: string;
}

/** Checks a new user's fields against Mastodon's rules and the existing accounts. */
export async function validateNewLocalUser(
  db: Db,
  input: Pick<NewLocalUser, "username" | "email" | "password">,
  options: { allowReserved?: boolean } = {},
): Promise<ValidationDetails> {
  const details: ValidationDetails = {};
  const { username, email, password } = input;
  if (!username) add(details, "username", "ERR_BLANK", "can't be blank");
  else if (!/^[A-Za-z0-9_]+$/.test(username)) {
    add(details, "username", "ERR_INVALID", "must contain only letters, numbers and underscores");
  } else if (username.length > USERNAME_MAX) {
    add(details, "username", "ERR_TOO_LONG", `is too long (maximum is ${USERNAME_MAX} characters)`);
  } else if (!options.allowReserved && RESERVED_USERNAMES.has(username.toLowerCase())) {
    add(details, "username", "ERR_RESERVED", "is reserved");
  } else {
    const taken = await db
      .selectFrom("accounts")
      .select("id")
      .where(sql<string>`lower(username)`, "=", username.toLowerCase())
      .where("domain", "is", null)
      .executeTakeFirst();
    if (taken) add(details, "username", "ERR_TAKEN", "has already been taken");
  }
  if (!email) add(details, "email", "ERR_BLANK", "can't be blank");
  else if (!isValidEmail(email)) add(details, "email", "ERR_INVALID", "is invalid");
  else {
    const taken = await db
      .selectFrom("users")
      .select("id")
      .where(sql<string>`lower(email)`, "=", email.toLowerCase())
      .executeTakeFirst();
    if (taken) add(details, "email", "ERR_TAKEN", "has already been taken");
  }
  if (!password) add(details, "password", "ERR_BLANK", "can't be blank");
  else if (password.length < PASSWORD_MIN) {
    add(
      details,
      "password",
      "ERR_TOO_SHORT",
      `is too short (minimum is ${PASSWORD_MIN} characters)`,
    );
  } else if (password.length > PASSWORD_MAX) {
    add(details, "password", "ERR_TOO_LONG", `is too long (maximum is ${PASSWORD_MAX} characters)`);
  }
  return details;
}

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, { type: argon2.argon2id });
}

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}

/** The ActivityPub and web URLs of a local actor. */
export function localActorUrls(config: Pick<Config, "publicUrl">, username: string) {
  const base = `${config.publicUrl}/users/${username}`;
  return {
    uri: base,
    url: `${config.publicUrl}/@${username}`,
    inbox_url: `${base}/inbox`,
    shared_inbox_url: `${config.publicUrl}/inbox`,
    outbox_url: `${base}/outbox`,
    followers_url: `${base}/followers`,
    following_url: `${base}/following`,
    featured_url: `${base}/collections/featured`,
  };
}

/**
 * Validates and creates a local account and its user in one transaction.
 * Throws a 422 ApiError with Mastodon's `details` when a field is refused.
 */
export async function createLocalUser(
  db: Db,
  config: Pick<Config, "publicUrl">,
  input: NewLocalUser,
  options: { allowReserved?: boolean } = {},
): Promise<{ account: AccountRow; user: UserRow }> {
  const details = await validateNewLocalUser(db, input, options);
  if (Object.keys(details).length) throw validationError(details);
  const passwordHash = await hashPassword(input.password);
  try {
    return await db.transaction().execute(async (trx) => {
      const account = await trx
        .insertInto("accounts")
        .values({
          id: newId(),
          username: input.username,
          domain: null,
          display_name: input.displayName ?? "",
          ...localActorUrls(config, input.username),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      const user = await trx
        .insertInto("users")
        .values({
          id: newId(),
          account_id: account.id,
          email: input.email,
          password_hash: passwordHash,
          role: input.role ?? "user",
          confirmed_at: input.confirmed ? new Date() : null,
          approved: input.approved ?? true,
          locale: input.locale ?? "en",
          reason: input.reason ?? null,
          sign_up_ip: input.signUpIp ?? null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return { account, user };
    });
  } catch (e) {
    // Two sign-ups racing for one name: the unique index decides, the loser gets a 422.
    if ((e as { code?: string }).code === "23505") {
      const field = String((e as { constraint?: string }).constraint ?? "").includes("email")
        ? "email"
        : "username";
      throw validationError({
        [field]: [{ error: "ERR_TAKEN", description: "has already been taken" }],
      });
    }
    throw e;
  }
}
