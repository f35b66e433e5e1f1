// Sign-up, email confirmation and email change, shared by the API and the web pages.
// Rules follow Mastodon: registrations may be open, need approval or be closed; the
// agreement must be accepted; every new address is confirmed by a mailed link (valid two
// days) before it is used; a changed address takes effect only once confirmed.
import { sql } from "kysely";
import type { AccountRow, UserRow } from "../auth/middleware.ts";
import { hashToken, randomToken } from "../auth/tokens.ts";
import { emitEvent } from "../events/emit.ts";
import { ApiError } from "../http/errors.ts";
import type { Db } from "../infra/db/index.ts";
import { getInstanceSettings, type RegistrationsMode } from "../instance/settings.ts";
import { queueMail } from "../mail/send.ts";
import {
  CONFIRMATION_VALID_HOURS,
  confirmationMail,
  emailChangeMail,
  type MailSite,
} from "../mail/templates.ts";
import { screenSignUp } from "../moderation/email-blocks.ts";
import type { Services } from "../services.ts";
import {
  createLocalUser,
  isValidEmail,
  type ValidationDetails,
  validateNewLocalUser,
  validationError,
  verifyPassword,
} from "./local-account-service.ts";

/** Mastodon's limit on the "why do you want to join" text (its invite request). */
export const REASON_MAX = 420;

/** Values Rails' acceptance validation takes as "accepted", plus the HTML checkbox default. */
const ACCEPTED = new Set([true, "true", "1", "on", 1]);

export interface SignUpInput {
  username: unknown;
  email: unknown;
  password: unknown;
  agreement: unknown;
  locale?: unknown;
  reason?: unknown;
  ip?: string | null;
}

export interface Registrations {
  mode: RegistrationsMode;
  message: string | null;
  site: MailSite;
}

/** The registration mode in force: an admin's setting wins over REGISTRATIONS. */
export async function registrations(services: Services): Promise<Registrations> {
  const settings = await getInstanceSettings(services.db, services.config);
  return {
    mode: settings.registrations,
    message: settings.registrationsMessage,
    site: { title: settings.title, publicUrl: services.config.publicUrl },
  };
}

export function normalizeEmail(value: unknown): string {
  return typeof value === "string" ? value.trim().toLowerCase() : "";
}

function text(value: unknown): string {
  return typeof value === "string" ? value : typeof value === "number" ? String(value) : "";
}

function add(details: ValidationDetails, field: string, error: string, description: string) {
  details[field] = [...(details[field] ?? []), { error, description }];
}

/**
 * Creates an unconfirmed user and queues its confirmation mail. Closed registrations are a
 * 403 ("This action is not allowed", as Mastodon answers); refused fields a 422 with details.
 */
export async function signUp(
  services: Services,
  input: SignUpInput,
): Promise<{ account: AccountRow; user: UserRow; approved: boolean }> {
  const { mode, site } = await registrations(services);
  if (mode === "closed") throw ApiError.forbidden();

  const fields = {
    username: text(input.username).trim(),
    email: normalizeEmail(input.email),
    password: text(input.password),
  };
  const locale = text(input.locale).trim();
  const reason = text(input.reason).trim();
  // All refusals in one answer, as Rails reports every failed validation at once.
  const details = await validateNewLocalUser(services.db, fields);
  if (!ACCEPTED.has(input.agreement as string)) {
    add(details, "agreement", "ERR_ACCEPTED", "must be accepted");
  }
  if (locale && !/^[a-z]{2,3}([-_][A-Za-z0-9]{2,8})?$/.test(locale)) {
    add(details, "locale", "ERR_INCLUSION", "is not included in the list");
  }
  if (reason.length > REASON_MAX) {
    add(details, "reason", "ERR_TOO_LONG", `is too long (maximum is ${REASON_MAX} characters)`);
  }
  // Admin blocks (email domains, canonical addresses, IP ranges) refuse or hold sign-ups.
  const screening = await screenSignUp(services.db, fields.email, input.ip);
  for (const [field, errors] of Object.entries(screening.refusals)) {
    for (const e of errors) add(details, field, e.error, e.description);
  }
  if (Object.keys(details).length) throw validationError(details);

  const approved = mode === "open" && !screening.needsApproval;
  const { account, user } = await createLocalUser(services.db, services.config, {
    ...fields,
    confirmed: false,
    approved,
    locale: locale ? locale.replace("_", "-") : "en",
    reason: !approved && reason ? reason : null,
    signUpIp: input.ip ?? null,
  });
  const token = await storeConfirmationToken(services.db, user.id);
  await queueMail(
    services,
    confirmationMail(site, { to: user.email, username: account.username, token }),
  );
  await emitEvent(services, "account.signed_up", { accountId: account.id });
  return { account, user, approved };
}

/** A fresh confirmation token for the user (replacing any earlier link). */
async function storeConfirmationToken(db: Db, userId: string): Promise<string> {
  const token = randomToken();
  await db
    .updateTable("users")
    .set({
      confirmation_token_hash: hashToken(token),
      confirmation_sent_at: new Date(),
      updated_at: new Date(),
    })
    .where("id", "=", userId)
    .execute();
  return token;
}

export type ConfirmResult =
  | { ok: true; user: UserRow; changedEmail: boolean }
  | { ok: false; reason: "invalid" | "taken" };

