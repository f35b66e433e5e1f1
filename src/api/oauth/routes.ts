// The OAuth 2.0 endpoints as Mastodon serves them: /oauth/authorize (consent in the browser),
// /oauth/token, /oauth/revoke, /oauth/userinfo and the RFC 8414 metadata document.
import { type Context, Hono } from "hono";
import { bearerToken, checkAuth, lookupToken } from "../../auth/middleware.ts";
import { ALL_SCOPES } from "../../auth/scopes.ts";
import { announceRevocation } from "../../auth/token-cache.ts";
import { queryParams, readParams } from "../../http/body.ts";
import { ApiError } from "../../http/errors.ts";
import { HTML_CSP } from "../../http/middleware/security-headers.ts";
import type { AppEnv } from "../../http/types.ts";
import { getInstanceSettings } from "../../instance/settings.ts";
import {
  type AuthorizationParams,
  type AuthorizationRequest,
  authenticateClient,
  type ClientCredentials,
  CODE_CHALLENGE_METHODS,
  clientCredentialsGrant,
  createAuthorizationCode,
  exchangeAuthorizationCode,
  hasMatchingToken,
  OAuthError,
  OOB_REDIRECT_URI,
  type PreAuthorization,
  passwordGrant,
  preAuthorize,
  type ResponseMode,
  revokeToken,
} from "../../oauth/oauth-service.ts";
import { csrfToken, currentSession, destroySession, verifyCsrf } from "../../web/session.ts";
import { codePage, consentPage, errorPage, formPostPage } from "./pages.ts";

type Ctx = Context<AppEnv>;

const GRANT_TYPES = ["authorization_code", "password", "client_credentials"];
const AUTHORIZATION_FIELDS = [
  "response_type",
  "client_id",
  "redirect_uri",
  "scope",
  "state",
  "code_challenge",
  "code_challenge_method",
  "response_mode",
] as const;

// The consent page posts to us, and we then redirect to the client (any scheme). Browsers
// apply form-action to that redirect too, so these pages drop it, as Mastodon does.
const CONSENT_CSP = HTML_CSP.split("; ")
  .filter((d) => !d.startsWith("form-action"))
  .join("; ");

