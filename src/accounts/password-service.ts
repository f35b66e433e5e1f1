// Signing in with a password, and resetting a forgotten one through a mailed link. A reset
// link works once and for two hours; using it logs the user out everywhere, since whoever
// knew the old password may hold tokens or sessions.
import { sql } from "kysely";
import type { AccountRow, UserRow } from "../auth/middleware.ts";
import { hashToken, randomToken } from "../auth/tokens.ts";
import type { Db } from "../infra/db/index.ts";
import { queueMail } from "../mail/send.ts";
import { passwordResetMail, RESET_PASSWORD_VALID_HOURS } from "../mail/templates.ts";
import { revokeAccountTokens } from "../oauth/access-tokens.ts";
import type { Services } from "../services.ts";
import {
  hashPassword,
  PASSWORD_MAX,
  PASSWORD_MIN,
  type ValidationDetails,
  verifyPassword,
} from "./local-account-service.ts";
import { normalizeEmail, registrations } from "./registration-service.ts";

export type SignInResult =
  | { ok: true; user: UserRow; account: AccountRow }
  | { ok: false; error: string };

// Verifying against a real hash when the address is unknown keeps the answer time the same,
// so response times don't tell which addresses have accounts.
let dummyHash: Promise<string> | undefined;

/** Checks an email and password; the error text never says which of the two was wrong. */
export async function checkCredentials(
  db: Db,
  emailInput: unknown,
  password: unknown,
): Promise<SignInResult> {
  const invalid = { ok: false, error: "Invalid email or password." } as const;
  const email = normalizeEmail(emailInput);
  if (!email || typeof password !== "string" || !password) return invalid;
  const user = await db
    .selectFrom("users")
    .selectAll()
    .where(sql<string>`lower(email)`, "=", email)
    .executeTakeFirst();
  if (!user) {
    dummyHash ??= hashPassword(randomToken());
    await verifyPassword(await dummyHash, password);
    return invalid;
  }
  if (!(await verifyPassword(user.password_hash, password))) return invalid;
  const account = await db
    .selectFrom("accounts")
    .selectAll()
    .where("id", "=", user.account_id)
    .executeTakeFirstOrThrow();
  if (user.disabled || account.suspended_at) {
    return { ok: false, error: "Your account is disabled." };
  }
  await db
    .updateTable("users")
    .set({ last_sign_in_at: new Date() })
    .where("id", "=", user.id)
    .execute();
  return { ok: true, user, account };
}

/**
 * Mails a reset link if the address belongs to a user. Callers answer the same either way,
 * so the form does not reveal which addresses are registered.
 */
export async function requestPasswordReset(services: Services, emailInput: unknown): Promise<void> {
  const email = normalizeEmail(emailInput);
  if (!email) return;
  const { db } = services;
  const row = await db
    .selectFrom("users")
    .innerJoin("accounts", "accounts.id", "users.account_id")
    .select(["users.id", "users.email", "accounts.username"])
    .where(sql<string>`lower(users.email)`, "=", email)
    .executeTakeFirst();
  if (!row) return;
  const token = randomToken();
  await db
    .updateTable("users")
    .set({ reset_password_token_hash: hashToken(token), reset_password_sent_at: new Date() })
    .where("id", "=", row.id)
    .execute();
  const { site } = await registrations(services);
  await queueMail(
    services,
    passwordResetMail(site, { to: row.email, username: row.username, token }),
  );
}

/** The user a reset link belongs to, while it is valid. */
export async function findUserByResetToken(db: Db, token: unknown): Promise<UserRow | undefined> {
  if (typeof token !== "string" || !token) return undefined;
  return await db
    .selectFrom("users")
    .selectAll()
    .where("reset_password_token_hash", "=", hashToken(token))
    .where("reset_password_sent_at", ">", resetCutoff())
    .executeTakeFirst();
}

function resetCutoff(): Date {
  return new Date(Date.now() - RESET_PASSWORD_VALID_HOURS * 3_600_000);
}

export function passwordDetails(password: string, confirmation?: string): ValidationDetails {
  const details: ValidationDetails = {};
  const add = (field: string, error: string, description: string) => {
    details[field] = [...(details[field] ?? []), { error, description }];
  };
  if (!password) add("password", "ERR_BLANK", "can't be blank");
  else if (password.length < PASSWORD_MIN) {
    add("password", "ERR_TOO_SHORT", `is too short (minimum is ${PASSWORD_MIN} characters)`);
  } else if (password.length > PASSWORD_MAX) {
    add("password", "ERR_TOO_LONG", `is too long (maximum is ${PASSWORD_MAX} characters)`);
  }
  if (confirmation !== undefined && confirmation !== password) {
    add("password_confirmation", "ERR_CONFIRMATION", "doesn't match Password");
  }
  return details;
}

export type ResetResult =
  | { ok: true; user: UserRow }
  | { ok: false; invalidToken: true }
  | { ok: false; invalidToken: false; details: ValidationDetails };

/**
 * Sets a new password from a reset link, then revokes every access token and browser
 * session of the user. The link is consumed in the same statement that checks it.
 */
export async function resetPassword(
  db: Db,
  input: { token: unknown; password: unknown; confirmation?: unknown },
): Promise<ResetResult> {
  const user = await findUserByResetToken(db, input.token);
  if (!user) return { ok: false, invalidToken: true };
  const password = typeof input.password === "string" ? input.password : "";
  const confirmation =
    input.confirmation === undefined
      ? undefined
      : typeof input.confirmation === "string"
        ? input.confirmation
        : "";
  const details = passwordDetails(password, confirmation);
  if (Object.keys(details).length) return { ok: false, invalidToken: false, details };

  const passwordHash = await hashPassword(password);
  const updated = await db.transaction().execute(async (trx) => {
    const row = await trx
      .updateTable("users")
      .set({
        password_hash: passwordHash,
        reset_password_token_hash: null,
        reset_password_sent_at: null,
        updated_at: new Date(),
      })
      .where("id", "=", user.id)
      .where("reset_password_token_hash", "=", hashToken(input.token as string))
      .returningAll()
      .executeTakeFirst();
    if (!row) return undefined;
    await revokeAccountTokens(trx, row.account_id);
    await trx.deleteFrom("web_sessions").where("user_id", "=", row.id).execute();
    return row;
  });
  if (!updated) return { ok: false, invalidToken: true };
  return { ok: true, user: updated };
}
