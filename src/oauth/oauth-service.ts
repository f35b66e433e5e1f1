// The OAuth 2.0 server's rules, as Mastodon (Doorkeeper) applies them: client authentication,
// the authorization request, codes, the grant types and revocation. Handlers parse and render;
// every decision about what a client may have is made here.
import { createHash } from "node:crypto";
import { sql } from "kysely";
import { hashPassword, verifyPassword } from "../accounts/local-account-service.ts";
import { parseScopes, unknownScopes } from "../auth/scopes.ts";
import { hashToken, randomToken, safeEqual } from "../auth/tokens.ts";
import type { Db } from "../infra/db/index.ts";
import { newId } from "../infra/ids.ts";
import { issueAccessToken, type TokenBody } from "./access-tokens.ts";
import {
  type ApplicationRow,
  applicationRedirectUris,
  applicationScopes,
  findApplicationByClientId,
  OOB_REDIRECT_URI,
} from "./applications.ts";
import { OAuthError } from "./errors.ts";

export {
  type ApplicationRow,
  createApplication,
  findApplication,
  OOB_REDIRECT_URI,
} from "./applications.ts";
export { OAuthError } from "./errors.ts";

/** Doorkeeper's default lifetime for authorization codes. */
export const CODE_TTL_MS = 10 * 60_000;

/** Mastodon supports only S256 (plain would let an intercepted challenge redeem the code). */
export const CODE_CHALLENGE_METHODS = ["S256"] as const;

export const RESPONSE_MODES = ["query", "fragment", "form_post"] as const;
export type ResponseMode = (typeof RESPONSE_MODES)[number];

export interface ClientCredentials {
  clientId?: string | undefined;
  clientSecret?: string | undefined;
}

/** Every Mastodon application is confidential: both id and secret must match (RFC 6749 §2.3). */
export async function authenticateClient(
  db: Db,
  creds: ClientCredentials,
): Promise<ApplicationRow> {
  const { clientId, clientSecret } = creds;
  if (!clientId || !clientSecret) throw new OAuthError("invalid_client");
  const app = await findApplicationByClientId(db, clientId);
  if (!app || !safeEqual(app.client_secret, clientSecret)) throw new OAuthError("invalid_client");
  return app;
}

/**
 * Requested scopes must be known and each one registered by the application. Like
 * Doorkeeper's ScopeChecker the match is exact: an app registered for `read` cannot ask for
 * `read:statuses` (clients written against Mastodon already register what they request).
 */
function checkScopes(requested: readonly string[], app: ApplicationRow): void {
  const registered = new Set(applicationScopes(app));
  if (unknownScopes(requested).length || !requested.every((s) => registered.has(s))) {
    throw new OAuthError("invalid_scope");
  }
}

export interface AuthorizationParams {
  response_type?: string | undefined;
  client_id?: string | undefined;
  redirect_uri?: string | undefined;
  scope?: string | undefined;
  state?: string | undefined;
  code_challenge?: string | undefined;
  code_challenge_method?: string | undefined;
  response_mode?: string | undefined;
}

/** A checked authorization request, ready for the consent page. */
export interface AuthorizationRequest {
  application: ApplicationRow;
  redirectUri: string;
  scopes: string[];
  state: string | undefined;
  codeChallenge: string | null;
  codeChallengeMethod: string | null;
  responseMode: ResponseMode;
}

/** Where an authorization error goes: back to the client, or (untrusted target) on a page. */
export type PreAuthorization =
  | { ok: true; request: AuthorizationRequest }
  | {
      ok: false;
      error: OAuthError;
      /** Absent when the client or redirect URI can't be trusted (RFC 6749 §4.1.2.1). */
      redirect?: { redirectUri: string; state: string | undefined; responseMode: ResponseMode };
    };

/**
 * Checks GET/POST /oauth/authorize parameters. An unknown client or a redirect URI the client
 * didn't register must never be redirected to; the other errors are reported to the client.
 */
