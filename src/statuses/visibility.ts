// Who may see a status. Every read path (timelines, context, account statuses, search,
// notifications, streaming, federation) filters with these, so the rules live in one place:
// - public and unlisted: anyone, except across a block in either direction;
// - private (followers-only): the author, followers, and mentioned accounts;
// - direct: the author and mentioned accounts.
// A status the viewer may not see is reported as not found, never as forbidden.
import {
  type Expression,
  type ExpressionBuilder,
  type RawBuilder,
  type SqlBool,
  sql,
} from "kysely";
import type { Db } from "../infra/db/index.ts";
import type { Database } from "../infra/db/schema.ts";

type StatusScope = ExpressionBuilder<Database, "statuses">;

/**
 * A WHERE condition on `statuses` (the table must be in scope under that name) that keeps
 * only what `viewerId` may see; `null` is an anonymous viewer.
 */
export function visibleTo(viewerId: string | null) {
  return (eb: StatusScope): Expression<SqlBool> => {
    if (viewerId === null) {
      return eb("statuses.visibility", "in", ["public", "unlisted"]);
    }
    const v = viewerId;
    return eb.and([
      eb.or([
        eb("statuses.visibility", "in", ["public", "unlisted"]),
        eb("statuses.account_id", "=", v),
        eb.and([
          eb("statuses.visibility", "=", "private"),
          eb.exists(
            eb
              .selectFrom("follows")
              .select(sql.lit(1).as("one"))
              .where("follows.account_id", "=", v)
              .whereRef("follows.target_account_id", "=", "statuses.account_id"),
          ),
        ]),
        eb.exists(
          eb
            .selectFrom("mentions")
            .select(sql.lit(1).as("one"))
            .whereRef("mentions.status_id", "=", "statuses.id")
            .where("mentions.account_id", "=", v),
        ),
      ]),
      eb.not(blockBetween(v, "statuses.account_id")),
      eb.not(domainBlockedBy(v, "statuses.account_id")),
    ]);
  };
}

/** True when the account in `accountColumn` is on a domain the viewer blocked (domain-blocks). */
export function domainBlockedBy(viewerId: string, accountColumn: string): RawBuilder<SqlBool> {
  const account = sql.ref(accountColumn);
  return sql<SqlBool>`exists (select 1 from account_domain_blocks adb join accounts ada on ada.domain = adb.domain where adb.account_id = ${viewerId} and ada.id = ${account})`;
}

/**
 * True when the viewer and the account in `accountColumn` are separated by a block, in
 * either direction. Used by every read that must hide blocked accounts and their posts.
 */
export function blockBetween(viewerId: string, accountColumn: string): RawBuilder<SqlBool> {
  const account = sql.ref(accountColumn);
  return sql<SqlBool>`exists (select 1 from blocks b where (b.account_id = ${viewerId} and b.target_account_id = ${account}) or (b.target_account_id = ${viewerId} and b.account_id = ${account}))`;
}

/** Excludes authors the viewer muted (timelines and notifications; not direct reads). */
export function notMutedBy(viewerId: string) {
  return (eb: StatusScope): Expression<SqlBool> =>
    eb.not(
      eb.exists(
        eb
          .selectFrom("mutes")
          .select(sql.lit(1).as("one"))
          .where("mutes.account_id", "=", viewerId)
          .whereRef("mutes.target_account_id", "=", "statuses.account_id")
          .where((m) =>
            // now() rather than a Date: queries built once (compiled.ts) must not freeze the time.
            m.or([m("mutes.expires_at", "is", null), m("mutes.expires_at", ">", sql<Date>`now()`)]),
          ),
      ),
    );
}

/**
 * Keeps statuses of limited (silenced) accounts, e.g. of a silenced domain, only for their
 * followers and themselves: a WHERE on `statuses` joined with `accounts`, for search and
 * other discovery reads (public timelines leave limited accounts out altogether).
 */
export function notLimitedFor(viewerId: string) {
  return (eb: ExpressionBuilder<Database, "statuses" | "accounts">): Expression<SqlBool> =>
    eb.or([
      eb("accounts.silenced_at", "is", null),
      eb("statuses.account_id", "=", viewerId),
      eb.exists(
        eb
          .selectFrom("follows")
          .select(sql.lit(1).as("one"))
          .where("follows.account_id", "=", viewerId)
          .whereRef("follows.target_account_id", "=", "statuses.account_id"),
      ),
    ]);
}

/** Whether one status (and, for a boost, the boosted one) is visible to the viewer. */
export async function canView(db: Db, viewerId: string | null, statusId: string): Promise<boolean> {
  const row = await db
    .selectFrom("statuses")
    .select(["statuses.id", "statuses.reblog_of_id"])
    .where("statuses.id", "=", statusId)
    .where(visibleTo(viewerId))
    .innerJoin("accounts", "accounts.id", "statuses.account_id")
    .where("accounts.suspended_at", "is", null)
    .executeTakeFirst();
  if (!row) return false;
  return row.reblog_of_id ? canView(db, viewerId, row.reblog_of_id) : true;
}
