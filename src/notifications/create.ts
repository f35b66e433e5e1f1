// Creating (and withdrawing) notifications in response to domain events. Every insert is
// keyed by what caused it (`activity_key`, unique per recipient), so a retried job adds
// nothing twice. Recipients are local accounts other than the actor who have not blocked
// the actor or muted them with notifications.
import { type ExpressionBuilder, type SqlBool, sql } from "kysely";
import type { Db } from "../infra/db/index.ts";
import type { Database, NotificationType } from "../infra/db/schema.ts";
import { newId } from "../infra/ids.ts";
import { decidePolicy } from "./policy.ts";
import { recordRequests } from "./requests.ts";

type AccountScope = ExpressionBuilder<Database, "accounts">;

/** Types Mastodon groups by default in grouped notifications (v2). */
export const GROUPABLE_TYPES: readonly NotificationType[] = [
  "favourite",
  "follow",
  "reblog",
  "admin.sign_up",
];

const HOUR_MS = 3_600_000;

/**
 * Mastodon's group key: favourites and boosts of one status, or follows (or sign-ups, for
 * staff), within the same hour share one; anything else is stored without and shown as
 * `ungrouped-<id>`.
 */
export function groupKeyFor(
  type: NotificationType,
  statusId: string | null,
  at: Date,
): string | null {
  const bucket = Math.floor(at.getTime() / HOUR_MS);
  if ((type === "favourite" || type === "reblog") && statusId)
    return `${type}-${statusId}-${bucket}`;
  if (type === "follow" || type === "admin.sign_up") return `${type}-${bucket}`;
  return null;
}

/** Accounts (in scope as `accounts`) that may be notified of something `fromId` did. */
function mayNotify(fromId: string) {
  return (eb: AccountScope) =>
    eb.and([
      eb("accounts.domain", "is", null),
      eb("accounts.id", "<>", fromId),
      eb("accounts.suspended_at", "is", null),
      sql<SqlBool>`not exists (select 1 from blocks b
        where b.account_id = accounts.id and b.target_account_id = ${fromId})`,
      sql<SqlBool>`not exists (select 1 from mutes m
        where m.account_id = accounts.id and m.target_account_id = ${fromId}
          and m.hide_notifications and (m.expires_at is null or m.expires_at > now()))`,
      // Nor of anything from a domain they blocked (src/domain-blocks).
      sql<SqlBool>`not exists (select 1 from account_domain_blocks adb
        join accounts fa on fa.domain = adb.domain
        where adb.account_id = accounts.id and fa.id = ${fromId})`,
    ]);
}

/** A notification that was just inserted (not one a retried job found already there). */
export interface CreatedNotification {
  id: string;
  account_id: string;
  type: NotificationType;
}

export interface NewNotification {
  type: NotificationType;
  fromAccountId: string;
  statusId: string | null;
  activityKey: string;
}

/**
 * Inserts one notification per eligible recipient among `recipientIds`; returns the new ones.
 * Exported for staff notifications (staff.ts); the policy applies only to filterable types.
 */
export async function notify(
  db: Db,
  recipientIds: string[],
  n: NewNotification,
): Promise<CreatedNotification[]> {
  if (recipientIds.length === 0) return [];
  const eligible = await db
    .selectFrom("accounts")
    .select("accounts.id")
    .where("accounts.id", "in", recipientIds)
    .where(mayNotify(n.fromAccountId))
    .execute();
  const now = new Date();
  const groupKey = groupKeyFor(n.type, n.statusId, now);
  const created: CreatedNotification[] = [];
  // The recipients' notification policies drop some and hold some back (policy.ts).
  const policy = await decidePolicy(
    db,
    eligible.map((r) => r.id),
    n,
  );
  const kept = eligible.filter((r) => policy.get(r.id) !== "drop");
  const held: string[] = [];
  // Chunked: a status by an account with many `notify` followers reaches them all.
  for (let i = 0; i < kept.length; i += 1000) {
    const rows = await db
      .insertInto("notifications")
      .values(
        kept.slice(i, i + 1000).map((r) => ({
          filtered: policy.get(r.id) === "filter",
          id: newId(now),
          account_id: r.id,
          from_account_id: n.fromAccountId,
          type: n.type,
          status_id: n.statusId,
          group_key: groupKey,
          activity_key: n.activityKey,
          created_at: now,
        })),
      )
      .onConflict((oc) => oc.columns(["account_id", "activity_key"]).doNothing())
      .returning(["id", "account_id", "type", "filtered"])
      .execute();
    for (const { filtered, ...row } of rows) {
      if (filtered) held.push(row.account_id);
      else created.push(row);
    }
  }
  await recordRequests(db, held, n.fromAccountId, n.statusId);
  return created;
}

