// Trending hashtags: listable tags ranked by how many distinct accounts used them in public
// posts over the last seven days (then by uses). Mastodon adds decay scores and staff
// review; counting people rather than posts already keeps one noisy poster from trending.
import { sql } from "kysely";
import type { Db } from "../infra/db/index.ts";
import { idAtTime } from "../infra/ids.ts";
import type { TagRow } from "./tags.ts";
import { type TrendAudience, trendable } from "./trend-review.ts";

export const TREND_WINDOW_MS = 7 * 24 * 60 * 60 * 1000;

export async function trendingTags(
  db: Db,
  options: { offset: number; limit: number; now?: Date; audience: TrendAudience },
): Promise<TagRow[]> {
  const since = new Date((options.now ?? new Date()).getTime() - TREND_WINDOW_MS);
  const ranked = db
    .selectFrom("status_tags")
    .innerJoin("statuses", "statuses.id", "status_tags.status_id")
    .innerJoin("accounts", "accounts.id", "statuses.account_id")
    .select([
      "status_tags.tag_id",
      sql<string>`count(distinct statuses.account_id)`.as("people"),
      sql<string>`count(*)`.as("uses"),
    ])
    .where("status_tags.status_id", ">=", idAtTime(since))
    .where("statuses.created_at", ">=", since)
    .where("statuses.visibility", "=", "public")
    .where("accounts.suspended_at", "is", null)
    .where("accounts.silenced_at", "is", null)
    .groupBy("status_tags.tag_id")
    .as("ranked");
  return await db
    .selectFrom(ranked)
    .innerJoin("tags", "tags.id", "ranked.tag_id")
    .selectAll("tags")
    .where("tags.listable", "=", true)
    .where(trendable("tag", "tags.id", options.audience))
    .orderBy("ranked.people", "desc")
    .orderBy("ranked.uses", "desc")
    .orderBy("tags.id", "desc")
    .offset(options.offset)
    .limit(options.limit)
    .execute();
}
