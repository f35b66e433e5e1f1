// Home feeds are written when a status is created, not computed when read: the worker
// inserts one home_feed row per local recipient in a single INSERT ... SELECT, so a post by
// an author with ten thousand followers is one statement, and reading a home timeline is
// one index range scan. Every write here is idempotent (jobs can be retried).
//
// Who gets a status (as Mastodon does):
// - its author, when local (own posts, boosts and direct messages alike);
// - local followers of the author: public, unlisted and private posts; direct posts only
//   to mentioned followers; boosts only when the follow shows boosts; replies to someone
//   else only when the follower also follows the account replied to;
// - local followers of one of its hashtags, for public original posts;
// never to someone who muted or blocked the author (or the boosted author), is blocked by
// them, or already has the boosted status (or another boost of it) in their feed; nor to
// someone who put the author (the booster, for a boost) on an `exclusive` list: such posts
// go to that list only (src/lists/, as Mastodon's exclusive lists).
import { type RawBuilder, sql } from "kysely";
import type { Db } from "../infra/db/index.ts";
import { notMutedBy, visibleTo } from "../statuses/visibility.ts";

/** Entries kept per home feed; older ones are trimmed (see docs/architecture.md). */
export const FEED_MAX_ITEMS = 800;
/** Statuses copied into a feed when its owner follows an account. */
export const BACKFILL_ITEMS = 40;
/** Share of a fan-out's recipients whose feeds that fan-out trims (about one in 32). */
const TRIM_SAMPLE = 1 / 32;

/**
 * Neither account (id expressions) muted or blocked the other, and the reader `r` has not
 * blocked `a`'s domain (src/domain-blocks).
 */
export function unrelated(r: RawBuilder<unknown>, a: RawBuilder<unknown>) {
  return sql`not exists (
      select 1 from mutes mu where mu.account_id = ${r} and mu.target_account_id = ${a}
        and (mu.expires_at is null or mu.expires_at > now()))
    and not exists (
      select 1 from blocks bl where (bl.account_id = ${r} and bl.target_account_id = ${a})
        or (bl.account_id = ${a} and bl.target_account_id = ${r}))
    and not exists (
      select 1 from account_domain_blocks adb join accounts ada on ada.domain = adb.domain
      where adb.account_id = ${r} and ada.id = ${a})`;
}

/**
 * The home-feed recipients of a status as rows (account_id, status_id, reblog_of_id): the
 * one statement of the rules above. Fan-out inserts them; the streaming subscriber, which
 * may run before fan-out, selects the same rows to know whose user stream hears the status.
 * A boost is skipped where the feed already holds the boosted status or another boost of
 * it (its own row, written by an earlier try of this fan-out, doesn't count).
 */
export function homeRecipientRows(statusId: string) {
  return sql<{ account_id: string; status_id: string; reblog_of_id: string | null }>`
    select r.account_id, s.id as status_id, s.reblog_of_id
    from statuses s
    join accounts author on author.id = s.account_id and author.suspended_at is null
    join lateral (
      select au.id as account_id from accounts au
        where au.id = s.account_id and au.domain is null
      union
      select f.account_id from follows f
        join accounts fa on fa.id = f.account_id and fa.domain is null
        where f.target_account_id = s.account_id
          and (s.reblog_of_id is null or f.show_reblogs)
          and (s.visibility <> 'direct' or exists (
            select 1 from mentions m where m.status_id = s.id and m.account_id = f.account_id))
          and (s.in_reply_to_account_id is null
            or s.in_reply_to_account_id = s.account_id
            or s.in_reply_to_account_id = f.account_id
            or exists (select 1 from follows f2 where f2.account_id = f.account_id
              and f2.target_account_id = s.in_reply_to_account_id))
      union
      select tf.account_id from status_tags st
        join tag_follows tf on tf.tag_id = st.tag_id
        join accounts ta on ta.id = tf.account_id and ta.domain is null
        where st.status_id = s.id and s.visibility = 'public' and s.reblog_of_id is null
    ) r on true
    where s.id = ${statusId}
      and (r.account_id = s.account_id or (${unrelated(sql.ref("r.account_id"), sql.ref("s.account_id"))}))
      and (r.account_id = s.account_id or not exists (
        select 1 from list_accounts xla join lists xl on xl.id = xla.list_id
        where xl.account_id = r.account_id and xl.exclusive and xla.account_id = s.account_id))
      and (s.reblog_of_id is null or not exists (
        select 1 from statuses o where o.id = s.reblog_of_id
          and o.account_id <> r.account_id
          and not (${unrelated(sql.ref("r.account_id"), sql.ref("o.account_id"))})))
      and (s.reblog_of_id is null or not exists (
        select 1 from home_feed h where h.account_id = r.account_id and h.status_id <> s.id
          and (h.status_id = s.reblog_of_id or h.reblog_of_id = s.reblog_of_id)))`;
}

/** Inserts a status into the home feeds of its local recipients. Returns the rows added. */
export async function fanOutStatus(db: Db, statusId: string): Promise<number> {
  const result = await sql`
    insert into home_feed (account_id, status_id, reblog_of_id)
    ${homeRecipientRows(statusId)}
    on conflict do nothing`.execute(db);
  const added = Number(result.numAffectedRows ?? 0n);
  if (added > 0) await trimSampledFeeds(db, "home_feed", statusId);
  return added;
}

