// Client applications: registration through POST /api/v1/apps with Doorkeeper's validation
// rules (as Mastodon configures them), and the Application / CredentialApplication entities.
import type { Selectable } from "kysely";
import { parseScopes, unknownScopes } from "../auth/scopes.ts";
import { randomToken } from "../auth/tokens.ts";
import { ApiError } from "../http/errors.ts";
import type { Db } from "../infra/db/index.ts";
import type { OAuthApplicationsTable } from "../infra/db/schema.ts";
import { newId } from "../infra/ids.ts";

export type ApplicationRow = Selectable<OAuthApplicationsTable>;

/** Doorkeeper's "native" redirect URI: the code is shown to the user instead of redirected. */
export const OOB_REDIRECT_URI = "urn:ietf:wg:oauth:2.0:oob";

// Mastodon's limits on Doorkeeper::Application.
const NAME_MAX = 60;
const URL_MAX = 2000;
// Doorkeeper's forbid_redirect_uri as Mastodon configures it.
const FORBIDDEN_SCHEMES = new Set(["data:", "vbscript:", "javascript:"]);

export interface NewApplication {
  name: string | undefined;
  /** Each entry may itself hold several URIs separated by whitespace (the pre-4.3 form). */
  redirectUris: readonly string[];
  scopes: string | undefined;
  website: string | undefined;
}

/**
 * Validates and stores a new application. Failures are Mastodon's 422
 * `{"error": "Validation failed: ..."}` (no `details`: Mastodon renders RecordInvalid plainly).
 */
export async function createApplication(db: Db, input: NewApplication): Promise<ApplicationRow> {
  const errors: string[] = [];
  const name = input.name?.trim() ?? "";
  if (!name) errors.push("Application name can't be blank");
  else if ([...name].length > NAME_MAX) {
    errors.push(`Application name is too long (maximum is ${NAME_MAX} characters)`);
  }

  const redirectUris = [...new Set(input.redirectUris.flatMap((u) => u.split(/\s+/)))].filter(
    Boolean,
  );
  const uriError = redirectUrisError(redirectUris);
  if (uriError) errors.push(`Redirect URI ${uriError}`);

  const scopes = parseScopes(input.scopes);
  if (unknownScopes(scopes).length) errors.push("Scopes doesn't match configured on the server.");

  const website = input.website?.trim() || null;
  if (website && (website.length > URL_MAX || !isHttpUrl(website))) {
    errors.push("Application website is invalid");
  }

  if (errors.length) throw ApiError.unprocessable(`Validation failed: ${errors.join(", ")}`);

  return db
    .insertInto("oauth_applications")
    .values({
      id: newId(),
      name,
      website,
      redirect_uris: JSON.stringify(redirectUris),
      scopes: scopes.join(" "),
      client_id: randomToken(32),
      client_secret: randomToken(32),
      owner_account_id: null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

function redirectUrisError(uris: readonly string[]): string | undefined {
  if (uris.length === 0) return "can't be blank";
  if (uris.join("\n").length > URL_MAX) return `is too long (maximum is ${URL_MAX} characters)`;
  for (const uri of uris) {
    if (uri === OOB_REDIRECT_URI) continue;
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      return "must be an absolute URI.";
    }
    if (FORBIDDEN_SCHEMES.has(url.protocol.toLowerCase())) return "is forbidden by the server.";
    // `myapp:callback` or `localhost:3000` parse with an opaque path: Doorkeeper calls those
    // scheme-less rather than absolute. `myapp://cb` and `com.example.app:/cb` are fine.
    if (!url.host && !url.pathname.startsWith("/")) return "must be an absolute URI.";
    if (uri.includes("#")) return "cannot contain a fragment.";
  }
  return undefined;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === "http:" || url.protocol === "https:") && url.host !== "";
  } catch {
    return false;
  }
}

export function applicationRedirectUris(app: ApplicationRow): string[] {
  const value: unknown = app.redirect_uris;
  // jsonb comes back parsed from node-postgres and PGlite alike; a string means older rows.
  if (Array.isArray(value)) return value.map(String);
  if (typeof value === "string") {
    try {
      const parsed: unknown = JSON.parse(value);
      if (Array.isArray(parsed)) return parsed.map(String);
    } catch {
      return value.split(/\s+/).filter(Boolean);
    }
  }
  return [];
}

export function applicationScopes(app: ApplicationRow): string[] {
  return app.scopes.split(/\s+/).filter(Boolean);
}

export async function findApplicationByClientId(
  db: Db,
  clientId: string,
): Promise<ApplicationRow | undefined> {
  return db
    .selectFrom("oauth_applications")
    .selectAll()
    .where("client_id", "=", clientId)
    .executeTakeFirst();
}

export async function findApplication(db: Db, id: string): Promise<ApplicationRow | undefined> {
  return db.selectFrom("oauth_applications").selectAll().where("id", "=", id).executeTakeFirst();
}

/** The Application entity (GET /api/v1/apps/verify_credentials). */
export interface ApplicationEntity {
  id: string;
  name: string;
  website: string | null;
  scopes: string[];
  redirect_uri: string;
  redirect_uris: string[];
  /** Deprecated since Mastodon 4.3 (clients read it from /api/v2/instance): the VAPID public key. */
  vapid_key: string;
}

export interface CredentialApplicationEntity extends ApplicationEntity {
  client_id: string;
  client_secret: string;
  client_secret_expires_at: number;
}

/** `vapidKey`: the instance's Web Push public key (src/push/vapid.ts). */
export function serializeApplication(app: ApplicationRow, vapidKey = ""): ApplicationEntity {
  const redirectUris = applicationRedirectUris(app);
  return {
    id: app.id,
    name: app.name,
    website: app.website,
    scopes: applicationScopes(app),
    redirect_uri: redirectUris.join("\n"),
    redirect_uris: redirectUris,
    vapid_key: vapidKey,
  };
}

/** The CredentialApplication entity: only ever shown in the POST /api/v1/apps response. */
export function serializeCredentialApplication(
  app: ApplicationRow,
  vapidKey = "",
): CredentialApplicationEntity {
  return {
    ...serializeApplication(app, vapidKey),
    client_id: app.client_id,
    client_secret: app.client_secret,
    // Mastodon's secrets never expire; 0 says so (RFC 7591).
    client_secret_expires_at: 0,
  };
}
