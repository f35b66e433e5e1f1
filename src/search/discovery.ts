// Account discovery: follow suggestions and the profile directory. Both only show accounts
// that opted in (`discoverable`), as Mastodon does, and never suspended, silenced or moved
// ones, nor local users still awaiting confirmation or approval.
import { type ExpressionBuilder, sql } from "kysely";
import type { AccountRow } from "../auth/middleware.ts";
import type { Db } from "../infra/db/index.ts";
import type { Database } from "../infra/db/schema.ts";
import type { Services } from "../services.ts";
import { blockBetween } from "../statuses/visibility.ts";

type AccountScope = ExpressionBuilder<Database, "accounts">;

/** Suggestions an account dismissed, kept in the key-value store (bounded). */
const DISMISSED_MAX = 1000;

function dismissedKey(accountId: string) {
  return ["roost", "suggestions", "dismissed", accountId] as const;
}

function discoverable(eb: AccountScope) {
  return eb.and([
    eb("accounts.discoverable", "=", true),
    eb("accounts.suspended_at", "is", null),
    eb("accounts.silenced_at", "is", null),
    eb("accounts.moved_to_account_id", "is", null),
    eb.or([
      eb("accounts.domain", "is not", null),
      eb.exists(
        eb
          .selectFrom("users")
          .select(sql.lit(1).as("one"))
          .whereRef("users.account_id", "=", "accounts.id")
          .where("users.confirmed_at", "is not", null)
          .where("users.approved", "=", true)
          .where("users.disabled", "=", false),
      ),
    ]),
  ]);
}

/**
 * Who to follow: the most followed discoverable local accounts the viewer does not already
 * follow (or has asked to), has not blocked or muted, is not blocked by, and has not dismissed.
 */
export async function suggestedAccounts(
  services: Services,
  viewer: AccountRow,
  limit: number,
): Promise<AccountRow[]> {
  const dismissed = (await services.kv.get<string[]>(dismissedKey(viewer.id))) ?? [];
  const v = viewer.id;
  let query = services.db
    .selectFrom("accounts")
    .selectAll("accounts")
    .where("accounts.domain", "is", null)
    .where("accounts.id", "<>", v)
    .where(discoverable)
    .where((eb) =>
      eb.not(
        eb.or([
          eb.exists(
            eb
              .selectFrom("follows")
              .select(sql.lit(1).as("one"))
              .where("follows.account_id", "=", v)
              .whereRef("follows.target_account_id", "=", "accounts.id"),
          ),
          eb.exists(
            eb
              .selectFrom("follow_requests")
              .select(sql.lit(1).as("one"))
              .where("follow_requests.account_id", "=", v)
              .whereRef("follow_requests.target_account_id", "=", "accounts.id"),
          ),
          eb.exists(
            eb
              .selectFrom("mutes")
              .select(sql.lit(1).as("one"))
              .where("mutes.account_id", "=", v)
              .whereRef("mutes.target_account_id", "=", "accounts.id"),
          ),
          blockBetween(v, "accounts.id"),
        ]),
      ),
    );
  if (dismissed.length > 0) query = query.where("accounts.id", "not in", dismissed);
  return await query
    .orderBy("accounts.followers_count", "desc")
    .orderBy(sql`accounts.last_status_at desc nulls last`)
    .orderBy("accounts.id", "asc")
    .limit(limit)
    .execute();
}

export async function dismissSuggestion(
  services: Services,
  viewer: AccountRow,
  accountId: string,
): Promise<void> {
  const key = dismissedKey(viewer.id);
  const current = (await services.kv.get<string[]>(key)) ?? [];
  if (current.includes(accountId)) return;
  await services.kv.set(key, [...current, accountId].slice(-DISMISSED_MAX));
}

export interface DirectoryOptions {
  offset: number;
  limit: number;
  order: "active" | "new";
  local: boolean;
}

/** GET /api/v1/directory: recently active (or newest) discoverable accounts. */
export async function directoryAccounts(db: Db, options: DirectoryOptions): Promise<AccountRow[]> {
  let query = db.selectFrom("accounts").selectAll("accounts").where(discoverable);
  if (options.local) query = query.where("accounts.domain", "is", null);
  query =
    options.order === "new"
      ? query.orderBy("accounts.created_at", "desc")
      : query.orderBy(sql`accounts.last_status_at desc nulls last`);
  return await query
    .orderBy("accounts.id", "desc")
    .offset(options.offset)
    .limit(options.limit)
    .execute();
}
