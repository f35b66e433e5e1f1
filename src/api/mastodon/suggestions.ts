// Follow suggestions: GET /api/v1/suggestions (accounts, legacy), GET /api/v2/suggestions
// (with the reason), DELETE /api/v1/suggestions/:account_id (never suggest that one again).
import type { Context } from "hono";
import { Hono } from "hono";
import { serializeAccount } from "../../accounts/serializers.ts";
import { currentAccount, requireAuth } from "../../auth/middleware.ts";
import { ApiError } from "../../http/errors.ts";
import type { AppEnv } from "../../http/types.ts";
import { dismissSuggestion, suggestedAccounts } from "../../search/discovery.ts";
import { limitParam } from "../../search/paging.ts";

export function suggestionRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  const load = async (c: Context<AppEnv>) => {
    const limit = limitParam(c.req.query("limit"), 40, 80);
    if (limit === undefined) throw ApiError.badRequest("limit must be a number");
    return await suggestedAccounts(c.get("services"), currentAccount(c), limit);
  };

  app.get("/v1/suggestions", requireAuth("read"), async (c) => {
    const { config } = c.get("services");
    return c.json((await load(c)).map((a) => serializeAccount(a, config)));
  });

  app.get("/v2/suggestions", requireAuth("read"), async (c) => {
    const { config } = c.get("services");
    return c.json(
      (await load(c)).map((a) => ({
        // `source` is the pre-4.3 single reason, still read by older apps.
        source: "global",
        sources: ["most_followed"],
        account: serializeAccount(a, config),
      })),
    );
  });

  app.delete("/v1/suggestions/:account_id", requireAuth("read"), async (c) => {
    const id = c.req.param("account_id");
    // Mastodon answers 200 whatever the id; only real ids are worth remembering.
    if (/^\d{1,20}$/.test(id)) await dismissSuggestion(c.get("services"), currentAccount(c), id);
    return c.json({});
  });

  return app;
}