export function oauthRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/oauth/authorize", async (c) => {
    c.header("Cache-Control", "private, no-store");
    const query = queryParams(c);
    const pre = await preAuthorize(c.get("services").db, authorizationParams(query));
    if (!pre.ok) return authorizationError(c, pre);
    if (truthy(query.force_login)) {
      // Signing out first is what lets someone authorize a second account of this server.
      await destroySession(c);
      const url = new URL(c.req.url);
      url.searchParams.delete("force_login");
      return redirectToSignIn(c, `${url.pathname}${url.search}`);
    }
    const session = await currentSession(c);
    if (!session) {
      const url = new URL(c.req.url);
      return redirectToSignIn(c, `${url.pathname}${url.search}`);
    }
    const refusal = loginRefusal(session.user, session.account);
    if (refusal) return c.html(errorPage(await title(c), "access_denied", refusal), 403);

    const { request } = pre;
    if (await hasMatchingToken(c.get("services").db, request, session.account.id)) {
      return approve(c, request, session.account.id);
    }
    c.header("Content-Security-Policy", CONSENT_CSP);
    return c.html(
      consentPage({
        instanceTitle: await title(c),
        appName: request.application.name,
        website: request.application.website,
        username: session.account.username,
        scopes: request.scopes,
        csrf: csrfToken(c),
        fields: echoFields(request),
      }),
    );
  });

  // Approve and deny both post here; deny says so with `decision=deny` or Rails' `_method=delete`.
  app.on(["POST", "DELETE"], "/oauth/authorize", async (c) => {
    c.header("Cache-Control", "private, no-store");
    const form = await readParams(c);
    verifyCsrf(c, form.authenticity_token);
    const params = authorizationParams(form);
    const pre = await preAuthorize(c.get("services").db, params);
    if (!pre.ok) return authorizationError(c, pre);
    const session = await currentSession(c);
    if (!session) {
      const query = new URLSearchParams(Object.entries(echoFields(pre.request)));
      return redirectToSignIn(c, `/oauth/authorize?${query}`);
    }
    const refusal = loginRefusal(session.user, session.account);
    if (refusal) return c.html(errorPage(await title(c), "access_denied", refusal), 403);

    const deny =
      c.req.method === "DELETE" ||
      text(form._method)?.toLowerCase() === "delete" ||
      text(form.decision) === "deny";
    if (!deny) return approve(c, pre.request, session.account.id);
    const error = new OAuthError("access_denied");
    const { redirectUri, state, responseMode } = pre.request;
    if (redirectUri === OOB_REDIRECT_URI) {
      return c.html(errorPage(await title(c), error.code, error.description), 400);
    }
    return respondToClient(c, redirectUri, responseMode, { ...error.body, state });
  });

  app.post("/oauth/token", async (c) => {
    // RFC 6749 §5.1: token responses must not be cached.
    c.header("Cache-Control", "no-store");
    c.header("Pragma", "no-cache");
    try {
      const params = await oauthParams(c);
      const grantType = text(params.grant_type);
      if (!grantType) throw OAuthError.missing("grant_type");
      // refresh_token too: Mastodon issues no refresh tokens.
      if (!GRANT_TYPES.includes(grantType)) throw new OAuthError("unsupported_grant_type");
      const services = c.get("services");
      const { db } = services;
      const client = await authenticateClient(db, clientCredentials(c, params));
      const scope = text(params.scope);
      if (grantType === "authorization_code") {
        const verifier = text(params.code_verifier);
        return c.json(
          await exchangeAuthorizationCode(
            db,
            client,
            {
              code: text(params.code),
              redirectUri: text(params.redirect_uri),
              ...(verifier ? { codeVerifier: verifier } : {}),
            },
            (tokenIds) => announceRevocation(services, { tokenIds }),
          ),
        );
      }
      if (grantType === "password") {
        return c.json(
          await passwordGrant(db, client, {
            username: text(params.username),
            password: text(params.password),
            ...(scope ? { scope } : {}),
          }),
        );
      }
      return c.json(await clientCredentialsGrant(db, client, { scope }));
    } catch (e) {
      return oauthErrorResponse(c, e);
    }
  });

  app.post("/oauth/revoke", async (c) => {
    try {
      const params = await oauthParams(c);
      const services = c.get("services");
      const { db } = services;
      const client = await authenticateClient(db, clientCredentials(c, params));
      const token = text(params.token);
      // RFC 7009 §2.2: an unknown (or missing) token is not an error.
      const revoked = token ? await revokeToken(db, client, token) : undefined;
      if (revoked) await announceRevocation(services, { tokenIds: [revoked] });
      return c.json({});
    } catch (e) {
      return oauthErrorResponse(c, e);
    }
  });

  // OIDC UserInfo (Mastodon 4.4): a user token with the `profile` scope. POST as OIDC allows.
  app.on(["GET", "POST"], "/oauth/userinfo", async (c) => {
    const { db, config } = c.get("services");
    const token = bearerToken(c);
    const auth = token ? await lookupToken(db, token) : undefined;
    checkAuth(auth, ["profile"]);
    const { account } = auth;
    if (!account) throw new ApiError(422, "This method requires an authenticated user");
    return c.json({
      iss: `${config.publicUrl}/`,
      // The actor URI: account ids are only unique on one server.
      sub: account.uri,
      name: account.display_name,
      preferred_username: account.username,
      profile: account.url ?? account.uri,
      picture: account.avatar_url ?? `${config.publicUrl}/avatars/original/missing.png`,
    });
  });

  app.get("/.well-known/oauth-authorization-server", (c) => {
    const base = c.get("services").config.publicUrl;
    return c.json({
      issuer: `${base}/`,
      service_documentation: "https://docs.joinmastodon.org/",
      authorization_endpoint: `${base}/oauth/authorize`,
      token_endpoint: `${base}/oauth/token`,
      // Mastodon's non-standard name: POST /api/v1/apps is not RFC 7591 registration.
      app_registration_endpoint: `${base}/api/v1/apps`,
      revocation_endpoint: `${base}/oauth/revoke`,
      userinfo_endpoint: `${base}/oauth/userinfo`,
      scopes_supported: ALL_SCOPES,
      response_types_supported: ["code"],
      response_modes_supported: ["query", "fragment", "form_post"],
      code_challenge_methods_supported: CODE_CHALLENGE_METHODS,
      grant_types_supported: GRANT_TYPES,
      token_endpoint_auth_methods_supported: ["client_secret_basic", "client_secret_post"],
    });
  });

  return app;
}

async function title(c: Ctx): Promise<string> {
  const { db, config } = c.get("services");
  return (await getInstanceSettings(db, config)).title;
}

function text(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "number") return String(value);
  return undefined;
}

function truthy(value: unknown): boolean {
  // Rails' boolean cast: anything but these (and blank) is true.
  const v = text(value)?.trim().toLowerCase();
  return !!v && !["0", "f", "false", "off", "no", "n"].includes(v);
}