export async function preAuthorize(db: Db, params: AuthorizationParams): Promise<PreAuthorization> {
  if (!params.client_id) return { ok: false, error: OAuthError.missing("client_id") };
  const application = await findApplicationByClientId(db, params.client_id);
  if (!application) return { ok: false, error: new OAuthError("invalid_client") };

  const registered = applicationRedirectUris(application);
  // RFC 6749 §3.1.2.3: with a single registered URI the parameter may be left out.
  const redirectUri =
    params.redirect_uri || (registered.length === 1 ? registered[0] : undefined) || "";
  if (!registered.includes(redirectUri)) {
    return { ok: false, error: new OAuthError("invalid_redirect_uri") };
  }

  const state = params.state || undefined;
  const mode = params.response_mode || "query";
  const responseMode: ResponseMode = (RESPONSE_MODES as readonly string[]).includes(mode)
    ? (mode as ResponseMode)
    : "query";
  const fail = (error: OAuthError): PreAuthorization => ({
    ok: false,
    error,
    // The out-of-band "URI" is not a place to send anyone: its errors are shown on a page.
    ...(redirectUri === OOB_REDIRECT_URI ? {} : { redirect: { redirectUri, state, responseMode } }),
  });

  if (!params.response_type) return fail(OAuthError.missing("response_type"));
  if (params.response_type !== "code") return fail(new OAuthError("unsupported_response_type"));
  if (mode !== responseMode) {
    return fail(new OAuthError("invalid_request", "The response_mode is not supported."));
  }

  const scopes = parseScopes(params.scope);
  try {
    checkScopes(scopes, application);
  } catch (e) {
    return fail(e as OAuthError);
  }

  const codeChallenge = params.code_challenge || null;
  const codeChallengeMethod = codeChallenge ? params.code_challenge_method || null : null;
  if (
    codeChallenge &&
    !(CODE_CHALLENGE_METHODS as readonly (string | null)[]).includes(codeChallengeMethod)
  ) {
    return fail(
      new OAuthError("invalid_request", "The code_challenge_method must be one of S256."),
    );
  }

  return {
    ok: true,
    request: {
      application,
      redirectUri,
      scopes,
      state,
      codeChallenge,
      codeChallengeMethod,
      responseMode,
    },
  };
}

/**
 * Mastodon skips the consent page when the user already holds a live token for this app with
 * exactly these scopes (Doorkeeper's matching_token), unless the client forces a login.
 */
export async function hasMatchingToken(
  db: Db,
  request: AuthorizationRequest,
  accountId: string,
): Promise<boolean> {
  const wanted = [...request.scopes].sort().join(" ");
  const rows = await db
    .selectFrom("oauth_tokens")
    .select("scopes")
    .where("application_id", "=", request.application.id)
    .where("account_id", "=", accountId)
    .where("revoked_at", "is", null)
    .execute();
  return rows.some((r) => r.scopes.split(/\s+/).filter(Boolean).sort().join(" ") === wanted);
}

/** Issues a single-use code bound to the client, redirect URI, user, scopes and PKCE challenge. */
export async function createAuthorizationCode(
  db: Db,
  request: AuthorizationRequest,
  accountId: string,
): Promise<string> {
  const code = randomToken(32);
  const now = new Date();
  await db
    .insertInto("oauth_grants")
    .values({
      id: newId(now),
      code_hash: hashToken(code),
      application_id: request.application.id,
      account_id: accountId,
      redirect_uri: request.redirectUri,
      scopes: request.scopes.join(" "),
      code_challenge: request.codeChallenge,
      code_challenge_method: request.codeChallengeMethod,
      expires_at: new Date(now.getTime() + CODE_TTL_MS),
    })
    .execute();
  return code;
}

function pkceS256(verifier: string): string {
  return createHash("sha256").update(verifier).digest("base64url");
}

/** grant_type=authorization_code (RFC 6749 §4.1.3, RFC 7636 §4.6). */
export async function exchangeAuthorizationCode(
  db: Db,
  client: ApplicationRow,
  params: { code?: string | undefined; redirectUri?: string | undefined; codeVerifier?: string },
  /** Told the tokens revoked because the code was replayed, once that has committed. */
  onRevoked: (tokenIds: string[]) => Promise<void> = async () => {},
): Promise<TokenBody> {
  if (!params.code) throw OAuthError.missing("code");
  const grant = await db
    .selectFrom("oauth_grants")
    .selectAll()
    .where("code_hash", "=", hashToken(params.code))
    .executeTakeFirst();
  if (!grant || grant.application_id !== client.id) throw new OAuthError("invalid_grant");

  if (grant.used_at) {
    // A second redemption means the code leaked; RFC 6749 §4.1.2 says to revoke what it bought.
    await onRevoked(await revokeTokensOfGrant(db, grant.id));
    throw new OAuthError("invalid_grant");
  }
  if (grant.expires_at.getTime() <= Date.now()) throw new OAuthError("invalid_grant");

  if (grant.code_challenge && !params.codeVerifier) throw OAuthError.missing("code_verifier");
  if (!params.redirectUri) throw OAuthError.missing("redirect_uri");
  if (params.redirectUri !== grant.redirect_uri) throw new OAuthError("invalid_grant");
  if (grant.code_challenge || params.codeVerifier) {
    // A verifier for a code issued without a challenge is as wrong as a mismatched one.
    const ok =
      grant.code_challenge_method === "S256" &&
      !!grant.code_challenge &&
      !!params.codeVerifier &&
      safeEqual(pkceS256(params.codeVerifier), grant.code_challenge);
    if (!ok) throw new OAuthError("invalid_grant");
  }

  const token = await db.transaction().execute(async (trx) => {
    // The conditional update is the single-use check: of two racing redemptions, one wins.
    const claimed = await trx
      .updateTable("oauth_grants")
      .set({ used_at: new Date() })
      .where("id", "=", grant.id)
      .where("used_at", "is", null)
      .returning("id")
      .executeTakeFirst();
    if (!claimed) return undefined;
    return issueAccessToken(trx, {
      applicationId: client.id,
      accountId: grant.account_id,
      scopes: grant.scopes.split(/\s+/).filter(Boolean),
      grantId: grant.id,
    });
  });
  if (!token) {
    await onRevoked(await revokeTokensOfGrant(db, grant.id));
    throw new OAuthError("invalid_grant");
  }
  return token;
}

