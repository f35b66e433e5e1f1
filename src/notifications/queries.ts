// Reading and dismissing the viewer's notifications (v1), and the filters v1 and v2 share.
import { type SelectQueryBuilder, type SqlBool, sql } from "kysely";
import type { AccountRow } from "../auth/middleware.ts";
import type { PageParams } from "../http/pagination.ts";
import type { Db } from "../infra/db/index.ts";
import type { Database, NotificationType } from "../infra/db/schema.ts";
import { domainBlockedBy, visibleTo } from "../statuses/visibility.ts";
import { applyPage } from "../timelines/paging.ts";
import type { NotificationRow } from "./serializer.ts";

/** The types Roost creates; requested types outside this list are ignored. */
export const NOTIFICATION_TYPES: readonly NotificationType[] = [
  "mention",
  "status",
  "reblog",
  "follow",
  "follow_request",
  "favourite",
  "poll",
  "update",
  "admin.sign_up",
  "admin.report",
];

export interface NotificationFilter {
  /** `types[]` as sent (undefined when absent). */
  types?: string[];
  excludeTypes: string[];
  accountId?: string;
}

/**
 * The types a request selects, as Mastodon computes them: the requested ones that exist
 * (all when none were requested), minus the excluded ones.
 */
export function selectedTypes(filter: NotificationFilter): NotificationType[] {
  const known = (list: string[]) =>
    NOTIFICATION_TYPES.filter((t) => list.includes(t)) as NotificationType[];
  const wanted = filter.types?.length ? known(filter.types) : [...NOTIFICATION_TYPES];
  return wanted.filter((t) => !filter.excludeTypes.includes(t));
}

type NotificationQuery = SelectQueryBuilder<Database, "notifications", NotificationRow>;

/** The viewer's notifications matching the filter, whose status (if any) they may see. */
export function notificationsQuery(db: Db, viewer: AccountRow, filter: NotificationFilter) {
  const types = selectedTypes(filter);
  let query: NotificationQuery = db
    .selectFrom("notifications")
    .selectAll("notifications")
    .where("notifications.account_id", "=", viewer.id)
    // Held by the notification policy (requests.ts) or from a domain the viewer blocked.
    .where("notifications.filtered", "=", false)
    .where((eb) => eb.not(domainBlockedBy(viewer.id, "notifications.from_account_id")));
  query = types.length
    ? query.where("notifications.type", "in", types)
    : query.where(sql<SqlBool>`false`);
  if (filter.accountId) query = query.where("notifications.from_account_id", "=", filter.accountId);
  return query.where((eb) =>
    eb.or([
      eb("notifications.status_id", "is", null),
      eb.exists(
        eb
          .selectFrom("statuses")
          .select(sql.lit(1).as("one"))
          .whereRef("statuses.id", "=", "notifications.status_id")
          .where(visibleTo(viewer.id)),
      ),
    ]),
  );
}

export async function listNotifications(
  db: Db,
  viewer: AccountRow,
  filter: NotificationFilter,
  page: PageParams,
): Promise<NotificationRow[]> {
  const { query, reverse } = applyPage(
    notificationsQuery(db, viewer, filter),
    "notifications.id",
    page,
  );
  const rows = await query.execute();
  return reverse ? rows.reverse() : rows;
}

export async function findNotification(
  db: Db,
  viewer: AccountRow,
  id: string,
): Promise<NotificationRow | undefined> {
  if (!/^\d{1,20}$/.test(id)) return undefined;
  // As the list: one held by the policy, or from a domain the viewer blocked, is not found.
  return db
    .selectFrom("notifications")
    .selectAll()
    .where("account_id", "=", viewer.id)
    .where("id", "=", id)
    .where("filtered", "=", false)
    .where((eb) => eb.not(domainBlockedBy(viewer.id, "notifications.from_account_id")))
    .executeTakeFirst();
}

/** Deletes one notification; false when it isn't the viewer's. */
export async function dismissNotification(
  db: Db,
  viewer: AccountRow,
  id: string,
): Promise<boolean> {
  if (!/^\d{1,20}$/.test(id)) return false;
  const result = await db
    .deleteFrom("notifications")
    .where("account_id", "=", viewer.id)
    .where("id", "=", id)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

export async function clearNotifications(db: Db, viewer: AccountRow): Promise<void> {
  await db.deleteFrom("notifications").where("account_id", "=", viewer.id).execute();
}

/** The id of the last notification the viewer has read (their notifications marker). */
export async function lastReadNotificationId(db: Db, viewer: AccountRow): Promise<string> {
  const marker = await db
    .selectFrom("markers")
    .select("last_read_id")
    .where("account_id", "=", viewer.id)
    .where("timeline", "=", "notifications")
    .executeTakeFirst();
  return marker?.last_read_id ?? "0";
}

/** Notifications newer than the marker, counted up to `limit` (Mastodon caps the count). */
export async function unreadCount(
  db: Db,
  viewer: AccountRow,
  filter: NotificationFilter,
  limit: number,
): Promise<number> {
  const lastRead = await lastReadNotificationId(db, viewer);
  const capped = notificationsQuery(db, viewer, filter)
    .where("notifications.id", ">", lastRead)
    .limit(limit);
  const row = await db
    .selectFrom(capped.as("unread"))
    .select((eb) => eb.fn.countAll<string>().as("count"))
    .executeTakeFirst();
  return Number(row?.count ?? 0);
}
