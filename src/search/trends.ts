// Trending posts: public, original posts of the last seven days by discoverable accounts,
// ranked by engagement (boosts weigh double: they spread a post) decayed by age, so a post
// liked a lot today outranks one liked a bit more last week. At least one boost or
// favourite is needed; a quiet server simply has no trends.
import { sql } from "kysely";
import type { AccountRow } from "../auth/middleware.ts";
import type { Db } from "../infra/db/index.ts";
import { idAtTime } from "../infra/ids.ts";
import type { StatusRow } from "../statuses/serializer.ts";
import { visibleTo } from "../statuses/visibility.ts";
import { type TrendAudience, trendable } from "../tags/trend-review.ts";
import { TREND_WINDOW_MS } from "../tags/trends.ts";

export async function trendingStatuses(
  db: Db,
  viewer: AccountRow | null,
  options: { offset: number; limit: number; now?: Date; audience: TrendAudience },
): Promise<StatusRow[]> {
  const since = new Date((options.now ?? new Date()).getTime() - TREND_WINDOW_MS);
  return await db
    .selectFrom("statuses")
    .innerJoin("accounts", "accounts.id", "statuses.account_id")
    .selectAll("statuses")
    // Ids grow with time: a range scan of the recent public-posts index.
    .where("statuses.id", ">=", idAtTime(since))
    .where("statuses.created_at", ">=", since)
    .where("statuses.visibility", "=", "public")
    .where("statuses.reblog_of_id", "is", null)
    .where((eb) =>
      eb(eb("statuses.reblogs_count", "+", eb.ref("statuses.favourites_count")), ">", 0),
    )
    .where("accounts.discoverable", "=", true)
    .where("accounts.suspended_at", "is", null)
    .where("accounts.silenced_at", "is", null)
    .where(visibleTo(viewer?.id ?? null))
    .where(trendable("status", "statuses.id", options.audience))
    .orderBy(
      sql`(statuses.favourites_count + 2 * statuses.reblogs_count + statuses.replies_count)::float8
        / power(extract(epoch from (now() - statuses.created_at)) / 3600 + 2, 1.5)`,
      "desc",
    )
    .orderBy("statuses.id", "desc")
    .offset(options.offset)
    .limit(options.limit)
    .execute();
}
