// The audit log of staff actions (Mastodon's Admin::ActionLog). Every moderation write
// records one entry, inside the same transaction when the caller has one, so an action
// and its record commit or roll back together.
import type { Kysely, Selectable } from "kysely";
import type { PageParams } from "../http/pagination.ts";
import type { AdminActionLogsTable, Database } from "../infra/db/schema.ts";
import { newId } from "../infra/ids.ts";
import { applyPage } from "../timelines/paging.ts";

export interface AuditEntry {
  /** The staff member acting (null for the system, e.g. a CLI run without an account). */
  accountId: string | null;
  /** Mastodon-style verbs: suspend, silence, resolve, create, destroy, ... */
  action: string;
  /** Account, Report, DomainBlock, EmailDomainBlock, ... */
  targetType: string;
  targetId: string;
  /** The target's name at the time (acct, domain), kept because the target may go. */
  humanIdentifier?: string;
  details?: Record<string, unknown>;
}

/** Writes one audit entry; pass a transaction to make it part of the action's commit. */
export async function recordAction(db: Kysely<Database>, entry: AuditEntry): Promise<string> {
  const id = newId();
  await db
    .insertInto("admin_action_logs")
    .values({
      id,
      account_id: entry.accountId,
      action: entry.action,
      target_type: entry.targetType,
      target_id: entry.targetId,
      human_identifier: entry.humanIdentifier ?? null,
      details: JSON.stringify(entry.details ?? {}),
    })
    .execute();
  return id;
}

export type AuditRow = Selectable<AdminActionLogsTable>;

export interface AuditQuery extends PageParams {
  accountId?: string;
  action?: string;
  targetType?: string;
  targetId?: string;
}

/** Newest first (or oldest first after min_id, re-sorted newest first), Mastodon paging. */
export async function listActions(db: Kysely<Database>, q: AuditQuery): Promise<AuditRow[]> {
  let query = db.selectFrom("admin_action_logs").selectAll();
  if (q.accountId) query = query.where("account_id", "=", q.accountId);
  if (q.action) query = query.where("action", "=", q.action);
  if (q.targetType) query = query.where("target_type", "=", q.targetType);
  if (q.targetId) query = query.where("target_id", "=", q.targetId);
  const page = applyPage(query, "admin_action_logs.id", q);
  const rows = await page.query.execute();
  return page.reverse ? rows.reverse() : rows;
}