/** The feeds fan-out fills, each with the column that says whose feed a row is in. */
const FEED_OWNER = { home_feed: "account_id", list_feed: "list_id" } as const;

/**
 * Trims a random sample (`sample`, a share) of the feeds that just received `statusId` to
 * the newest FEED_MAX_ITEMS entries. Trimming every recipient on every post would cost more
 * than the fan-out itself; sampled, a feed that keeps receiving posts is trimmed every few
 * dozen.
 */
export async function trimSampledFeeds(
  db: Db,
  feed: keyof typeof FEED_OWNER,
  statusId: string,
  sample: number = TRIM_SAMPLE,
): Promise<void> {
  const table = sql.table(feed);
  const owner = FEED_OWNER[feed];
  const [f, x, h] = (["f", "x", "h"] as const).map((alias) => sql.ref(`${alias}.${owner}`));
  // Each sampled feed's cutoff is computed once, in a materialized CTE, and then each feed
  // is cut with a range on its key. Written as a subquery in USING, PostgreSQL pulled it
  // up, scanned the whole table and ran the cutoff's subquery once per joined row: 16.6 s
  // per post with 6.3 million home_feed rows and feeds of ~640 entries, 74 ms this way
  // (docs/benchmarks.md, session 7).
  await sql`
    with c as materialized (
      select ${x} as owner, (
        select f.status_id from ${table} f where ${f} = ${x}
        order by f.status_id desc offset ${FEED_MAX_ITEMS} limit 1) as cutoff
      from ${table} x where x.status_id = ${statusId} and random() < ${sample}
    )
    delete from ${table} h using c
    where c.cutoff is not null and ${h} = c.owner and h.status_id <= c.cutoff`.execute(db);
}

/** Trims one account's feed to the newest FEED_MAX_ITEMS entries. */
export async function trimFeed(db: Db, accountId: string): Promise<void> {
  await sql`
    delete from home_feed
    where account_id = ${accountId} and status_id <= (
      select f.status_id from home_feed f where f.account_id = ${accountId}
      order by f.status_id desc offset ${FEED_MAX_ITEMS} limit 1)`.execute(db);
}

/**
 * After `followerId` (local) follows `targetId`: copies the target's latest statuses the
 * follower may see into the follower's feed, so a new follow shows up at once.
 */
export async function backfillFollow(db: Db, followerId: string, targetId: string): Promise<void> {
  const follow = await db
    .selectFrom("follows")
    .innerJoin("accounts", "accounts.id", "follows.account_id")
    .select(["follows.show_reblogs", "accounts.domain"])
    .where("follows.account_id", "=", followerId)
    .where("follows.target_account_id", "=", targetId)
    .executeTakeFirst();
  // Unfollowed again before the job ran, or a remote follower: nothing to do.
  if (!follow || follow.domain !== null) return;
  const latest = db
    .selectFrom("statuses")
    .select([sql.lit(followerId).as("account_id"), "statuses.id", "statuses.reblog_of_id"])
    .where("statuses.account_id", "=", targetId)
    .where(visibleTo(followerId))
    .where(notMutedBy(followerId))
    .where((eb) =>
      eb.or([
        eb("statuses.reblog_of_id", "is", null),
        sql<boolean>`${follow.show_reblogs} and exists (
          select 1 from statuses o where o.id = statuses.reblog_of_id
            and (${unrelated(sql`${followerId}::bigint`, sql.ref("o.account_id"))}))`,
      ]),
    )
    .where((eb) =>
      eb.or([
        eb("statuses.in_reply_to_account_id", "is", null),
        eb("statuses.in_reply_to_account_id", "=", eb.ref("statuses.account_id")),
        eb("statuses.in_reply_to_account_id", "=", followerId),
        eb.exists(
          eb
            .selectFrom("follows as f2")
            .select(sql.lit(1).as("one"))
            .where("f2.account_id", "=", followerId)
            .whereRef("f2.target_account_id", "=", "statuses.in_reply_to_account_id"),
        ),
      ]),
    )
    .orderBy("statuses.id", "desc")
    .limit(BACKFILL_ITEMS);
  await db
    .insertInto("home_feed")
    .columns(["account_id", "status_id", "reblog_of_id"])
    .expression(latest)
    .onConflict((oc) => oc.doNothing())
    .execute();
  await trimFeed(db, followerId);
}

/** Removes `authorId`'s statuses (and, with `withBoostsOf`, boosts of them) from a feed. */
export async function removeFromFeed(
  db: Db,
  accountId: string,
  authorId: string,
  options: { withBoostsOf?: boolean } = {},
): Promise<void> {
  await sql`
    delete from home_feed h
    where h.account_id = ${accountId}
      and (h.status_id in (select id from statuses where account_id = ${authorId})
        ${options.withBoostsOf ? sql`or h.reblog_of_id in (select id from statuses where account_id = ${authorId})` : sql``})`.execute(
    db,
  );
}
