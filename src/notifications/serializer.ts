// The Notification entity. A page is rendered with one query for the accounts and one
// serializeStatuses call for the statuses; a notification whose status the viewer may no
// longer see is left out rather than shown without it.
import type { Selectable } from "kysely";
import { type AccountEntity, serializeAccount } from "../accounts/serializers.ts";
import type { AccountRow } from "../auth/middleware.ts";
import type { NotificationsTable } from "../infra/db/schema.ts";
import type { ReportEntity } from "../moderation/reports-serializer.ts";
import type { Services } from "../services.ts";
import { type MastodonStatus, serializeStatuses } from "../statuses/serializer.ts";
import { visibleTo } from "../statuses/visibility.ts";
import { loadNotificationReports, reportIdOf } from "./staff.ts";

export type NotificationRow = Selectable<NotificationsTable>;

export interface NotificationEntity {
  id: string;
  type: string;
  created_at: string;
  group_key: string;
  account: AccountEntity;
  status?: MastodonStatus | null;
  /** For `admin.report`: the report (staff notifications, staff.ts). */
  report?: ReportEntity | null;
}

/** The key shown to clients: the stored one, or `ungrouped-<id>` as Mastodon documents. */
export function groupKeyOf(row: Pick<NotificationRow, "id" | "group_key">): string {
  return row.group_key ?? `ungrouped-${row.id}`;
}

/** Loads and renders the accounts and statuses that notifications refer to. */
export async function loadReferences(
  services: Services,
  viewer: AccountRow,
  accountIds: string[],
  statusIds: string[],
): Promise<{ accounts: Map<string, AccountEntity>; statuses: Map<string, MastodonStatus> }> {
  const { db, config } = services;
  const accounts = new Map<string, AccountEntity>();
  const statuses = new Map<string, MastodonStatus>();
  const uniqueAccounts = [...new Set(accountIds)];
  if (uniqueAccounts.length) {
    const rows = await db
      .selectFrom("accounts")
      .selectAll()
      .where("id", "in", uniqueAccounts)
      .execute();
    for (const row of rows) accounts.set(row.id, serializeAccount(row, config));
  }
  const uniqueStatuses = [...new Set(statusIds)];
  if (uniqueStatuses.length) {
    const rows = await db
      .selectFrom("statuses")
      .innerJoin("accounts", "accounts.id", "statuses.account_id")
      .selectAll("statuses")
      .where("statuses.id", "in", uniqueStatuses)
      .where("accounts.suspended_at", "is", null)
      .where(visibleTo(viewer.id))
      .execute();
    // A status a `hide` filter matches is left out, and with it its notification.
    const rendered = await serializeStatuses(services, viewer, rows, {
      filterContext: "notifications",
    });
    for (const s of rendered) statuses.set(s.id, s);
  }
  return { accounts, statuses };
}

export async function serializeNotifications(
  services: Services,
  viewer: AccountRow,
  rows: NotificationRow[],
): Promise<NotificationEntity[]> {
  const { accounts, statuses } = await loadReferences(
    services,
    viewer,
    rows.map((r) => r.from_account_id),
    rows.flatMap((r) => (r.status_id ? [r.status_id] : [])),
  );
  const reports = await loadNotificationReports(
    services,
    rows.flatMap((r) => reportIdOf(r) ?? []),
  );
  const out: NotificationEntity[] = [];
  for (const row of rows) {
    const account = accounts.get(row.from_account_id);
    if (!account) continue;
    const entity: NotificationEntity = {
      id: row.id,
      type: row.type,
      created_at: new Date(row.created_at).toISOString(),
      group_key: groupKeyOf(row),
      account,
    };
    if (row.status_id) {
      const status = statuses.get(row.status_id);
      if (!status) continue;
      entity.status = status;
    }
    if (row.type === "admin.report") {
      // A report that is gone (its account was deleted) takes its notification with it.
      const report = reports.get(reportIdOf(row) ?? "");
      if (!report) continue;
      entity.report = report;
    }
    out.push(entity);
  }
  return out;
}
