// Reading timelines. Each is one query over an index (home_feed's primary key, the public
// statuses index, status_tags), filtered by the viewer's visibility, mutes and blocks,
// and rendered by the status serializer. Visibility is applied on read even though the
// fan-out already respected it, because follows, mutes and blocks change after a write.
import { type ExpressionBuilder, type SqlBool, sql } from "kysely";
import { ACCOUNT_ENTITY_COLUMNS, type AccountEntityRow } from "../accounts/serializers.ts";
import type { AccountRow } from "../auth/middleware.ts";
import type { FilterContext } from "../filters/match.ts";
import type { PageParams } from "../http/pagination.ts";
import { prefixedColumns } from "../infra/db/prefixed.ts";
import type { Database } from "../infra/db/schema.ts";
import type { Services } from "../services.ts";
import { type MastodonStatus, type StatusRow, serializeStatuses } from "../statuses/serializer.ts";
import { notMutedBy, visibleTo } from "../statuses/visibility.ts";
import { applyPage } from "./paging.ts";

export interface TimelinePage {
  statuses: MastodonStatus[];
  /** Paging cursors: the ids of the newest and oldest item on the page. */
  newest?: string;
  oldest?: string;
}

type StatusScope = ExpressionBuilder<Database, "statuses">;

/**
 * A boost is shown only when the boosted status is visible and its author neither muted nor
 * on a domain the viewer blocked.
 */
export function boostedVisibleTo(viewerId: string | null) {
  return (eb: StatusScope) =>
    eb.or([
      eb("statuses.reblog_of_id", "is", null),
      eb.exists(
        eb
          .selectFrom("statuses as original")
          .innerJoin("accounts as oa", "oa.id", "original.account_id")
          .select(sql.lit(1).as("one"))
          .whereRef("original.id", "=", "statuses.reblog_of_id")
          .where("oa.suspended_at", "is", null)
          .where(
            viewerId === null
              ? sql<SqlBool>`original.visibility in ('public', 'unlisted')`
              : sql<SqlBool>`(original.visibility in ('public', 'unlisted') or original.account_id = ${viewerId}
                  or exists (select 1 from mentions m where m.status_id = original.id and m.account_id = ${viewerId})
                  or (original.visibility = 'private' and exists (select 1 from follows f
                    where f.account_id = ${viewerId} and f.target_account_id = original.account_id)))
                and not exists (select 1 from blocks b where
                  (b.account_id = ${viewerId} and b.target_account_id = original.account_id)
                  or (b.account_id = original.account_id and b.target_account_id = ${viewerId}))
                and not exists (select 1 from account_domain_blocks adb
                  join accounts ada on ada.domain = adb.domain
                  where adb.account_id = ${viewerId} and ada.id = original.account_id)
                and not exists (select 1 from mutes mu where mu.account_id = ${viewerId}
                  and mu.target_account_id = original.account_id
                  and (mu.expires_at is null or mu.expires_at > now()))`,
          ),
      ),
    ]);
}

async function render(
  services: Services,
  viewer: AccountRow | null,
  rows: StatusRow[],
  reverse: boolean,
  filterContext: FilterContext,
): Promise<TimelinePage> {
  const ordered = reverse ? rows.reverse() : rows;
  return {
    // Statuses a `hide` filter matches are left out; the cursors still come from the rows,
    // so a page shortened that way never stops the paging.
    statuses: await serializeStatuses(services, viewer, ordered, { filterContext }),
    newest: ordered[0]?.id,
    oldest: ordered.at(-1)?.id,
  };
}

/** The author's columns an Account shows, read along with each status as `author_<column>`. */
export const AUTHOR = prefixedColumns<AccountEntityRow>(
  "accounts",
  ACCOUNT_ENTITY_COLUMNS,
  "author_",
);

/** Splits the authors off rows read with AUTHOR.selection. */
export function authorsOf(rows: StatusRow[]): Map<string, AccountEntityRow> {
  const authors = new Map<string, AccountEntityRow>();
  for (const row of rows as unknown as Record<string, unknown>[]) {
    if (authors.has(row.author_id as string)) continue;
    const author = AUTHOR.take(row);
    authors.set(author.id, author);
  }
  return authors;
}

export interface PublicOptions {
  local: boolean;
  remote: boolean;
  onlyMedia: boolean;
}

/** Public original posts (no boosts, no replies to others), newest first, as Mastodon's. */
export async function publicTimeline(
  services: Services,
  viewer: AccountRow | null,
  page: PageParams,
  options: PublicOptions,
): Promise<TimelinePage> {
  let base = services.db
    .selectFrom("statuses")
    .innerJoin("accounts", "accounts.id", "statuses.account_id")
    .selectAll("statuses")
    .where("statuses.visibility", "=", "public")
    .where("statuses.reblog_of_id", "is", null)
    .where((eb) =>
      eb.or([
        eb("statuses.in_reply_to_account_id", "is", null),
        eb("statuses.in_reply_to_account_id", "=", eb.ref("statuses.account_id")),
      ]),
    )
    .where("accounts.suspended_at", "is", null)
    // Limited (silenced) accounts stay out of public timelines, as on Mastodon.
    .where("accounts.silenced_at", "is", null);
  if (options.onlyMedia) base = base.where(hasMedia);
  if (options.local) base = base.where("statuses.local", "=", true);
  else if (options.remote) base = base.where("statuses.local", "=", false);
  if (viewer) base = base.where(visibleTo(viewer.id)).where(notMutedBy(viewer.id));
  const { query, reverse } = applyPage(base, "statuses.id", page);
  return render(services, viewer, await query.execute(), reverse, "public");
}

export interface TagOptions extends PublicOptions {
  any: string[];
  all: string[];
  none: string[];
}

/** Public posts with the tag (or any of `any`), all of `all` and none of `none`. */
export async function tagTimeline(
  services: Services,
  viewer: AccountRow | null,
  hashtag: string,
  page: PageParams,
  options: TagOptions,
): Promise<TimelinePage> {
  const lower = (names: string[]) => names.map((n) => n.replace(/^#/, "").toLowerCase());
  const anyOf = [...new Set(lower([hashtag, ...options.any]))];
  const allOf = lower(options.all);
  const noneOf = lower(options.none);
  const tagged = (names: string[]) =>
    sql<SqlBool>`exists (select 1 from status_tags st join tags t on t.id = st.tag_id
      where st.status_id = statuses.id and lower(t.name) in (${sql.join(names)}))`;
  let base = services.db
    .selectFrom("statuses")
    .innerJoin("accounts", "accounts.id", "statuses.account_id")
    .selectAll("statuses")
    .where("statuses.visibility", "=", "public")
    .where("statuses.reblog_of_id", "is", null)
    .where("accounts.suspended_at", "is", null)
    .where("accounts.silenced_at", "is", null)
    .where(tagged(anyOf));
  for (const name of allOf) base = base.where(tagged([name]));
  if (noneOf.length) base = base.where(sql<SqlBool>`not ${tagged(noneOf)}`);
  if (options.onlyMedia) base = base.where(hasMedia);
  if (options.local) base = base.where("statuses.local", "=", true);
  else if (options.remote) base = base.where("statuses.local", "=", false);
  if (viewer) base = base.where(visibleTo(viewer.id)).where(notMutedBy(viewer.id));
  const { query, reverse } = applyPage(base, "statuses.id", page);
  return render(services, viewer, await query.execute(), reverse, "public");
}

/** Statuses with at least one attachment (the `only_media` filter). */
const hasMedia = sql<SqlBool>`exists (select 1 from media_attachments m
  where m.status_id = statuses.id)`;
