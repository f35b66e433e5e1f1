// Hashtags: GET /api/v1/tags/:name (anyone), follow and unfollow, and the followed list.
import { Hono } from "hono";
import { currentAccount, requireAuth } from "../../auth/middleware.ts";
import { ApiError } from "../../http/errors.ts";
import { pageParams, setLinkHeader } from "../../http/pagination.ts";
import type { AppEnv } from "../../http/types.ts";
import { followedTagsPage, followTag, unfollowTag } from "../../tags/follows.ts";
import { findTag, isValidTagName, normalizeTagName, serializeTags } from "../../tags/tags.ts";
import { optionalViewer } from "./search.ts";

export function tagRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/v1/tags/:name", async (c) => {
    const viewer = optionalViewer(c, []);
    const { db, config } = c.get("services");
    const raw = c.req.param("name");
    const name = normalizeTagName(raw);
    if (!isValidTagName(name)) throw ApiError.notFound();
    // A valid name nobody has used yet is shown, not stored (as Mastodon's unsaved Tag):
    // reading must not create rows; following does.
    const tag = (await findTag(db, name)) ?? { id: "", name, display_name: name };
    const [entity] = await serializeTags(db, config, viewer, [tag]);
    return c.json(entity);
  });

  app.post("/v1/tags/:name/follow", requireAuth("write:follows"), async (c) => {
    const { db, config } = c.get("services");
    const viewer = currentAccount(c);
    const tag = await followTag(db, viewer, c.req.param("name"));
    const [entity] = await serializeTags(db, config, viewer, [tag]);
    return c.json(entity);
  });

  app.post("/v1/tags/:name/unfollow", requireAuth("write:follows"), async (c) => {
    const { db, config } = c.get("services");
    const viewer = currentAccount(c);
    const tag = await unfollowTag(db, viewer, c.req.param("name"));
    const [entity] = await serializeTags(db, config, viewer, [tag]);
    return c.json(entity);
  });

  app.get("/v1/followed_tags", requireAuth("read:follows"), async (c) => {
    const { db, config } = c.get("services");
    const viewer = currentAccount(c);
    const page = pageParams(c, { defaultLimit: 100, maxLimit: 200 });
    const rows = await followedTagsPage(db, viewer, page);
    setLinkHeader(c, { newest: rows[0]?.cursor, oldest: rows.at(-1)?.cursor }, config.publicUrl);
    return c.json(
      await serializeTags(
        db,
        config,
        viewer,
        rows.map((r) => r.tag),
      ),
    );
  });

  return app;
}
