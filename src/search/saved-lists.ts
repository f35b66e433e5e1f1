// The signed-in user's own lists: bookmarks, favourites, blocks, mutes and endorsements.
// Each pages by the relation row's id (what Mastodon puts in the Link header), newest
// first; status lists keep only what the viewer may still see, filtered in the same query
// so a page is never short because of rows dropped afterwards.
import { sql } from "kysely";
import type { AccountRow } from "../auth/middleware.ts";
import type { PageParams } from "../http/pagination.ts";
import type { Db } from "../infra/db/index.ts";
import type { StatusRow } from "../statuses/serializer.ts";
import { visibleTo } from "../statuses/visibility.ts";
import { newestFirst, pageConditions, pageDirection } from "./paging.ts";

export interface Paged<T> {
  cursor: string;
  item: T;
}

export async function savedStatusesPage(
  db: Db,
  viewer: AccountRow,
  table: "bookmarks" | "favourites",
  page: PageParams,
): Promise<Paged<StatusRow>[]> {
  const rows = await db
    .selectFrom("statuses")
    .innerJoin(`${table} as rel`, "rel.status_id", "statuses.id")
    .innerJoin("accounts", "accounts.id", "statuses.account_id")
    .selectAll("statuses")
    .select("rel.id as rel_id")
    .where("rel.account_id", "=", viewer.id)
    .where("accounts.suspended_at", "is", null)
    .where(visibleTo(viewer.id))
    .where((eb) => eb.and(pageConditions("rel.id", page)))
    .orderBy("rel.id", pageDirection(page))
    .limit(page.limit)
    .execute();
  return newestFirst(rows, page).map(({ rel_id, ...status }) => ({ cursor: rel_id, item: status }));
}

export interface RelatedAccount {
  account: AccountRow;
  /** For mutes: when the mute ends, null when it doesn't. */
  expiresAt: Date | null;
}

export async function relatedAccountsPage(
  db: Db,
  viewer: AccountRow,
  table: "blocks" | "mutes" | "endorsements",
  page: PageParams,
): Promise<Paged<RelatedAccount>[]> {
  let query = db
    .selectFrom("accounts")
    .innerJoin(`${table} as rel`, "rel.target_account_id", "accounts.id")
    .selectAll("accounts")
    .select(["rel.id as rel_id", "rel.expires_at as rel_expires_at"])
    .where("rel.account_id", "=", viewer.id)
    .where((eb) => eb.and(pageConditions("rel.id", page)));
  if (table === "mutes") {
    // Expired mutes are removed lazily; they no longer count.
    query = query.where((eb) =>
      eb.or([eb("rel.expires_at", "is", null), eb("rel.expires_at", ">", sql<Date>`now()`)]),
    );
  }
  // Endorsing is showing accounts off on one's profile; suspended ones have nothing to show.
  if (table === "endorsements") query = query.where("accounts.suspended_at", "is", null);
  const rows = await query.orderBy("rel.id", pageDirection(page)).limit(page.limit).execute();
  return newestFirst(rows, page).map(({ rel_id, rel_expires_at, ...account }) => ({
    cursor: rel_id,
    item: { account, expiresAt: rel_expires_at },
  }));
}
