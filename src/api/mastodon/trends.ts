// Trends: GET /api/v1/trends/tags (and its old alias /api/v1/trends), /trends/statuses and
// /trends/links. Public, like Mastodon's explore page; a token only personalizes
// (`following` on tags, and blocks hide posts). Links stay empty until preview cards exist.
import type { Context } from "hono";
import { Hono } from "hono";
import { ApiError } from "../../http/errors.ts";
import type { AppEnv } from "../../http/types.ts";
import { limitParam, offsetParam } from "../../search/paging.ts";
import { trendingStatuses } from "../../search/trends.ts";
import { serializeStatuses } from "../../statuses/serializer.ts";
import { serializeTags } from "../../tags/tags.ts";
import { trendingTags } from "../../tags/trends.ts";
import { optionalViewer } from "./search.ts";

function offsetAndLimit(c: Context<AppEnv>, defaultLimit: number, maxLimit: number) {
  const offset = offsetParam(c.req.query("offset"));
  if (offset === undefined) throw ApiError.badRequest("offset must be a non-negative number");
  const limit = limitParam(c.req.query("limit"), defaultLimit, maxLimit);
  if (limit === undefined) throw ApiError.badRequest("limit must be a number");
  return { offset, limit };
}

/** Offset paging links, as Mastodon sends for trends: next while pages are full. */
function setOffsetLinks(c: Context<AppEnv>, offset: number, limit: number, count: number): void {
  const base = new URL(c.req.path, c.get("services").config.publicUrl);
  const link = (at: number, rel: string) => {
    const params = new URLSearchParams(new URL(c.req.url).searchParams);
    params.set("offset", String(at));
    params.set("limit", String(limit));
    return `<${base}?${params}>; rel="${rel}"`;
  };
  const links: string[] = [];
  if (count === limit) links.push(link(offset + limit, "next"));
  if (offset > 0) links.push(link(Math.max(offset - limit, 0), "prev"));
  if (links.length) c.header("Link", links.join(", "));
}

export function trendRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  const tags = async (c: Context<AppEnv>) => {
    const viewer = optionalViewer(c, []);
    const { db, config } = c.get("services");
    const { offset, limit } = offsetAndLimit(c, 10, 20);
    const audience = { requireReview: config.trendsRequireReview };
    const rows = await trendingTags(db, { offset, limit, audience });
    setOffsetLinks(c, offset, limit, rows.length);
    return c.json(await serializeTags(db, config, viewer, rows));
  };
  app.get("/v1/trends/tags", tags);
  app.get("/v1/trends", tags);

  app.get("/v1/trends/statuses", async (c) => {
    const viewer = optionalViewer(c, []);
    const services = c.get("services");
    const { offset, limit } = offsetAndLimit(c, 20, 40);
    const audience = { requireReview: services.config.trendsRequireReview };
    const rows = await trendingStatuses(services.db, viewer, { offset, limit, audience });
    setOffsetLinks(c, offset, limit, rows.length);
    return c.json(await serializeStatuses(services, viewer, rows));
  });

  app.get("/v1/trends/links", (c) => {
    optionalViewer(c, []);
    offsetAndLimit(c, 10, 20);
    return c.json([]);
  });

  return app;
}
