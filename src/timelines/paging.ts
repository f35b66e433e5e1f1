// Cursor paging shared by timelines and notifications. Items are ordered by a numeric id
// column: max_id pages older, since_id gives the newest items above it, and min_id the
// items just above it (read oldest first, then reversed), so a client catching up with
// min_id gets every item exactly once however many arrived meanwhile.
import { type SelectQueryBuilder, sql } from "kysely";
import type { PageParams } from "../http/pagination.ts";

/**
 * Applies the cursors, the order and the limit to `query` on `column` (a qualified column
 * name such as "home_feed.status_id"). Returns the query and whether the rows it yields
 * must be reversed to be newest first.
 */
export function applyPage<DB, TB extends keyof DB, O>(
  query: SelectQueryBuilder<DB, TB, O>,
  column: string,
  page: PageParams,
): { query: SelectQueryBuilder<DB, TB, O>; reverse: boolean } {
  const col = sql.ref(column);
  let q = query;
  if (page.maxId) q = q.where(sql<boolean>`${col} < ${page.maxId}`);
  if (page.sinceId) q = q.where(sql<boolean>`${col} > ${page.sinceId}`);
  if (page.minId) q = q.where(sql<boolean>`${col} > ${page.minId}`);
  const reverse = page.minId !== undefined;
  q = q.orderBy(reverse ? sql`${col} asc` : sql`${col} desc`).limit(page.limit);
  return { query: q, reverse };
}

/** A query parameter as Rails reads a boolean: "true", "1", "on" (any case) are true. */
export function booleanParam(value: unknown): boolean {
  if (typeof value === "boolean") return value;
  if (typeof value !== "string") return false;
  return ["true", "1", "on", "t"].includes(value.toLowerCase());
}

/** A query parameter that may be one value or a list (`any[]=a&any[]=b` or `any=a`). */
export function listParam(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === "string");
  if (typeof value === "string" && value !== "") return [value];
  return [];
}
