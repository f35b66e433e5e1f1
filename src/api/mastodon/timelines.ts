// GET /api/v1/timelines/{home,public,tag/:hashtag,list/:id}: thin handlers over
// src/timelines/queries.ts, paged with Link headers by status id.
import type { Context } from "hono";
import { Hono } from "hono";
import { checkAuth, currentAccount, requireAuth } from "../../auth/middleware.ts";
import { queryParams } from "../../http/body.ts";
import { ApiError } from "../../http/errors.ts";
import { pageParams, setLinkHeader } from "../../http/pagination.ts";
import type { AppEnv } from "../../http/types.ts";
import { getOwnedList, listTimeline } from "../../lists/queries.ts";
import { homeTimelineJson } from "../../timelines/home-page.ts";
import { booleanParam, listParam } from "../../timelines/paging.ts";
import {
  type PublicOptions,
  publicTimeline,
  type TimelinePage,
  tagTimeline,
} from "../../timelines/queries.ts";

const READ = ["read", "read:statuses"] as const;

function respond(c: Context<AppEnv>, page: TimelinePage) {
  setLinkHeader(c, page, c.get("services").config.publicUrl);
  return c.json(page.statuses);
}

/** Public timelines need no token; a token that is sent must carry a read scope. */
function optionalViewer(c: Context<AppEnv>) {
  const auth = c.get("auth");
  if (!auth) return null;
  checkAuth(auth, READ, { user: false });
  return auth.account ?? null;
}

function publicOptions(c: Context<AppEnv>): PublicOptions {
  return {
    local: booleanParam(c.req.query("local")),
    remote: booleanParam(c.req.query("remote")),
    onlyMedia: booleanParam(c.req.query("only_media")),
  };
}

export function timelineRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/v1/timelines/home", requireAuth(READ), async (c) => {
    const services = c.get("services");
    const page = await homeTimelineJson(services, currentAccount(c), pageParams(c));
    setLinkHeader(c, page, services.config.publicUrl);
    return c.body(page.json, 200, { "Content-Type": "application/json" });
  });

  app.get("/v1/timelines/public", async (c) => {
    const viewer = optionalViewer(c);
    const page = await publicTimeline(c.get("services"), viewer, pageParams(c), publicOptions(c));
    return respond(c, page);
  });

  app.get("/v1/timelines/tag/:hashtag", async (c) => {
    const viewer = optionalViewer(c);
    const hashtag = c.req.param("hashtag");
    if (!hashtag.trim()) throw ApiError.notFound();
    const q = queryParams(c);
    const page = await tagTimeline(c.get("services"), viewer, hashtag, pageParams(c), {
      ...publicOptions(c),
      any: listParam(q.any),
      all: listParam(q.all),
      none: listParam(q.none),
    });
    return respond(c, page);
  });

  // Only the owner may read a list; anyone else's list is not found.
  app.get("/v1/timelines/list/:id", requireAuth(["read", "read:lists"]), async (c) => {
    const services = c.get("services");
    const viewer = currentAccount(c);
    const list = await getOwnedList(services.db, viewer.id, c.req.param("id"));
    return respond(c, await listTimeline(services, viewer, list, pageParams(c)));
  });

  return app;
}