/** Follows a confirmation link: confirms the address, or switches to the pending new one. */
export async function confirmEmail(db: Db, token: string): Promise<ConfirmResult> {
  if (!token) return { ok: false, reason: "invalid" };
  const since = new Date(Date.now() - CONFIRMATION_VALID_HOURS * 3_600_000);
  const user = await db
    .selectFrom("users")
    .selectAll()
    .where("confirmation_token_hash", "=", hashToken(token))
    .where("confirmation_sent_at", ">", since)
    .executeTakeFirst();
  if (!user) return { ok: false, reason: "invalid" };

  const newEmail = user.unconfirmed_email;
  if (newEmail && (await emailTaken(db, newEmail, user.id))) return { ok: false, reason: "taken" };
  try {
    const updated = await db
      .updateTable("users")
      .set({
        confirmed_at: user.confirmed_at ?? new Date(),
        confirmation_token_hash: null,
        ...(newEmail ? { email: newEmail, unconfirmed_email: null } : {}),
        updated_at: new Date(),
      })
      // The token in the condition makes the link single-use even under concurrent clicks.
      .where("id", "=", user.id)
      .where("confirmation_token_hash", "=", hashToken(token))
      .returningAll()
      .executeTakeFirst();
    if (!updated) return { ok: false, reason: "invalid" };
    return { ok: true, user: updated, changedEmail: newEmail !== null };
  } catch (e) {
    if ((e as { code?: string }).code === "23505") return { ok: false, reason: "taken" };
    throw e;
  }
}

async function emailTaken(db: Db, email: string, exceptUserId: string): Promise<boolean> {
  const row = await db
    .selectFrom("users")
    .select("id")
    .where(sql<string>`lower(email)`, "=", email.toLowerCase())
    .where("id", "!=", exceptUserId)
    .executeTakeFirst();
  return row !== undefined;
}

function emailDetails(email: string): ValidationDetails {
  const details: ValidationDetails = {};
  if (!email) add(details, "email", "ERR_BLANK", "can't be blank");
  else if (!isValidEmail(email)) add(details, "email", "ERR_INVALID", "is invalid");
  return details;
}

/**
 * Puts a new address up for confirmation and mails the link to it. A user who never
 * confirmed has no address worth keeping, so theirs is replaced at once (Mastodon's API
 * does the same for unconfirmed sign-ups); a confirmed user keeps the old address until the
 * new one is confirmed.
 */
async function setPendingEmail(services: Services, user: UserRow, email: string): Promise<void> {
  const { db } = services;
  const details = emailDetails(email);
  if (!details.email && (await emailTaken(db, email, user.id))) {
    add(details, "email", "ERR_TAKEN", "has already been taken");
  }
  if (Object.keys(details).length) throw validationError(details);
  const change = user.confirmed_at ? { unconfirmed_email: email } : { email };
  try {
    await db
      .updateTable("users")
      .set({ ...change, updated_at: new Date() })
      .where("id", "=", user.id)
      .execute();
  } catch (e) {
    if ((e as { code?: string }).code === "23505") {
      throw validationError({
        email: [{ error: "ERR_TAKEN", description: "has already been taken" }],
      });
    }
    throw e;
  }
  Object.assign(user, change);
}

/** Mails a new confirmation link for the address awaiting confirmation. */
async function sendConfirmation(services: Services, user: UserRow): Promise<void> {
  const { site } = await registrations(services);
  const account = await services.db
    .selectFrom("accounts")
    .select("username")
    .where("id", "=", user.account_id)
    .executeTakeFirstOrThrow();
  const token = await storeConfirmationToken(services.db, user.id);
  const pending = user.confirmed_at ? user.unconfirmed_email : null;
  const message = pending
    ? emailChangeMail(site, { to: pending, username: account.username, token })
    : confirmationMail(site, { to: user.email, username: account.username, token });
  await queueMail(services, message);
}

/** True while there is an address awaiting confirmation (Mastodon's test for resending). */
export function awaitingConfirmation(user: UserRow): boolean {
  return !user.confirmed_at || Boolean(user.unconfirmed_email);
}

/**
 * POST /api/v1/emails/confirmations: resends the link, optionally to a corrected address.
 * 403 when nothing awaits confirmation, with Mastodon's message.
 */
export async function resendConfirmation(
  services: Services,
  user: UserRow,
  email?: unknown,
): Promise<void> {
  if (!awaitingConfirmation(user)) {
    throw ApiError.forbidden(
      "This method is only available while the e-mail is awaiting confirmation",
    );
  }
  if (email !== undefined) {
    const address = normalizeEmail(email);
    if (address !== user.email.toLowerCase()) {
      await setPendingEmail(services, user, address);
    }
  }
  await sendConfirmation(services, user);
}

/**
 * The settings page's email change: needs the current password. Asking for the current
 * address again cancels a pending change.
 */
export async function requestEmailChange(
  services: Services,
  user: UserRow,
  input: { email: unknown; currentPassword: unknown },
): Promise<{ pending: boolean }> {
  const password = text(input.currentPassword);
  if (!password || !(await verifyPassword(user.password_hash, password))) {
    throw validationError({
      current_password: [{ error: "ERR_INVALID", description: "is invalid" }],
    });
  }
  const email = normalizeEmail(input.email);
  if (email && email === user.email.toLowerCase()) {
    await services.db
      .updateTable("users")
      .set({ unconfirmed_email: null, updated_at: new Date() })
      .where("id", "=", user.id)
      .execute();
    return { pending: false };
  }
  await setPendingEmail(services, user, email);
  await sendConfirmation(services, user);
  return { pending: true };
}

/**
 * The web form's resend: by address, for a user who never confirmed. Does nothing for
 * unknown or confirmed addresses, and callers answer the same either way.
 */
export async function resendConfirmationTo(services: Services, emailInput: unknown): Promise<void> {
  const email = normalizeEmail(emailInput);
  if (!email) return;
  const user = await services.db
    .selectFrom("users")
    .selectAll()
    .where(sql<string>`lower(email)`, "=", email)
    .executeTakeFirst();
  if (user && !user.confirmed_at) await sendConfirmation(services, user);
}
