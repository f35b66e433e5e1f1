// POST /api/v1/statuses/:id/translate. Roost has no translation service, and Mastodon
// answers a server without one with 404 (its NotConfiguredError is rescued as not found),
// after the usual token and visibility checks. The instance reports translation disabled
// and /api/v1/instance/translation_languages is `{}` (launch-extras.ts), so apps normally
// never offer the button.
import { Hono } from "hono";
import { currentAccount, requireAuth } from "../../auth/middleware.ts";
import { ApiError } from "../../http/errors.ts";
import type { AppEnv } from "../../http/types.ts";
import { findVisibleStatus } from "../../statuses/queries.ts";

export function translationRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.post("/v1/statuses/:id/translate", requireAuth(["read", "read:statuses"]), async (c) => {
    const viewer = currentAccount(c);
    await findVisibleStatus(c.get("services").db, viewer.id, c.req.param("id"));
    throw ApiError.notFound("Record not found");
  });

  return app;
}
