// Notification requests: one per (recipient, sender) whose notifications the recipient's
// policy filtered. The filtered notifications themselves stay in `notifications` with
// `filtered` set; accepting the request releases them (and lets the sender through from
// then on), dismissing it deletes them.
import { sql } from "kysely";
import type { AccountRow } from "../auth/middleware.ts";
import type { PageParams } from "../http/pagination.ts";
import type { Db } from "../infra/db/index.ts";
import { newId } from "../infra/ids.ts";
import type { Services } from "../services.ts";
import { applyPage } from "../timelines/paging.ts";
import { loadReferences } from "./serializer.ts";

/** Records (or refreshes) the request of each recipient whose notification was filtered. */
export async function recordRequests(
  db: Db,
  recipientIds: string[],
  fromAccountId: string,
  statusId: string | null,
): Promise<void> {
  const now = new Date();
  for (const accountId of recipientIds) {
    await db
      .insertInto("notification_requests")
      .values({
        id: newId(now),
        account_id: accountId,
        from_account_id: fromAccountId,
        last_status_id: statusId,
        created_at: now,
        updated_at: now,
      })
      .onConflict((oc) =>
        oc.columns(["account_id", "from_account_id"]).doUpdateSet((eb) => ({
          updated_at: now,
          last_status_id: statusId ?? eb.ref("notification_requests.last_status_id"),
        })),
      )
      .execute();
  }
}

export interface RequestRow {
  id: string;
  from_account_id: string;
  last_status_id: string | null;
  created_at: Date;
  updated_at: Date;
}

function requestsQuery(db: Db, viewer: AccountRow) {
  return db
    .selectFrom("notification_requests")
    .select([
      "notification_requests.id",
      "notification_requests.from_account_id",
      "notification_requests.last_status_id",
      "notification_requests.created_at",
      "notification_requests.updated_at",
    ])
    .where("notification_requests.account_id", "=", viewer.id);
}

export async function listRequests(
  db: Db,
  viewer: AccountRow,
  page: PageParams,
): Promise<RequestRow[]> {
  const { query, reverse } = applyPage(requestsQuery(db, viewer), "notification_requests.id", page);
  const rows = await query.execute();
  return reverse ? rows.reverse() : rows;
}

export async function findRequest(
  db: Db,
  viewer: AccountRow,
  id: string,
): Promise<RequestRow | undefined> {
  if (!/^\d{1,19}$/.test(id)) return undefined;
  return requestsQuery(db, viewer).where("notification_requests.id", "=", id).executeTakeFirst();
}

/**
 * Deletes the viewer's requests among `ids` and, in the same transaction, has `then` deal
 * with the notifications of the senders they were from (when there were any).
 */
async function closeRequests(
  db: Db,
  viewer: AccountRow,
  ids: string[],
  then: (trx: Db, senderIds: string[]) => Promise<void>,
): Promise<void> {
  const valid = ids.filter((id) => /^\d{1,19}$/.test(id));
  if (valid.length === 0) return;
  await db.transaction().execute(async (trx) => {
    const requests = await trx
      .deleteFrom("notification_requests")
      .where("account_id", "=", viewer.id)
      .where("id", "in", valid)
      .returning("from_account_id")
      .execute();
    if (requests.length === 0) return;
    await then(
      trx,
      requests.map((r) => r.from_account_id),
    );
  });
}

/** Releases the filtered notifications of these requests and lets their senders through. */
export async function acceptRequests(db: Db, viewer: AccountRow, ids: string[]): Promise<void> {
  await closeRequests(db, viewer, ids, async (trx, senderIds) => {
    for (const from_account_id of senderIds) {
      await trx
        .updateTable("notifications")
        .set({ filtered: false })
        .where("account_id", "=", viewer.id)
        .where("from_account_id", "=", from_account_id)
        .where("filtered", "=", true)
        .execute();
      await trx
        .insertInto("notification_permissions")
        .values({ id: newId(), account_id: viewer.id, from_account_id })
        .onConflict((oc) => oc.columns(["account_id", "from_account_id"]).doNothing())
        .execute();
    }
  });
}

/** Drops these requests and the notifications they held. */
export async function dismissRequests(db: Db, viewer: AccountRow, ids: string[]): Promise<void> {
  await closeRequests(db, viewer, ids, async (trx, senderIds) => {
    await trx
      .deleteFrom("notifications")
      .where("account_id", "=", viewer.id)
      .where("from_account_id", "in", senderIds)
      .where("filtered", "=", true)
      .execute();
  });
}

/** The policy's `summary`: pending requests (capped at 100 as Mastodon) and their notifications. */
export async function requestsSummary(
  db: Db,
  viewer: AccountRow,
): Promise<{ pending_requests_count: number; pending_notifications_count: number }> {
  const [requests, notifications] = await Promise.all([
    db
      .selectFrom(requestsQuery(db, viewer).limit(100).as("r"))
      .select((eb) => eb.fn.countAll<string>().as("count"))
      .executeTakeFirst(),
    db
      .selectFrom("notifications")
      .select((eb) => eb.fn.countAll<string>().as("count"))
      .where("account_id", "=", viewer.id)
      .where("filtered", "=", true)
      .executeTakeFirst(),
  ]);
  return {
    pending_requests_count: Number(requests?.count ?? 0),
    pending_notifications_count: Number(notifications?.count ?? 0),
  };
}

/** NotificationRequest entities, in the order given; requests whose sender is gone are left out. */
export async function serializeRequests(
  services: Services,
  viewer: AccountRow,
  rows: RequestRow[],
) {
  if (rows.length === 0) return [];
  const counts = await services.db
    .selectFrom("notifications")
    .select(["from_account_id", sql<string>`count(*)`.as("count")])
    .where("account_id", "=", viewer.id)
    .where("filtered", "=", true)
    .where(
      "from_account_id",
      "in",
      rows.map((r) => r.from_account_id),
    )
    .groupBy("from_account_id")
    .execute();
  const countOf = new Map(counts.map((r) => [String(r.from_account_id), String(r.count)]));
  const { accounts, statuses } = await loadReferences(
    services,
    viewer,
    rows.map((r) => r.from_account_id),
    rows.flatMap((r) => (r.last_status_id ? [r.last_status_id] : [])),
  );
  return rows.flatMap((row) => {
    const account = accounts.get(row.from_account_id);
    if (!account) return [];
    return [
      {
        id: row.id,
        created_at: new Date(row.created_at).toISOString(),
        updated_at: new Date(row.updated_at).toISOString(),
        notifications_count: countOf.get(row.from_account_id) ?? "0",
        account,
        last_status: row.last_status_id ? (statuses.get(row.last_status_id) ?? null) : null,
      },
    ];
  });
}