function authorizationParams(source: Record<string, unknown>): AuthorizationParams {
  const params: AuthorizationParams = {};
  for (const name of AUTHORIZATION_FIELDS) params[name] = text(source[name]);
  return params;
}

/** The checked request as form fields, so the consent form posts back exactly what was shown. */
function echoFields(request: AuthorizationRequest): Record<string, string> {
  const fields: Record<string, string> = {
    response_type: "code",
    client_id: request.application.client_id,
    redirect_uri: request.redirectUri,
    scope: request.scopes.join(" "),
  };
  if (request.state !== undefined) fields.state = request.state;
  if (request.codeChallenge) fields.code_challenge = request.codeChallenge;
  if (request.codeChallengeMethod) fields.code_challenge_method = request.codeChallengeMethod;
  if (request.responseMode !== "query") fields.response_mode = request.responseMode;
  return fields;
}

/** The sign-in page sends the browser back to `return_to` (same-origin paths only). */
function redirectToSignIn(c: Ctx, returnTo: string): Response {
  return c.redirect(`/auth/sign_in?return_to=${encodeURIComponent(returnTo)}`, 302);
}

function loginRefusal(
  user: { confirmed_at: Date | null; approved: boolean; disabled: boolean },
  account: { suspended_at: Date | null },
): string | undefined {
  if (user.disabled || account.suspended_at) return "Your login is currently disabled";
  if (!user.confirmed_at) return "Your login is missing a confirmed e-mail address";
  if (!user.approved) return "Your login is currently pending approval";
  return undefined;
}

async function approve(c: Ctx, request: AuthorizationRequest, accountId: string) {
  const code = await createAuthorizationCode(c.get("services").db, request, accountId);
  if (request.redirectUri === OOB_REDIRECT_URI) return c.html(codePage(await title(c), code));
  return respondToClient(c, request.redirectUri, request.responseMode, {
    code,
    state: request.state,
  });
}

async function authorizationError(c: Ctx, pre: Extract<PreAuthorization, { ok: false }>) {
  const { error, redirect } = pre;
  if (!redirect) return c.html(errorPage(await title(c), error.code, error.description), 400);
  return respondToClient(c, redirect.redirectUri, redirect.responseMode, {
    ...error.body,
    state: redirect.state,
  });
}

async function respondToClient(
  c: Ctx,
  redirectUri: string,
  mode: ResponseMode,
  values: Record<string, string | undefined>,
): Promise<Response> {
  const fields: Record<string, string> = {};
  for (const [k, v] of Object.entries(values)) if (v !== undefined) fields[k] = v;
  if (mode === "form_post") {
    c.header("Content-Security-Policy", CONSENT_CSP);
    return c.html(formPostPage(await title(c), redirectUri, fields));
  }
  const url = new URL(redirectUri);
  if (mode === "fragment") {
    url.hash = new URLSearchParams(fields).toString();
  } else {
    for (const [k, v] of Object.entries(fields)) url.searchParams.set(k, v);
  }
  return c.redirect(url.toString(), 302);
}

/** Query and body merged as Rails does (body wins); a malformed body is invalid_request. */
async function oauthParams(c: Ctx): Promise<Record<string, unknown>> {
  try {
    return { ...queryParams(c), ...(await readParams(c)) };
  } catch (e) {
    if (e instanceof ApiError && e.status === 400) {
      throw new OAuthError("invalid_request", e.message);
    }
    throw e;
  }
}

/** HTTP Basic first (RFC 6749 §2.3.1: form-encoded, then base64), else the body. */
function clientCredentials(c: Ctx, params: Record<string, unknown>): ClientCredentials {
  const match = c.req.header("authorization")?.match(/^Basic\s+(\S+)\s*$/i);
  if (match) {
    const decoded = Buffer.from(match[1]!, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon >= 0) {
      return {
        clientId: formDecode(decoded.slice(0, colon)),
        clientSecret: formDecode(decoded.slice(colon + 1)),
      };
    }
  }
  return { clientId: text(params.client_id), clientSecret: text(params.client_secret) };
}

function formDecode(value: string): string {
  try {
    return decodeURIComponent(value.replaceAll("+", " "));
  } catch {
    return value;
  }
}

function oauthErrorResponse(c: Ctx, e: unknown): Response {
  if (!(e instanceof OAuthError)) throw e;
  if (e.status === 401) {
    c.header(
      "WWW-Authenticate",
      `Bearer realm="Roost", error="${e.code}", error_description="${e.description}"`,
    );
  }
  return c.json(e.body, e.status);
}
