// Staff review of trends: an approved tag or post trends, a rejected one never does, and an
// unreviewed one trends unless the admin requires review (TRENDS_REQUIRE_REVIEW), which is
// how a server keeps unvetted hashtags off its explore page. Decisions are per tag/status.
import { type RawBuilder, type SqlBool, sql } from "kysely";
import type { Db } from "../infra/db/index.ts";

export type TrendKind = "tag" | "status" | "link";

/** Which trends a listing shows: what the public may see, or everything (staff review). */
export type TrendAudience = { requireReview: boolean } | "staff";

/**
 * A condition on `idColumn` (tags.id or statuses.id): true when that target may trend for
 * `audience`. Staff see everything not yet rejected as well as what was.
 */
export function trendable(
  kind: TrendKind,
  idColumn: string,
  audience: TrendAudience,
): RawBuilder<SqlBool> {
  if (audience === "staff") return sql<SqlBool>`true`;
  const unreviewed = audience.requireReview ? sql`false` : sql`true`;
  return sql<SqlBool>`coalesce((select tr.trendable from trend_reviews tr
    where tr.kind = ${kind} and tr.target_id = ${sql.ref(idColumn)}), ${unreviewed})`;
}

/** Records a staff decision (replacing an earlier one). */
export async function reviewTrend(
  db: Db,
  kind: TrendKind,
  targetId: string,
  approved: boolean,
  reviewerId: string,
): Promise<void> {
  await db
    .insertInto("trend_reviews")
    .values({
      kind,
      target_id: targetId,
      trendable: approved,
      reviewed_by_account_id: reviewerId,
    })
    .onConflict((oc) =>
      oc.columns(["kind", "target_id"]).doUpdateSet({
        trendable: approved,
        reviewed_by_account_id: reviewerId,
        reviewed_at: new Date(),
      }),
    )
    .execute();
}

/** The decisions on `ids`: id → trendable; absent ids are unreviewed. */
export async function trendDecisions(
  db: Db,
  kind: TrendKind,
  ids: readonly string[],
): Promise<Map<string, boolean>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .selectFrom("trend_reviews")
    .select(["target_id", "trendable"])
    .where("kind", "=", kind)
    .where("target_id", "in", ids)
    .execute();
  return new Map(rows.map((r) => [r.target_id, r.trendable]));
}
