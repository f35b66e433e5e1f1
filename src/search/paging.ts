// Cursor paging on one id column, shared by the signed-in user's lists (bookmarks,
// favourites, blocks, mutes, endorsements, followed tags). Mastodon pages these by the
// relation row's id, not the target's, so an item saved today shows first even if old.
import { type Expression, type SqlBool, sql } from "kysely";
import type { PageParams } from "../http/pagination.ts";

/** The WHERE conditions for max_id / since_id / min_id on `column` (e.g. "bookmarks.id"). */
export function pageConditions(column: string, page: PageParams): Expression<SqlBool>[] {
  const ref = sql.ref(column);
  const conds: Expression<SqlBool>[] = [];
  if (page.maxId) conds.push(sql<SqlBool>`${ref} < ${page.maxId}`);
  if (page.sinceId) conds.push(sql<SqlBool>`${ref} > ${page.sinceId}`);
  if (page.minId) conds.push(sql<SqlBool>`${ref} > ${page.minId}`);
  return conds;
}

/** min_id asks for the items just after the cursor: read ascending, then show newest first. */
export function pageDirection(page: PageParams): "asc" | "desc" {
  return page.minId ? "asc" : "desc";
}

export function newestFirst<T>(rows: T[], page: PageParams): T[] {
  return page.minId ? rows.reverse() : rows;
}

/** Parses `offset` (search, directory, trends): a non-negative integer, 0 when absent. */
export function offsetParam(value: string | undefined): number | undefined {
  if (value === undefined || value === "") return 0;
  if (!/^\d{1,9}$/.test(value)) return undefined;
  return Number(value);
}

/** `limit` for offset-paged lists, clamped like Mastodon's limit_param; undefined if not a number. */
export function limitParam(
  value: string | undefined,
  defaultLimit: number,
  maxLimit: number,
): number | undefined {
  if (value === undefined || value === "") return defaultLimit;
  const n = Number.parseInt(value, 10);
  if (!Number.isFinite(n)) return undefined;
  return Math.min(Math.max(n, 1), maxLimit);
}
