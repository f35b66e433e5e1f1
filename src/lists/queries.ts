// Reading lists: the owner's lists, a list's members (paged by account id, as Mastodon
// pages them), the owner's lists that hold an account, and the list timeline (one range
// scan on list_feed). Another user's list is not found, never forbidden.
import { type Selectable, type SqlBool, sql } from "kysely";
import { isAccountId } from "../accounts/account-service.ts";
import type { AccountRow } from "../auth/middleware.ts";
import { ApiError } from "../http/errors.ts";
import type { PageParams } from "../http/pagination.ts";
import type { Db } from "../infra/db/index.ts";
import type { ListRepliesPolicy, ListsTable } from "../infra/db/schema.ts";
import type { Services } from "../services.ts";
import { serializeStatuses } from "../statuses/serializer.ts";
import { notMutedBy, visibleTo } from "../statuses/visibility.ts";
import { applyPage } from "../timelines/paging.ts";
import { boostedVisibleTo, type TimelinePage } from "../timelines/queries.ts";

export type ListRow = Selectable<ListsTable>;

export interface ListEntity {
  id: string;
  title: string;
  replies_policy: ListRepliesPolicy;
  exclusive: boolean;
}

export function serializeList(list: ListRow): ListEntity {
  return {
    id: String(list.id),
    title: list.title,
    replies_policy: list.replies_policy,
    exclusive: list.exclusive,
  };
}

/** The owner's list `listId`; 404 when it doesn't exist or belongs to someone else. */
export async function getOwnedList(db: Db, ownerId: string, listId: string): Promise<ListRow> {
  if (!isAccountId(listId)) throw ApiError.notFound();
  const list = await db
    .selectFrom("lists")
    .selectAll()
    .where("id", "=", listId)
    .where("account_id", "=", ownerId)
    .executeTakeFirst();
  if (!list) throw ApiError.notFound();
  return list;
}

/** All of the owner's lists, oldest first (as Mastodon returns them). */
export async function listsOf(db: Db, ownerId: string): Promise<ListRow[]> {
  return db
    .selectFrom("lists")
    .selectAll()
    .where("account_id", "=", ownerId)
    .orderBy("id", "asc")
    .execute();
}

/** The owner's lists that hold `accountId`. */
export async function listsContaining(
  db: Db,
  ownerId: string,
  accountId: string,
): Promise<ListRow[]> {
  return db
    .selectFrom("lists")
    .innerJoin("list_accounts", "list_accounts.list_id", "lists.id")
    .selectAll("lists")
    .where("lists.account_id", "=", ownerId)
    .where("list_accounts.account_id", "=", accountId)
    .orderBy("lists.id", "asc")
    .execute();
}

export interface MemberPage {
  accounts: AccountRow[];
  newest?: string;
  oldest?: string;
}

/**
 * A list's members, newest account id first, without suspended accounts. `page` undefined
 * means all of them (Mastodon's `limit=0`), unpaged.
 */
export async function listMembers(
  db: Db,
  listId: string,
  page: PageParams | undefined,
): Promise<MemberPage> {
  const base = db
    .selectFrom("list_accounts")
    .innerJoin("accounts", "accounts.id", "list_accounts.account_id")
    .selectAll("accounts")
    .where("list_accounts.list_id", "=", listId)
    .where("accounts.suspended_at", "is", null);
  if (!page) return { accounts: await base.orderBy("accounts.id", "desc").execute() };
  const { query, reverse } = applyPage(base, "accounts.id", page);
  const rows = await query.execute();
  if (reverse) rows.reverse();
  return { accounts: rows, newest: rows[0]?.id, oldest: rows.at(-1)?.id };
}

/**
 * The list's timeline for its owner. Visibility, mutes and blocks are applied again on read
 * (they change after the write), and only current members' statuses are shown, so a member
 * removed a moment ago is gone before any clean-up job has run.
 */
export async function listTimeline(
  services: Services,
  viewer: AccountRow,
  list: ListRow,
  page: PageParams,
): Promise<TimelinePage> {
  const base = services.db
    .selectFrom("list_feed")
    .innerJoin("statuses", "statuses.id", "list_feed.status_id")
    .innerJoin("accounts", "accounts.id", "statuses.account_id")
    .selectAll("statuses")
    .where("list_feed.list_id", "=", list.id)
    .where("accounts.suspended_at", "is", null)
    .where(
      sql<SqlBool>`exists (select 1 from list_accounts la
        where la.list_id = ${list.id} and la.account_id = statuses.account_id)`,
    )
    .where(visibleTo(viewer.id))
    .where(notMutedBy(viewer.id))
    .where(boostedVisibleTo(viewer.id));
  const { query, reverse } = applyPage(base, "list_feed.status_id", page);
  const rows = await query.execute();
  if (reverse) rows.reverse();
  return {
    // Lists are the "home" filter context, as on Mastodon. Cursors come from the rows, so a
    // page shortened by a `hide` filter never stops the paging.
    statuses: await serializeStatuses(services, viewer, rows, { filterContext: "home" }),
    newest: rows[0]?.id,
    oldest: rows.at(-1)?.id,
  };
}
