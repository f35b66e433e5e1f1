// Trend review for staff (manage_taxonomies): GET /api/v1/admin/trends/tags|statuses|links
// lists what is trending including what waits for review, and POST .../:id/approve|reject
// records the decision (src/tags/trend-review.ts) that the public trends obey.
import type { Context } from "hono";
import { Hono } from "hono";
import { currentAccount, requireAuth } from "../../../auth/middleware.ts";
import { requirePermission } from "../../../auth/roles.ts";
import { ApiError } from "../../../http/errors.ts";
import type { AppEnv } from "../../../http/types.ts";
import { recordAction } from "../../../moderation/audit-log.ts";
import { limitParam, offsetParam } from "../../../search/paging.ts";
import { trendingStatuses } from "../../../search/trends.ts";
import { serializeStatuses } from "../../../statuses/serializer.ts";
import { canView } from "../../../statuses/visibility.ts";
import { serializeTags, type TagRow } from "../../../tags/tags.ts";
import { reviewTrend, type TrendKind, trendDecisions } from "../../../tags/trend-review.ts";
import { trendingTags } from "../../../tags/trends.ts";

const READ = requireAuth(["admin:read"]);
const WRITE = requireAuth(["admin:write"]);
const TAXONOMIES = requirePermission("manage_taxonomies");

function paging(c: Context<AppEnv>, defaultLimit: number, maxLimit: number) {
  const offset = offsetParam(c.req.query("offset"));
  const limit = limitParam(c.req.query("limit"), defaultLimit, maxLimit);
  if (offset === undefined || limit === undefined) {
    throw ApiError.badRequest("offset and limit must be numbers");
  }
  return { offset, limit };
}

async function adminTags(c: Context<AppEnv>, rows: TagRow[]) {
  const { db, config } = c.get("services");
  const [entities, decisions] = await Promise.all([
    serializeTags(db, config, null, rows),
    trendDecisions(
      db,
      "tag",
      rows.map((r) => r.id),
    ),
  ]);
  return entities.map((tag, i) => {
    const decision = decisions.get(rows[i]!.id);
    return {
      ...tag,
      trendable: decision ?? !config.trendsRequireReview,
      usable: true,
      requires_review: decision === undefined && config.trendsRequireReview,
      listable: rows[i]!.listable,
    };
  });
}

async function decide(c: Context<AppEnv>, kind: TrendKind, approved: boolean) {
  const services = c.get("services");
  const id = c.req.param("id") ?? "";
  if (!/^\d{1,20}$/.test(id)) throw ApiError.notFound("Record not found");
  const admin = currentAccount(c);
  const target =
    kind === "tag"
      ? await services.db.selectFrom("tags").selectAll().where("id", "=", id).executeTakeFirst()
      : await services.db
          .selectFrom("statuses")
          .selectAll()
          .where("id", "=", id)
          .executeTakeFirst();
  if (!target) throw ApiError.notFound("Record not found");
  if (kind === "status" && !(await canView(services.db, admin.id, id))) {
    throw ApiError.notFound("Record not found");
  }
  await services.db.transaction().execute(async (trx) => {
    await reviewTrend(trx, kind, id, approved, admin.id);
    await recordAction(trx, {
      accountId: admin.id,
      action: approved ? "approve_trend" : "reject_trend",
      targetType: kind === "tag" ? "Tag" : "Status",
      targetId: id,
    });
  });
  return target;
}

export function adminTrendRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/v1/admin/trends/tags", READ, TAXONOMIES, async (c) => {
    const { offset, limit } = paging(c, 10, 20);
    const rows = await trendingTags(c.get("services").db, { offset, limit, audience: "staff" });
    return c.json(await adminTags(c, rows));
  });

  app.get("/v1/admin/trends/statuses", READ, TAXONOMIES, async (c) => {
    const services = c.get("services");
    const viewer = currentAccount(c);
    const { offset, limit } = paging(c, 20, 40);
    const rows = await trendingStatuses(services.db, viewer, { offset, limit, audience: "staff" });
    return c.json(await serializeStatuses(services, viewer, rows));
  });

  // Roost makes no preview cards, so no links trend.
  app.get("/v1/admin/trends/links", READ, TAXONOMIES, (c) => {
    paging(c, 10, 20);
    return c.json([]);
  });
  app.get("/v1/admin/trends/links/publishers", READ, TAXONOMIES, (c) => c.json([]));

  for (const [action, approved] of [
    ["approve", true],
    ["reject", false],
  ] as const) {
    app.post(`/v1/admin/trends/tags/:id/${action}`, WRITE, TAXONOMIES, async (c) => {
      const tag = (await decide(c, "tag", approved)) as TagRow;
      const [entity] = await adminTags(c, [tag]);
      return c.json(entity);
    });
    app.post(`/v1/admin/trends/statuses/:id/${action}`, WRITE, TAXONOMIES, async (c) => {
      const services = c.get("services");
      const status = await decide(c, "status", approved);
      const [entity] = await serializeStatuses(services, currentAccount(c), [status as never]);
      return c.json(entity);
    });
    app.post(`/v1/admin/trends/links/:id/${action}`, WRITE, TAXONOMIES, () => {
      throw ApiError.notFound("Record not found");
    });
  }

  return app;
}