/** Revokes what a grant bought; returns the ids of the tokens revoked now. */
async function revokeTokensOfGrant(db: Db, grantId: string): Promise<string[]> {
  const rows = await db
    .updateTable("oauth_tokens")
    .set({ revoked_at: new Date() })
    .where("grant_id", "=", grantId)
    .where("revoked_at", "is", null)
    .returning("id")
    .execute();
  return rows.map((r) => r.id);
}

// Spent on unknown emails too, so response time doesn't tell which addresses have accounts.
let dummyHash: Promise<string> | undefined;
async function dummyVerify(password: string): Promise<void> {
  dummyHash ??= hashPassword(randomToken(16));
  await verifyPassword(await dummyHash, password);
}

/**
 * grant_type=password: `username` is the email, as in Mastodon. Any failure, including a
 * user who couldn't use the token (unconfirmed, pending, disabled), is invalid_grant.
 */
export async function passwordGrant(
  db: Db,
  client: ApplicationRow,
  params: { username?: string | undefined; password?: string | undefined; scope?: string },
): Promise<TokenBody> {
  const { username, password } = params;
  if (!username || !password) throw new OAuthError("invalid_grant");
  const user = await db
    .selectFrom("users")
    .innerJoin("accounts", "accounts.id", "users.account_id")
    .select([
      "users.account_id",
      "users.password_hash",
      "users.confirmed_at",
      "users.approved",
      "users.disabled",
      "accounts.suspended_at",
    ])
    .where(sql<string>`lower(users.email)`, "=", username.toLowerCase())
    .executeTakeFirst();
  if (!user) {
    await dummyVerify(password);
    throw new OAuthError("invalid_grant");
  }
  if (!(await verifyPassword(user.password_hash, password))) throw new OAuthError("invalid_grant");
  if (!user.confirmed_at || !user.approved || user.disabled || user.suspended_at) {
    throw new OAuthError("invalid_grant");
  }
  const scopes = parseScopes(params.scope);
  checkScopes(scopes, client);
  return issueAccessToken(db, { applicationId: client.id, accountId: user.account_id, scopes });
}

/** grant_type=client_credentials: a token for the app itself, no user. */
export async function clientCredentialsGrant(
  db: Db,
  client: ApplicationRow,
  params: { scope?: string | undefined },
): Promise<TokenBody> {
  const scopes = parseScopes(params.scope);
  checkScopes(scopes, client);
  return issueAccessToken(db, { applicationId: client.id, accountId: null, scopes });
}

/**
 * POST /oauth/revoke (RFC 7009). Unknown tokens succeed silently; a token issued to another
 * client is refused with 403 unauthorized_client, as Doorkeeper does.
 */
export async function revokeToken(
  db: Db,
  client: ApplicationRow,
  token: string,
): Promise<string | undefined> {
  const row = await db
    .selectFrom("oauth_tokens")
    .select(["id", "application_id", "revoked_at"])
    .where("token_hash", "=", hashToken(token))
    .executeTakeFirst();
  if (!row) return;
  if (row.application_id !== client.id) {
    throw new OAuthError("unauthorized_client", "You are not authorized to revoke this token", 403);
  }
  if (row.revoked_at) return;
  await db
    .updateTable("oauth_tokens")
    .set({ revoked_at: new Date() })
    .where("id", "=", row.id)
    .execute();
  // The id of the token revoked now, so its streaming connections can be closed.
  return row.id;
}
