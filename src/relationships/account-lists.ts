// Lists of accounts through a relation table (followers, following, follow requests),
// paged as Mastodon pages them: by the relation row's id, so `max_id` in the Link header
// is a follow id, not an account id, and a page never repeats or skips after new follows.
import type { AccountRow } from "../auth/middleware.ts";
import type { PageParams } from "../http/pagination.ts";
import type { Db } from "../infra/db/index.ts";

export interface AccountPage {
  accounts: AccountRow[];
  /** Relation row ids of the first and last account, for setLinkHeader. */
  newest?: string;
  oldest?: string;
}

export type RelationList = "followers" | "following" | "follow_requests";

export async function listRelatedAccounts(
  db: Db,
  list: RelationList,
  accountId: string,
  page: PageParams,
): Promise<AccountPage> {
  // followers: rows targeting the account, listing who follows; following: the reverse.
  const table = list === "follow_requests" ? "follow_requests" : "follows";
  const mine = list === "following" ? "r.account_id" : "r.target_account_id";
  const theirs = list === "following" ? "r.target_account_id" : "r.account_id";
  let query = db
    .selectFrom(`${table} as r` as "follows as r")
    .innerJoin("accounts", "accounts.id", theirs)
    .selectAll("accounts")
    .select("r.id as relation_id")
    .where(mine, "=", accountId)
    .where("accounts.suspended_at", "is", null);
  if (page.maxId) query = query.where("r.id", "<", page.maxId);
  if (page.sinceId) query = query.where("r.id", ">", page.sinceId);
  if (page.minId) query = query.where("r.id", ">", page.minId);
  // min_id pages forwards from the cursor (oldest first), then shows the page newest first.
  const rows = await query
    .orderBy("r.id", page.minId ? "asc" : "desc")
    .limit(page.limit)
    .execute();
  if (page.minId) rows.reverse();
  return {
    accounts: rows.map(({ relation_id: _, ...account }) => account),
    newest: rows[0]?.relation_id,
    oldest: rows.at(-1)?.relation_id,
  };
}

/**
 * For each target: the accounts the viewer follows that also follow it (Mastodon's
 * "followed by X and Y you know"). Accounts hiding their collections are left out, since
 * listing them would reveal whom they follow.
 */
export async function familiarFollowers(
  db: Db,
  viewerId: string,
  targetIds: readonly string[],
): Promise<Map<string, AccountRow[]>> {
  const result = new Map<string, AccountRow[]>(targetIds.map((id) => [id, []]));
  if (targetIds.length === 0) return result;
  const rows = await db
    .selectFrom("follows as mine")
    .innerJoin("follows as theirs", "theirs.account_id", "mine.target_account_id")
    .innerJoin("accounts", "accounts.id", "mine.target_account_id")
    .selectAll("accounts")
    .select("theirs.target_account_id as familiar_of")
    .where("mine.account_id", "=", viewerId)
    .where("theirs.target_account_id", "in", [...targetIds])
    .where("accounts.suspended_at", "is", null)
    .where("accounts.hide_collections", "=", false)
    .orderBy("theirs.id", "desc")
    .execute();
  for (const { familiar_of, ...account } of rows) result.get(familiar_of)?.push(account);
  return result;
}
