// Writing lists: the only code that writes `lists` and `list_accounts`. Members must be
// accounts the owner follows (Mastodon's rule); each membership row points at that follow,
// so it disappears with the follow. Adding members back-fills the list feed after commit
// (event list.accounts_added → timelines subscriber); removing them clears their statuses
// from the list feed in the same transaction.
import { isAccountId } from "../accounts/account-service.ts";
import { emitEvent } from "../events/emit.ts";
import { ApiError } from "../http/errors.ts";
import type { ListRepliesPolicy } from "../infra/db/schema.ts";
import { newId } from "../infra/ids.ts";
import type { Services } from "../services.ts";
import { removeMembersFromListFeed } from "./feed.ts";
import { getOwnedList, type ListRow } from "./queries.ts";

/** Lists one account may own (Mastodon's List::PER_ACCOUNT_LIMIT). */
export const MAX_LISTS_PER_ACCOUNT = 50;

export interface ListChanges {
  title?: string;
  repliesPolicy?: ListRepliesPolicy;
  exclusive?: boolean;
}

function checkTitle(title: string | undefined): void {
  if (title !== undefined && title.trim() === "") {
    throw ApiError.unprocessable("Validation failed: Title can't be blank");
  }
}

export async function createList(
  services: Services,
  ownerId: string,
  changes: ListChanges,
): Promise<ListRow> {
  if (changes.title === undefined) {
    throw ApiError.unprocessable("Validation failed: Title can't be blank");
  }
  checkTitle(changes.title);
  const title = changes.title;
  return services.db.transaction().execute(async (trx) => {
    const owned = await trx
      .selectFrom("lists")
      .select((eb) => eb.fn.countAll<string>().as("n"))
      .where("account_id", "=", ownerId)
      .executeTakeFirstOrThrow();
    if (Number(owned.n) >= MAX_LISTS_PER_ACCOUNT) {
      throw ApiError.unprocessable("Validation failed: You have reached the limit of lists");
    }
    return trx
      .insertInto("lists")
      .values({
        id: newId(),
        account_id: ownerId,
        title,
        replies_policy: changes.repliesPolicy ?? "list",
        exclusive: changes.exclusive ?? false,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  });
}

export async function updateList(
  services: Services,
  ownerId: string,
  listId: string,
  changes: ListChanges,
): Promise<ListRow> {
  checkTitle(changes.title);
  const list = await getOwnedList(services.db, ownerId, listId);
  const set = {
    ...(changes.title !== undefined ? { title: changes.title } : {}),
    ...(changes.repliesPolicy !== undefined ? { replies_policy: changes.repliesPolicy } : {}),
    ...(changes.exclusive !== undefined ? { exclusive: changes.exclusive } : {}),
  };
  if (Object.keys(set).length === 0) return list;
  const updated = await services.db
    .updateTable("lists")
    .set({ ...set, updated_at: new Date() })
    .where("id", "=", list.id)
    .where("account_id", "=", ownerId)
    .returningAll()
    .executeTakeFirst();
  if (!updated) throw ApiError.notFound();
  return updated;
}

/** Deletes the list; its members and feed go with it (foreign keys cascade). */
export async function deleteList(services: Services, ownerId: string, listId: string) {
  const list = await getOwnedList(services.db, ownerId, listId);
  await services.db
    .deleteFrom("lists")
    .where("id", "=", list.id)
    .where("account_id", "=", ownerId)
    .execute();
}

/**
 * Adds accounts to the owner's list. 404 for an unknown list or account; 422 when the
 * owner doesn't follow one of them (nothing is added then). Accounts already on the list
 * are left as they are.
 */
export async function addListAccounts(
  services: Services,
  ownerId: string,
  listId: string,
  accountIds: string[],
): Promise<void> {
  const list = await getOwnedList(services.db, ownerId, listId);
  const ids = [...new Set(accountIds)];
  if (ids.length === 0) return;
  if (!ids.every(isAccountId)) throw ApiError.notFound();
  const added = await services.db.transaction().execute(async (trx) => {
    const accounts = await trx
      .selectFrom("accounts")
      .select("id")
      .where("id", "in", ids)
      .where("suspended_at", "is", null)
      .execute();
    if (accounts.length !== ids.length) throw ApiError.notFound();
    const follows = await trx
      .selectFrom("follows")
      .select(["id", "target_account_id"])
      .where("account_id", "=", ownerId)
      .where("target_account_id", "in", ids)
      .execute();
    if (follows.length !== ids.length) {
      throw ApiError.unprocessable("Validation failed: Account has not been followed");
    }
    const inserted = await trx
      .insertInto("list_accounts")
      .values(
        follows.map((f) => ({
          id: newId(),
          list_id: list.id,
          account_id: f.target_account_id,
          follow_id: f.id,
        })),
      )
      .onConflict((oc) => oc.columns(["list_id", "account_id"]).doNothing())
      .returning("account_id")
      .execute();
    return inserted.map((r) => String(r.account_id));
  });
  if (added.length > 0) {
    await emitEvent(services, "list.accounts_added", { listId: list.id, accountIds: added });
  }
}

/** Removes accounts from the owner's list (unknown or absent ones are ignored). */
export async function removeListAccounts(
  services: Services,
  ownerId: string,
  listId: string,
  accountIds: string[],
): Promise<void> {
  const list = await getOwnedList(services.db, ownerId, listId);
  const ids = [...new Set(accountIds)].filter(isAccountId);
  if (ids.length === 0) return;
  await services.db.transaction().execute(async (trx) => {
    await trx
      .deleteFrom("list_accounts")
      .where("list_id", "=", list.id)
      .where("account_id", "in", ids)
      .execute();
    await removeMembersFromListFeed(trx, list.id, ids);
  });
}
