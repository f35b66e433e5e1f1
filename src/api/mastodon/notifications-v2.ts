// /api/v2/notifications: grouped notifications (src/notifications/grouped.ts).
import type { Context } from "hono";
import { Hono } from "hono";
import { currentAccount, requireAuth } from "../../auth/middleware.ts";
import { queryParams } from "../../http/body.ts";
import { ApiError } from "../../http/errors.ts";
import { pageParams, setLinkHeader } from "../../http/pagination.ts";
import type { AppEnv } from "../../http/types.ts";
import {
  dismissGroup,
  findGroup,
  groupRows,
  listGroups,
  parseGroupedTypes,
  renderGroupedJson,
} from "../../notifications/grouped.ts";
import { lastReadNotificationId, notificationsQuery } from "../../notifications/queries.ts";
import { loadReferences } from "../../notifications/serializer.ts";
import { listParam } from "../../timelines/paging.ts";
import {
  countLimit,
  notificationFilter,
  READ_NOTIFICATIONS,
  WRITE_NOTIFICATIONS,
} from "./notifications.ts";

function jsonWithIntIds(c: Context<AppEnv>, value: unknown) {
  return c.body(renderGroupedJson(value), 200, { "Content-Type": "application/json" });
}

function groupedTypes(c: Context<AppEnv>): string[] {
  const q = queryParams(c);
  return parseGroupedTypes(q.grouped_types === undefined ? undefined : listParam(q.grouped_types));
}

export function notificationV2Routes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/v2/notifications", requireAuth(READ_NOTIFICATIONS), async (c) => {
    const services = c.get("services");
    const expand =
      c.req.query("expand_accounts") === "partial_avatars" ? "partial_avatars" : "full";
    const page = await listGroups(
      services,
      currentAccount(c),
      notificationFilter(c),
      groupedTypes(c),
      pageParams(c, { defaultLimit: 40, maxLimit: 80 }),
      expand,
    );
    setLinkHeader(c, page, services.config.publicUrl);
    return jsonWithIntIds(c, page.body);
  });

  app.get("/v2/notifications/unread_count", requireAuth(READ_NOTIFICATIONS), async (c) => {
    const { db } = c.get("services");
    const viewer = currentAccount(c);
    const kinds = groupedTypes(c);
    const lastRead = await lastReadNotificationId(db, viewer);
    const rows = await notificationsQuery(db, viewer, notificationFilter(c))
      .where("notifications.id", ">", lastRead)
      .orderBy("notifications.id", "desc")
      .limit(countLimit(c) * 10)
      .execute();
    // Unread groups, not notifications: one per group key among the unread.
    const keys = new Set(
      rows.map((r) => (r.group_key && kinds.includes(r.type) ? r.group_key : `ungrouped-${r.id}`)),
    );
    return c.json({ count: Math.min(keys.size, countLimit(c)) });
  });

  app.get("/v2/notifications/:group_key", requireAuth(READ_NOTIFICATIONS), async (c) => {
    const body = await findGroup(c.get("services"), currentAccount(c), c.req.param("group_key"));
    if (!body) throw ApiError.notFound();
    return jsonWithIntIds(c, body);
  });

  app.get("/v2/notifications/:group_key/accounts", requireAuth(READ_NOTIFICATIONS), async (c) => {
    const services = c.get("services");
    const viewer = currentAccount(c);
    const rows = await groupRows(services, viewer, c.req.param("group_key"));
    if (rows.length === 0) throw ApiError.notFound();
    const ids = [...new Set(rows.map((r) => r.from_account_id))];
    const { accounts } = await loadReferences(services, viewer, ids, []);
    return c.json(ids.flatMap((id) => accounts.get(id) ?? []));
  });

  app.post("/v2/notifications/:group_key/dismiss", requireAuth(WRITE_NOTIFICATIONS), async (c) => {
    await dismissGroup(c.get("services"), currentAccount(c), c.req.param("group_key"));
    return c.json({});
  });

  return app;
}
