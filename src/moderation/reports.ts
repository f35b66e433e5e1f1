// Reports: filed by local users (POST /api/v1/reports), received from other servers as
// Flag activities, and handled by staff (the admin reports API). Every staff write goes
// with an audit entry in the same transaction.
import type { Selectable } from "kysely";
import type { AccountRow } from "../auth/middleware.ts";
import { emitEvent } from "../events/emit.ts";
import { ApiError } from "../http/errors.ts";
import type { PageParams } from "../http/pagination.ts";
import type { Db } from "../infra/db/index.ts";
import type { ReportCategory, ReportsTable } from "../infra/db/schema.ts";
import { newId } from "../infra/ids.ts";
import { getInstanceSettings } from "../instance/settings.ts";
import type { Services } from "../services.ts";
import { canView } from "../statuses/visibility.ts";
import { applyPage } from "../timelines/paging.ts";
import { recordAction } from "./audit-log.ts";

export type ReportRow = Selectable<ReportsTable>;

export const REPORT_CATEGORIES: readonly ReportCategory[] = ["spam", "legal", "violation", "other"];
export const MAX_COMMENT = 1000;
/** Mastodon cuts a Flag's content at this length. */
const MAX_REMOTE_COMMENT = 5000;

export interface NewReport {
  targetAccountId: string;
  statusIds: string[];
  comment: string;
  category?: ReportCategory;
  ruleIds: string[];
  forward: boolean;
  forwardToDomains: string[];
}

/** Rule ids must name the instance's rules; unknown ones are the client's mistake. */
async function checkRuleIds(services: Services, ruleIds: string[]): Promise<void> {
  if (ruleIds.length === 0) return;
  const { rules } = await getInstanceSettings(services.db, services.config);
  const known = new Set(rules.map((r) => r.id));
  const unknown = ruleIds.find((id) => !known.has(id));
  if (unknown !== undefined) {
    throw ApiError.unprocessable(`Validation failed: Rule ids ${unknown} is not a rule`);
  }
}

