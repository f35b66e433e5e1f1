// Report (what the reporter sees) and Admin::Report (what staff see), as Mastodon renders
// them. Staff see the reported posts whatever their visibility: judging them needs it.
import { type AccountEntity, serializeAccount } from "../accounts/serializers.ts";
import type { AccountRow } from "../auth/middleware.ts";
import { getInstanceSettings, type InstanceRule } from "../instance/settings.ts";
import type { Services } from "../services.ts";
import { type MastodonStatus, serializeStatuses } from "../statuses/serializer.ts";
import { type AdminAccountEntity, adminAccountEntities } from "./admin-accounts.ts";
import type { ReportRow } from "./reports.ts";

/** The fields the reporter's and the staff's views of a report have in common. */
interface ReportFields {
  id: string;
  action_taken: boolean;
  action_taken_at: string | null;
  category: string;
  comment: string;
  forwarded: boolean;
  created_at: string;
}

export interface ReportEntity extends ReportFields {
  status_ids: string[] | null;
  rule_ids: string[] | null;
  target_account: AccountEntity;
}

export interface AdminReportEntity extends ReportFields {
  updated_at: string;
  account: AdminAccountEntity;
  target_account: AdminAccountEntity;
  assigned_account: AdminAccountEntity | null;
  action_taken_by_account: AdminAccountEntity | null;
  statuses: MastodonStatus[];
  rules: InstanceRule[];
}

function reportFields(report: ReportRow): ReportFields {
  return {
    id: report.id,
    action_taken: report.action_taken_at !== null,
    action_taken_at: report.action_taken_at?.toISOString() ?? null,
    category: report.category,
    comment: report.comment,
    forwarded: report.forwarded,
    created_at: report.created_at.toISOString(),
  };
}

export function serializeReport(
  report: ReportRow,
  target: AccountRow,
  config: Services["config"],
): ReportEntity {
  return {
    ...reportFields(report),
    status_ids: report.status_ids,
    rule_ids: report.rule_ids,
    target_account: serializeAccount(target, config),
  };
}

export async function serializeAdminReports(
  services: Services,
  viewer: AccountRow,
  reports: ReportRow[],
): Promise<AdminReportEntity[]> {
  if (reports.length === 0) return [];
  const { db, config } = services;
  const accountIds = reports.flatMap((r) =>
    [r.account_id, r.target_account_id, r.assigned_account_id, r.action_taken_by_account_id].filter(
      (id): id is string => id !== null,
    ),
  );
  const statusIds = [...new Set(reports.flatMap((r) => r.status_ids))];
  const [accounts, statusRows, settings] = await Promise.all([
    adminAccountEntities(db, config, [...new Set(accountIds)]),
    statusIds.length > 0
      ? db.selectFrom("statuses").selectAll().where("id", "in", statusIds).execute()
      : Promise.resolve([]),
    getInstanceSettings(db, config),
  ]);
  const accountById = new Map(accounts.map((a) => [a.id, a]));
  const statuses = await serializeStatuses(services, viewer, statusRows);
  const statusById = new Map(statuses.map((s) => [s.id, s]));
  const ruleById = new Map(settings.rules.map((r) => [r.id, r]));
  return reports.flatMap((r) => {
    const account = accountById.get(r.account_id);
    const target = accountById.get(r.target_account_id);
    // Both accounts cascade with the report, so they are always there; be safe anyway.
    if (!account || !target) return [];
    return [
      {
        ...reportFields(r),
        updated_at: r.updated_at.toISOString(),
        account,
        target_account: target,
        assigned_account: r.assigned_account_id
          ? (accountById.get(r.assigned_account_id) ?? null)
          : null,
        action_taken_by_account: r.action_taken_by_account_id
          ? (accountById.get(r.action_taken_by_account_id) ?? null)
          : null,
        statuses: r.status_ids.flatMap((id) => statusById.get(id) ?? []),
        rules: r.rule_ids.flatMap((id) => ruleById.get(id) ?? []),
      },
    ];
  });
}
