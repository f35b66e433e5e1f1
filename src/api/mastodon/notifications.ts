// /api/v1/notifications: list (types[], exclude_types[], account_id), show, dismiss,
// clear and unread_count. Logic in src/notifications.
import type { Context } from "hono";
import { Hono } from "hono";
import { currentAccount, requireAuth } from "../../auth/middleware.ts";
import { queryParams } from "../../http/body.ts";
import { ApiError } from "../../http/errors.ts";
import { pageParams, setLinkHeader } from "../../http/pagination.ts";
import type { AppEnv } from "../../http/types.ts";
import {
  clearNotifications,
  dismissNotification,
  findNotification,
  listNotifications,
  type NotificationFilter,
  unreadCount,
} from "../../notifications/queries.ts";
import { serializeNotifications } from "../../notifications/serializer.ts";
import { listParam } from "../../timelines/paging.ts";

export const READ_NOTIFICATIONS = ["read", "read:notifications"] as const;
export const WRITE_NOTIFICATIONS = ["write", "write:notifications"] as const;

/** types[], exclude_types[] and account_id, shared with v2. */
export function notificationFilter(c: Context<AppEnv>): NotificationFilter {
  const q = queryParams(c);
  const types = q.types === undefined ? undefined : listParam(q.types);
  const accountId = c.req.query("account_id");
  return {
    types,
    excludeTypes: listParam(q.exclude_types),
    accountId: accountId && /^\d{1,20}$/.test(accountId) ? accountId : undefined,
  };
}

/** Mastodon's unread_count `limit`: default 100, at most 1000. */
export function countLimit(c: Context<AppEnv>): number {
  const raw = Number.parseInt(c.req.query("limit") ?? "", 10);
  return Number.isFinite(raw) ? Math.min(Math.max(raw, 1), 1000) : 100;
}

export function notificationRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/v1/notifications", requireAuth(READ_NOTIFICATIONS), async (c) => {
    const services = c.get("services");
    const viewer = currentAccount(c);
    const rows = await listNotifications(services.db, viewer, notificationFilter(c), pageParams(c));
    setLinkHeader(c, { newest: rows[0]?.id, oldest: rows.at(-1)?.id }, services.config.publicUrl);
    return c.json(await serializeNotifications(services, viewer, rows));
  });

  // Before `/:id`, so the fixed path wins.
  app.get("/v1/notifications/unread_count", requireAuth(READ_NOTIFICATIONS), async (c) => {
    const { db } = c.get("services");
    const count = await unreadCount(db, currentAccount(c), notificationFilter(c), countLimit(c));
    return c.json({ count });
  });

  app.post("/v1/notifications/clear", requireAuth(WRITE_NOTIFICATIONS), async (c) => {
    await clearNotifications(c.get("services").db, currentAccount(c));
    return c.json({});
  });

  app.get("/v1/notifications/:id", requireAuth(READ_NOTIFICATIONS), async (c) => {
    const services = c.get("services");
    const viewer = currentAccount(c);
    const row = await findNotification(services.db, viewer, c.req.param("id"));
    const [entity] = row ? await serializeNotifications(services, viewer, [row]) : [];
    if (!entity) throw ApiError.notFound();
    return c.json(entity);
  });

  app.post("/v1/notifications/:id/dismiss", requireAuth(WRITE_NOTIFICATIONS), async (c) => {
    const found = await dismissNotification(
      c.get("services").db,
      currentAccount(c),
      c.req.param("id"),
    );
    if (!found) throw ApiError.notFound();
    return c.json({});
  });

  return app;
}
