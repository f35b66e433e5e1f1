// /api/v1/featured_tags: the hashtags the user features on their profile, and suggestions
// (recently used tags). The public list per account is GET /api/v1/accounts/:id/featured_tags
// (accounts.ts), rendered with the same service.
import { Hono } from "hono";
import { currentAccount, requireAuth } from "../../auth/middleware.ts";
import {
  featureTag,
  listFeaturedTags,
  suggestedTags,
  unfeatureTag,
} from "../../featured-tags/service.ts";
import { queryParams, readParams } from "../../http/body.ts";
import type { AppEnv } from "../../http/types.ts";
import { serializeTags } from "../../tags/tags.ts";

const READ = ["read", "read:accounts"] as const;
const WRITE = ["write", "write:accounts"] as const;

export function featuredTagRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/v1/featured_tags", requireAuth(READ), async (c) => {
    const { db, config } = c.get("services");
    return c.json(await listFeaturedTags(db, config, currentAccount(c)));
  });

  app.get("/v1/featured_tags/suggestions", requireAuth(READ), async (c) => {
    const { db, config } = c.get("services");
    const viewer = currentAccount(c);
    const tags = await suggestedTags(db, viewer);
    return c.json(await serializeTags(db, config, viewer, tags));
  });

  app.post("/v1/featured_tags", requireAuth(WRITE), async (c) => {
    const { db, config } = c.get("services");
    const params = { ...queryParams(c), ...(await readParams(c)) };
    return c.json(await featureTag(db, config, currentAccount(c), params.name));
  });

  app.delete("/v1/featured_tags/:id", requireAuth(WRITE), async (c) => {
    await unfeatureTag(c.get("services").db, currentAccount(c), c.req.param("id"));
    return c.json({});
  });

  return app;
}
