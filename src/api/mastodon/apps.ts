// POST /api/v1/apps and GET /api/v1/apps/verify_credentials.
import { Hono } from "hono";
import { checkAuth } from "../../auth/middleware.ts";
import { queryParams, readParams } from "../../http/body.ts";
import { ApiError } from "../../http/errors.ts";
import type { AppEnv } from "../../http/types.ts";
import {
  createApplication,
  findApplication,
  serializeApplication,
  serializeCredentialApplication,
} from "../../oauth/applications.ts";
import { getVapidKeys } from "../../push/vapid.ts";

export function appsRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.post("/v1/apps", async (c) => {
    // Rails merges query and body parameters; a few old clients put them in the query.
    const params = { ...queryParams(c), ...(await readParams(c)) };
    const application = await createApplication(c.get("services").db, {
      name: text(params.client_name),
      // Mastodon 4.3 takes an array; before that one string, several URIs split by whitespace.
      redirectUris: list(params.redirect_uris ?? params.redirect_uri),
      scopes: Array.isArray(params.scopes) ? list(params.scopes).join(" ") : text(params.scopes),
      website: text(params.website),
    });
    const { publicKey } = await getVapidKeys(c.get("services").db);
    return c.json(serializeCredentialApplication(application, publicKey));
  });

  // Since Mastodon 4.3 any valid token will do, an app's own or a user's, whatever its scopes.
  app.get("/v1/apps/verify_credentials", async (c) => {
    const auth = c.get("auth");
    checkAuth(auth, [], { user: false });
    const application = await findApplication(c.get("services").db, auth.applicationId);
    if (!application) throw ApiError.unauthorized();
    const { publicKey } = await getVapidKeys(c.get("services").db);
    return c.json(serializeApplication(application, publicKey));
  });

  return app;
}

function text(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value === "number") return String(value);
  return undefined;
}

function list(value: unknown): string[] {
  const items = Array.isArray(value) ? value : [value];
  return items.map(text).filter((v): v is string => v !== undefined);
}