/** A new status: mentions, `status` for followers who asked, or `reblog` for a boost. */
export async function notifyStatusCreated(
  db: Db,
  statusId: string,
): Promise<CreatedNotification[]> {
  const status = await db
    .selectFrom("statuses")
    .selectAll()
    .where("id", "=", statusId)
    .executeTakeFirst();
  if (!status) return [];
  if (status.reblog_of_id) {
    const original = await db
      .selectFrom("statuses")
      .select(["id", "account_id"])
      .where("id", "=", status.reblog_of_id)
      .executeTakeFirst();
    if (!original) return [];
    return notify(db, [original.account_id], {
      type: "reblog",
      fromAccountId: status.account_id,
      statusId: original.id,
      activityKey: `reblog:${status.id}`,
    });
  }

  const mentioned = await db
    .selectFrom("mentions")
    .select("account_id")
    .where("status_id", "=", status.id)
    .where("silent", "=", false)
    // Someone who muted this conversation hears nothing more of it.
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom("status_mutes")
            .innerJoin("statuses as muted", "muted.id", "status_mutes.status_id")
            .select(sql.lit(1).as("one"))
            .whereRef("status_mutes.account_id", "=", "mentions.account_id")
            .where((eb) =>
              eb.or([
                eb("muted.id", "=", status.in_reply_to_id ?? "0"),
                eb("muted.conversation_id", "=", status.conversation_id ?? "0"),
              ]),
            ),
        ),
      ),
    )
    .execute();
  const mentions = await notify(
    db,
    mentioned.map((m) => m.account_id),
    {
      type: "mention",
      fromAccountId: status.account_id,
      statusId: status.id,
      activityKey: `mention:${status.id}`,
    },
  );

  // `notify` followers hear of original posts and self-replies, not replies to others or DMs.
  const reply =
    status.in_reply_to_account_id && status.in_reply_to_account_id !== status.account_id;
  if (reply || status.visibility === "direct") return mentions;
  const subscribers = await db
    .selectFrom("follows")
    .select("account_id")
    .where("target_account_id", "=", status.account_id)
    .where("notify", "=", true)
    .execute();
  const mentionedIds = new Set(mentioned.map((m) => m.account_id));
  const statuses = await notify(
    db,
    subscribers.map((f) => f.account_id).filter((id) => !mentionedIds.has(id)),
    {
      type: "status",
      fromAccountId: status.account_id,
      statusId: status.id,
      activityKey: `status:${status.id}`,
    },
  );
  return [...mentions, ...statuses];
}

/** An edited status: `update` for the local accounts that boosted it. */
export async function notifyStatusUpdated(
  db: Db,
  statusId: string,
): Promise<CreatedNotification[]> {
  const status = await db
    .selectFrom("statuses")
    .select(["id", "account_id", "edited_at", "updated_at"])
    .where("id", "=", statusId)
    .executeTakeFirst();
  if (!status) return [];
  const boosters = await db
    .selectFrom("statuses")
    .select("account_id")
    .distinct()
    .where("reblog_of_id", "=", status.id)
    .execute();
  // One notification per edit: the key carries the edit's time.
  const editedAt = new Date(status.edited_at ?? status.updated_at).getTime();
  return notify(
    db,
    boosters.map((b) => b.account_id),
    {
      type: "update",
      fromAccountId: status.account_id,
      statusId: status.id,
      activityKey: `update:${status.id}:${editedAt}`,
    },
  );
}

export async function notifyFavourite(
  db: Db,
  favouriteId: string,
  accountId: string,
  statusId: string,
): Promise<CreatedNotification[]> {
  const status = await db
    .selectFrom("statuses")
    .select(["id", "account_id"])
    .where("id", "=", statusId)
    .executeTakeFirst();
  if (!status) return [];
  return notify(db, [status.account_id], {
    type: "favourite",
    fromAccountId: accountId,
    statusId,
    activityKey: `favourite:${favouriteId}`,
  });
}

export async function notifyFollow(
  db: Db,
  type: "follow" | "follow_request",
  activityId: string,
  accountId: string,
  targetAccountId: string,
): Promise<CreatedNotification[]> {
  return notify(db, [targetAccountId], {
    type,
    fromAccountId: accountId,
    statusId: null,
    activityKey: `${type}:${activityId}`,
  });
}

/** Withdraws notifications whose cause was undone (unfavourite, unboost, request handled). */
export async function withdrawNotifications(
  db: Db,
  where: { type: NotificationType; fromAccountId: string; accountId?: string; statusId?: string },
): Promise<void> {
  // The recipient is the status's author: with it, the delete uses the account index.
  let accountId = where.accountId;
  if (!accountId && where.statusId) {
    const status = await db
      .selectFrom("statuses")
      .select("account_id")
      .where("id", "=", where.statusId)
      .executeTakeFirst();
    if (!status) return;
    accountId = status.account_id;
  }
  let query = db
    .deleteFrom("notifications")
    .where("type", "=", where.type)
    .where("from_account_id", "=", where.fromAccountId);
  if (accountId) query = query.where("account_id", "=", accountId);
  if (where.statusId) query = query.where("status_id", "=", where.statusId);
  await query.execute();
}

/** After a block, the blocker no longer sees what the blocked account did. */
export async function clearNotificationsFrom(
  db: Db,
  accountId: string,
  fromAccountId: string,
): Promise<void> {
  await db
    .deleteFrom("notifications")
    .where("account_id", "=", accountId)
    .where("from_account_id", "=", fromAccountId)
    .execute();
}
