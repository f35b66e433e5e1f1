// /api/v1/announcements: what staff announced, as each user sees it (read state, own
// reactions), and the user's dismissals and reactions. Only published announcements are
// visible; anything else is a 404.
import { Hono } from "hono";
import { serializeAnnouncements } from "../../announcements/render.ts";
import {
  activeAnnouncements,
  addReaction,
  dismissAnnouncement,
  removeReaction,
} from "../../announcements/store.ts";
import { currentAccount, requireAuth } from "../../auth/middleware.ts";
import type { AppEnv } from "../../http/types.ts";
import { truthyParam } from "./search.ts";

export function announcementRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/v1/announcements", requireAuth("read"), async (c) => {
    const account = currentAccount(c);
    const services = c.get("services");
    const rows = await activeAnnouncements(
      services.db,
      account.id,
      truthyParam(c.req.query("with_dismissed")),
    );
    return c.json(await serializeAnnouncements(services, rows, account.id));
  });

  app.post("/v1/announcements/:id/dismiss", requireAuth("write:accounts"), async (c) => {
    const account = currentAccount(c);
    await dismissAnnouncement(c.get("services"), account.id, c.req.param("id"));
    return c.json({});
  });

  app.put("/v1/announcements/:id/reactions/:name", requireAuth("write:favourites"), async (c) => {
    const account = currentAccount(c);
    await addReaction(c.get("services"), account.id, c.req.param("id"), c.req.param("name"));
    return c.json({});
  });

  app.delete(
    "/v1/announcements/:id/reactions/:name",
    requireAuth("write:favourites"),
    async (c) => {
      const account = currentAccount(c);
      await removeReaction(c.get("services"), account.id, c.req.param("id"), c.req.param("name"));
      return c.json({});
    },
  );

  return app;
}
