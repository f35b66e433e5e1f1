// The small endpoints apps call when they start (the official app, Ivory, Tusky, Elk):
// preferences, custom emojis, the profile directory, and placeholders for
// features not built yet (filters, lists) that answer with
// empty lists, because apps treat a 404 here as a broken server.
import { Hono } from "hono";
import { serializeAccount } from "../../accounts/serializers.ts";
import { currentAccount, requireAuth } from "../../auth/middleware.ts";
import { ApiError } from "../../http/errors.ts";
import type { AppEnv } from "../../http/types.ts";
import { directoryAccounts } from "../../search/discovery.ts";
import { limitParam, offsetParam } from "../../search/paging.ts";
import { optionalViewer, truthyParam } from "./search.ts";

const VISIBILITIES = ["public", "unlisted", "private"];
const EXPAND_MEDIA = ["default", "show_all", "hide_all"];

export function launchRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/v1/preferences", requireAuth("read:accounts"), (c) => {
    const settings = c.get("auth")?.user?.settings ?? {};
    const pick = (key: string, allowed: string[], fallback: string) => {
      const v = settings[key];
      return typeof v === "string" && allowed.includes(v) ? v : fallback;
    };
    currentAccount(c);
    return c.json({
      // The same keys as CredentialAccount's `source`, so both always agree.
      "posting:default:visibility": pick("default_privacy", VISIBILITIES, "public"),
      "posting:default:sensitive": settings.default_sensitive === true,
      "posting:default:language":
        typeof settings.default_language === "string" ? settings.default_language : null,
      "reading:expand:media": pick("expand_media", EXPAND_MEDIA, "default"),
      "reading:expand:spoilers": settings.expand_spoilers === true,
    });
  });

  // Custom emojis arrive with the emoji work; no token needed, as in Mastodon.
  app.get("/v1/custom_emojis", (c) => c.json([]));

  app.get("/v1/directory", async (c) => {
    optionalViewer(c, []);
    const offset = offsetParam(c.req.query("offset"));
    if (offset === undefined) throw ApiError.badRequest("offset must be a non-negative number");
    const limit = limitParam(c.req.query("limit"), 40, 80);
    if (limit === undefined) throw ApiError.badRequest("limit must be a number");
    const order = c.req.query("order") === "new" ? "new" : "active";
    const { db, config } = c.get("services");
    const rows = await directoryAccounts(db, {
      offset,
      limit,
      order,
      local: truthyParam(c.req.query("local")),
    });
    return c.json(rows.map((a) => serializeAccount(a, config)));
  });

  // TODO(issue 8): filters and lists.
  // Until then each validates its token and paging like the real thing and lists nothing.

  return app;
}
