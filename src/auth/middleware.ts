// Bearer-token authentication for the API, and the checks Mastodon makes before an
// endpoint runs: a valid token, the scope the endpoint needs, and a user who may act.
import type { Context, MiddlewareHandler } from "hono";
import type { Selectable } from "kysely";
import { recordActivity } from "../analytics/activity.ts";
import { ApiError } from "../http/errors.ts";
import type { AppEnv } from "../http/types.ts";
import { compiledOnce } from "../infra/db/compiled.ts";
import type { Db } from "../infra/db/index.ts";
import { prefixedColumns } from "../infra/db/prefixed.ts";
import { prepared } from "../infra/db/prepared.ts";
import type { AccountsTable, UsersTable } from "../infra/db/schema.ts";
import type { Services } from "../services.ts";
import { scopeCovers } from "./scopes.ts";
import { tokenCacheOf } from "./token-cache.ts";
import { hashToken } from "./tokens.ts";

export type AccountRow = Selectable<AccountsTable>;
export type UserRow = Selectable<UsersTable>;

export interface AuthInfo {
  tokenId: string;
  applicationId: string;
  scopes: string[];
  /** Absent for client_credentials tokens: the app acting for itself. */
  account?: AccountRow;
  user?: UserRow;
}

export function bearerToken(c: Context): string | undefined {
  const header = c.req.header("authorization");
  const match = header?.match(/^Bearer\s+(\S+)\s*$/i);
  // Mastodon also takes the token as a parameter (streaming clients and some scripts use it).
  return match?.[1] ?? (c.req.query("access_token") || undefined);
}

/**
 * Resolves the bearer token, if any. An unknown or revoked token is only noted here, so
 * the rate limiter can count it against the client's address (as Mastodon does);
 * `rejectInvalidToken()` answers it with a 401 afterwards. Reads may be answered from the
 * token cache; a write reads the token afresh and then drops the account's cached tokens,
 * so the client's next read sees what it wrote (src/auth/token-cache.ts).
 */
export function authenticate(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const token = bearerToken(c);
    if (!token) return await next();
    const services = c.get("services");
    const read = c.req.method === "GET" || c.req.method === "HEAD";
    const auth = read
      ? await findTokenCached(services, token)
      : await findToken(services.db, token);
    if (!auth) {
      c.set("authInvalid", true);
      return await next();
    }
    c.set("auth", auth);
    if (auth.account) recordActivity(services, auth.account.id);
    if (read || !auth.account) return await next();
    try {
      await next();
    } finally {
      tokenCacheOf(services).evict({ accountIds: [auth.account.id] });
    }
  };
}

/** findToken through this process's token cache (reads only: see authenticate). */
async function findTokenCached(services: Services, token: string): Promise<AuthInfo | undefined> {
  const cache = tokenCacheOf(services);
  const hash = hashToken(token);
  const cached = cache.get(hash);
  if (cached) return cached;
  const generation = cache.generation;
  const auth = await findTokenByHash(services.db, hash);
  return auth && cache.store(hash, auth, generation);
}

export function rejectInvalidToken(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (c.get("authInvalid")) throw ApiError.unauthorized("The access token is invalid");
    await next();
  };
}

/** Like findToken, but an unknown or revoked token is a 401. */
export async function lookupToken(
  db: AppEnv["Variables"]["services"]["db"],
  token: string,
): Promise<AuthInfo> {
  const auth = await findToken(db, token);
  if (!auth) throw ApiError.unauthorized("The access token is invalid");
  return auth;
}

/** Every column of `users`, read with the token under a `user_` prefix (see findToken). */
const USER_COLUMNS = Object.keys({
  id: true,
  account_id: true,
  email: true,
  password_hash: true,
  role: true,
  confirmed_at: true,
  confirmation_token_hash: true,
  confirmation_sent_at: true,
  unconfirmed_email: true,
  approved: true,
  disabled: true,
  locale: true,
  reason: true,
  reset_password_token_hash: true,
  reset_password_sent_at: true,
  sign_up_ip: true,
  last_sign_in_at: true,
  settings: true,
  created_at: true,
  updated_at: true,
} satisfies Record<keyof UsersTable, true>) as (keyof UsersTable)[];
const USER_PREFIXED = prefixedColumns<UserRow>("users", USER_COLUMNS, "user_");