/** A user's report. Statuses must be the target's and visible to the reporter (else 404). */
export async function createReport(
  services: Services,
  reporter: AccountRow,
  input: NewReport,
): Promise<ReportRow> {
  const { db } = services;
  if (!/^\d{1,19}$/.test(input.targetAccountId)) throw ApiError.notFound();
  const target = await db
    .selectFrom("accounts")
    .selectAll()
    .where("id", "=", input.targetAccountId)
    .where("suspended_at", "is", null)
    .executeTakeFirst();
  if (!target) throw ApiError.notFound();
  if (target.id === reporter.id) {
    throw ApiError.unprocessable("Validation failed: You cannot report yourself");
  }
  if (input.comment.length > MAX_COMMENT) {
    throw ApiError.unprocessable(
      `Validation failed: Comment is too long (maximum is ${MAX_COMMENT} characters)`,
    );
  }
  const statusIds = [...new Set(input.statusIds)];
  if (statusIds.length > 0) {
    const owned = await db
      .selectFrom("statuses")
      .select("id")
      .where("id", "in", statusIds)
      .where("account_id", "=", target.id)
      .execute();
    if (owned.length !== statusIds.length) throw ApiError.notFound();
    for (const id of statusIds) {
      if (!(await canView(db, reporter.id, id))) throw ApiError.notFound();
    }
  }
  await checkRuleIds(services, input.ruleIds);
  // As Mastodon: naming rules makes it a violation report.
  const category: ReportCategory =
    input.ruleIds.length > 0 ? "violation" : (input.category ?? "other");
  const id = newId();
  const forward = input.forward && target.domain !== null;
  const report = await db
    .insertInto("reports")
    .values({
      id,
      account_id: reporter.id,
      target_account_id: target.id,
      status_ids: JSON.stringify(statusIds),
      comment: input.comment,
      category,
      rule_ids: JSON.stringify(category === "violation" ? input.ruleIds : []),
      // The Flag's id if forwarded; also marks the report as ours.
      uri: `${services.config.publicUrl}/reports/${id}`,
      forwarded: forward,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await emitEvent(services, "report.created", { reportId: report.id });
  if (forward) {
    await emitEvent(services, "report.forwarded", {
      reportId: report.id,
      domains: await forwardDomains(db, target, statusIds, input.forwardToDomains),
    });
  }
  return report;
}

/**
 * Where a forwarded report goes: the target's server, plus the servers of accounts the
 * reported posts replied to when the reporter asked for them (Mastodon's forward_to_domains).
 */
async function forwardDomains(
  db: Db,
  target: AccountRow,
  statusIds: string[],
  asked: string[],
): Promise<string[]> {
  const domains = new Set<string>([target.domain!]);
  if (asked.length === 0 || statusIds.length === 0) return [...domains];
  const repliedTo = await db
    .selectFrom("statuses")
    .innerJoin("accounts", "accounts.id", "statuses.in_reply_to_account_id")
    .select("accounts.domain")
    .where("statuses.id", "in", statusIds)
    .where("accounts.domain", "is not", null)
    .execute();
  const wanted = new Set(asked.map((d) => d.toLowerCase()));
  for (const r of repliedTo)
    if (r.domain && wanted.has(r.domain.toLowerCase())) domains.add(r.domain);
  return [...domains];
}

export interface InboundFlag {
  reporterId: string;
  /** Local accounts named by the Flag. */
  targetAccountIds: string[];
  /** Local statuses named by the Flag, with their authors. */
  statuses: { id: string; accountId: string }[];
  comment: string;
  uri: string | null;
}

/**
 * Stores a received Flag: one report per local target account (statuses grouped under
 * their author). The Flag id dedupes: a redelivered Flag adds nothing.
 */
export async function storeFlag(services: Services, flag: InboundFlag): Promise<string[]> {
  const targets = new Set(flag.targetAccountIds);
  // A Flag naming only posts reports their authors.
  if (targets.size === 0) for (const s of flag.statuses) targets.add(s.accountId);
  const created: string[] = [];
  for (const targetId of targets) {
    const statusIds = flag.statuses.filter((s) => s.accountId === targetId).map((s) => s.id);
    const uri = flag.uri ? (targets.size === 1 ? flag.uri : `${flag.uri}#${targetId}`) : null;
    const row = await services.db
      .insertInto("reports")
      .values({
        id: newId(),
        account_id: flag.reporterId,
        target_account_id: targetId,
        status_ids: JSON.stringify(statusIds),
        comment: flag.comment.slice(0, MAX_REMOTE_COMMENT),
        uri,
      })
      .onConflict((oc) => oc.column("uri").doNothing())
      .returning("id")
      .executeTakeFirst();
    if (row) created.push(row.id);
  }
  for (const reportId of created) await emitEvent(services, "report.created", { reportId });
  return created;
}

export interface ReportQuery extends PageParams {
  resolved: boolean;
  accountId?: string;
  targetAccountId?: string;
}

/** Mastodon's admin list: unresolved reports unless `resolved` is asked for; newest first. */
export async function listReports(db: Db, q: ReportQuery): Promise<ReportRow[]> {
  let query = db
    .selectFrom("reports")
    .selectAll()
    .where("action_taken_at", q.resolved ? "is not" : "is", null);
  if (q.accountId) query = query.where("account_id", "=", q.accountId);
  if (q.targetAccountId) query = query.where("target_account_id", "=", q.targetAccountId);
  const page = applyPage(query, "reports.id", q);
  const rows = await page.query.execute();
  return page.reverse ? rows.reverse() : rows;
}

export async function getReport(db: Db, id: string): Promise<ReportRow> {
  if (!/^\d{1,19}$/.test(id)) throw ApiError.notFound();
  const row = await db.selectFrom("reports").selectAll().where("id", "=", id).executeTakeFirst();
  if (!row) throw ApiError.notFound();
  return row;
}

export type ReportAction = "assign_to_self" | "unassign" | "resolve" | "reopen";

/** One of the admin state changes, audited under Mastodon's action names. */
export async function changeReport(
  db: Db,
  actor: AccountRow,
  reportId: string,
  action: ReportAction,
): Promise<ReportRow> {
  await getReport(db, reportId);
  const now = new Date();
  const changes = {
    assign_to_self: { assigned_account_id: actor.id },
    unassign: { assigned_account_id: null },
    resolve: { action_taken_at: now, action_taken_by_account_id: actor.id },
    reopen: { action_taken_at: null, action_taken_by_account_id: null },
  }[action];
  return await db.transaction().execute(async (trx) => {
    const row = await trx
      .updateTable("reports")
      .set({ ...changes, updated_at: now })
      .where("id", "=", reportId)
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAction(trx, {
      accountId: actor.id,
      action: action === "assign_to_self" ? "assigned_to_self" : action,
      targetType: "Report",
      targetId: reportId,
      humanIdentifier: `#${reportId}`,
    });
    return row;
  });
}

/** PUT /api/v1/admin/reports/:id: category and rules. */
export async function updateReport(
  services: Services,
  actor: AccountRow,
  reportId: string,
  input: { category?: ReportCategory; ruleIds?: string[] },
): Promise<ReportRow> {
  const current = await getReport(services.db, reportId);
  const category = input.category ?? current.category;
  const ruleIds = category === "violation" ? (input.ruleIds ?? current.rule_ids) : [];
  await checkRuleIds(services, ruleIds);
  return await services.db.transaction().execute(async (trx) => {
    const row = await trx
      .updateTable("reports")
      .set({ category, rule_ids: JSON.stringify(ruleIds), updated_at: new Date() })
      .where("id", "=", reportId)
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAction(trx, {
      accountId: actor.id,
      action: "update",
      targetType: "Report",
      targetId: reportId,
      humanIdentifier: `#${reportId}`,
      details: { category, rule_ids: ruleIds },
    });
    return row;
  });
}

/**
 * Resolves reports after an account action: the one report it was taken on, or (as
 * Mastodon does) every open report against the target when none was named.
 */
export async function resolveReportsFor(
  db: Db,
  actorId: string,
  target: { accountId: string; reportId?: string },
): Promise<string[]> {
  const now = new Date();
  let query = db
    .updateTable("reports")
    .set({ action_taken_at: now, action_taken_by_account_id: actorId, updated_at: now })
    .where("action_taken_at", "is", null);
  query = target.reportId
    ? query.where("id", "=", target.reportId)
    : query.where("target_account_id", "=", target.accountId);
  return (await query.returning("id").execute()).map((r) => r.id);
}
