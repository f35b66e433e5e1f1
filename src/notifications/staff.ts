// Notifications for staff, as Mastodon makes them: `admin.sign_up` (someone signed up) to
// everyone whose role has manage_users, `admin.report` (a report was filed, here or by
// another server's Flag) to everyone with manage_reports. They go through `notify`, so
// blocks, mutes and domain blocks of the sender apply as for any notification, but the
// notification policy never holds them (they are not filterable in Mastodon either).
// The report a notification is about is named by its activity key, `admin.report:<id>`.
import { hasPermission, type Permission, ROLE_NAMES } from "../auth/roles.ts";
import type { Db } from "../infra/db/index.ts";
import { type ReportEntity, serializeReport } from "../moderation/reports-serializer.ts";
import type { Services } from "../services.ts";
import { type CreatedNotification, notify } from "./create.ts";

const REPORT_KEY = /^admin\.report:(\d{1,20})$/;

/** Local accounts whose role grants `permission` and who can use the server now. */
export async function staffWith(db: Db, permission: Permission): Promise<string[]> {
  const roles = ROLE_NAMES.filter((role) => hasPermission(role, permission));
  const rows = await db
    .selectFrom("users")
    .innerJoin("accounts", "accounts.id", "users.account_id")
    .select("accounts.id")
    .where("users.role", "in", roles)
    .where("users.disabled", "=", false)
    .where("accounts.suspended_at", "is", null)
    .execute();
  return rows.map((r) => r.id);
}

/** A new local sign-up (also one waiting for approval: staff have to decide on it). */
export async function notifyStaffOfSignUp(
  db: Db,
  accountId: string,
): Promise<CreatedNotification[]> {
  return notify(db, await staffWith(db, "manage_users"), {
    type: "admin.sign_up",
    fromAccountId: accountId,
    statusId: null,
    activityKey: `admin.sign_up:${accountId}`,
  });
}

/** A new report, from the reporter (a local user, or the remote actor that sent the Flag). */
export async function notifyStaffOfReport(
  db: Db,
  reportId: string,
): Promise<CreatedNotification[]> {
  const report = await db
    .selectFrom("reports")
    .select(["id", "account_id"])
    .where("id", "=", reportId)
    .executeTakeFirst();
  if (!report) return [];
  return notify(db, await staffWith(db, "manage_reports"), {
    type: "admin.report",
    fromAccountId: report.account_id,
    statusId: null,
    activityKey: `admin.report:${report.id}`,
  });
}

/** The report an `admin.report` notification is about, from its activity key. */
export function reportIdOf(row: { type: string; activity_key: string | null }): string | null {
  if (row.type !== "admin.report" || !row.activity_key) return null;
  return REPORT_KEY.exec(row.activity_key)?.[1] ?? null;
}

/** Renders the reports (Mastodon's Report entity) that notifications refer to. */
export async function loadNotificationReports(
  services: Services,
  reportIds: string[],
): Promise<Map<string, ReportEntity>> {
  const out = new Map<string, ReportEntity>();
  const ids = [...new Set(reportIds)];
  if (ids.length === 0) return out;
  const { db, config } = services;
  const reports = await db.selectFrom("reports").selectAll().where("id", "in", ids).execute();
  if (reports.length === 0) return out;
  const targets = await db
    .selectFrom("accounts")
    .selectAll()
    .where("id", "in", [...new Set(reports.map((r) => r.target_account_id))])
    .execute();
  const byId = new Map(targets.map((t) => [t.id, t]));
  for (const report of reports) {
    const target = byId.get(report.target_account_id);
    if (target) out.set(report.id, serializeReport(report, target, config));
  }
  return out;
}