// Every API request starts here, so it is one prepared statement, built once: the token with
// its account and its user (columns prefixed, as they share names with the account's).
const tokenWithAccount = compiledOnce((db: Db, input: { hash: string }) =>
  db
    .selectFrom("oauth_tokens")
    .leftJoin("accounts", "accounts.id", "oauth_tokens.account_id")
    .leftJoin("users", "users.account_id", "oauth_tokens.account_id")
    .modifyFront(prepared)
    .selectAll("accounts")
    .select([
      "oauth_tokens.id as token_id",
      "oauth_tokens.application_id as token_application_id",
      "oauth_tokens.account_id as token_account_id",
      "oauth_tokens.scopes as token_scopes",
    ])
    .select(USER_PREFIXED.selection)
    .where("oauth_tokens.token_hash", "=", input.hash)
    .where("oauth_tokens.revoked_at", "is", null),
);

export async function findToken(db: Db, token: string): Promise<AuthInfo | undefined> {
  return await findTokenByHash(db, hashToken(token));
}

async function findTokenByHash(db: Db, hash: string): Promise<AuthInfo | undefined> {
  const [row] = (await tokenWithAccount(db, { hash })) as Record<string, unknown>[];
  if (!row) return undefined;
  const user = USER_PREFIXED.take(row);
  // The account's columns are the unprefixed ones.
  const account: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(row)) {
    if (!key.startsWith("user_") && !key.startsWith("token_")) account[key] = value;
  }
  const info: AuthInfo = {
    tokenId: row.token_id as string,
    applicationId: row.token_application_id as string,
    scopes: (row.token_scopes as string).split(" ").filter(Boolean),
  };
  if (row.token_account_id && account.id != null) {
    info.account = account as unknown as AccountRow;
    if (user.id != null) info.user = user;
  }
  return info;
}

export interface RequireOptions {
  /** The token must belong to a user (not an app's client_credentials token). Default true. */
  user?: boolean;
  /** Skip the confirmed/approved/enabled checks (for resending the confirmation mail). */
  allowUnconfirmed?: boolean;
}

/** Requires a token carrying one of `scopes` (any of them), and by default a functional user. */
export function requireAuth(
  scopes: string | readonly string[],
  options: RequireOptions = {},
): MiddlewareHandler<AppEnv> {
  const wanted = typeof scopes === "string" ? [scopes] : scopes;
  return async (c, next) => {
    checkAuth(c.get("auth"), wanted, options);
    await next();
  };
}

/** The same checks as requireAuth, for handlers whose needs depend on the request. */
export function checkAuth(
  auth: AuthInfo | undefined,
  scopes: readonly string[],
  options: RequireOptions = {},
): asserts auth is AuthInfo {
  if (!auth) throw ApiError.unauthorized("The access token is invalid");
  if (scopes.length && !scopes.some((s) => scopeCovers(auth.scopes, s))) {
    throw ApiError.forbidden("This action is outside the authorized scopes");
  }
  if (options.user === false) return;
  const { user, account } = auth;
  if (!user || !account) {
    throw new ApiError(422, "This method requires an authenticated user");
  }
  if (options.allowUnconfirmed) return;
  if (!user.confirmed_at) {
    throw ApiError.forbidden("Your login is missing a confirmed e-mail address");
  }
  if (!user.approved) throw ApiError.forbidden("Your login is currently pending approval");
  if (user.disabled || account.suspended_at) {
    throw ApiError.forbidden("Your login is currently disabled");
  }
}

/** The signed-in user's account; only valid after requireAuth with a user. */
export function currentAccount(c: Context<AppEnv>): AccountRow {
  const account = c.get("auth")?.account;
  if (!account) throw new ApiError(422, "This method requires an authenticated user");
  return account;
}
