// The viewer's own flags on a page of statuses: favourited, bookmarked, pinned, boosted and
// muted (muting a status mutes its whole conversation, as in Mastodon), and whether the
// viewer has custom filters to load. One UNION ALL answers them all; it runs as a statement
// of its own for most pages, and inside the home timeline's query for the home page, where
// a round trip to PostgreSQL costs more than the lookups (docs/benchmarks.md).
import { type RawBuilder, sql } from "kysely";
import { inForce } from "../filters/match.ts";
import { prepared } from "../infra/db/prepared.ts";
import type { Services } from "../services.ts";

export interface ViewerFlags {
  favourited: Set<string>;
  reblogged: Set<string>;
  muted: Set<string>;
  mutedConversations: Set<string>;
  bookmarked: Set<string>;
  pinned: Set<string>;
  /** Whether the viewer has any active custom filter (they are loaded only then). */
  hasFilters: boolean;
}

type FlagRow =
  | {
      kind: "favourite" | "bookmark" | "pin" | "reblog" | "mute";
      status_id: string;
      conversation_id: string | null;
    }
  // Not about a status: the viewer has at least one active filter.
  | { kind: "filters"; status_id: null; conversation_id: null };

/**
 * The flag rows of `viewer` (a bigint) on the statuses `ids` whose conversations are
 * `conversations` (bigint[] expressions: parameters, or arrays built by the enclosing query).
 */
function flagRows(
  viewer: RawBuilder<unknown>,
  ids: RawBuilder<unknown>,
  conversations: RawBuilder<unknown>,
): RawBuilder<FlagRow> {
  return sql<FlagRow>`
    select 'favourite' as kind, status_id, null::bigint as conversation_id
      from favourites where account_id = ${viewer} and status_id = any(${ids})
    union all select 'bookmark', status_id, null from bookmarks
      where account_id = ${viewer} and status_id = any(${ids})
    union all select 'pin', status_id, null from status_pins
      where account_id = ${viewer} and status_id = any(${ids})
    union all select 'reblog', reblog_of_id, null from statuses
      where account_id = ${viewer} and reblog_of_id = any(${ids})
    union all select 'mute', sm.status_id, s.conversation_id from status_mutes sm
      join statuses s on s.id = sm.status_id
      where sm.account_id = ${viewer}
        and (sm.status_id = any(${ids}) or s.conversation_id = any(${conversations}))
    union all select 'filters', null, null where exists (select 1 from custom_filters cf
      where cf.account_id = ${viewer} and ${inForce("cf.expires_at")})`;
}

/** The viewer's flags on `statuses` (a page and the statuses it boosts), one statement. */
export async function viewerFlags(
  services: Services,
  viewerId: string,
  statuses: { id: string; conversation_id: string | null }[],
): Promise<ViewerFlags> {
  const ids = statuses.map((s) => s.id);
  const conversations = [
    ...new Set(statuses.map((s) => s.conversation_id).filter((c): c is string => c !== null)),
  ];
  const rows = flagRows(
    sql`${viewerId}::bigint`,
    sql`${ids}::bigint[]`,
    sql`${conversations}::bigint[]`,
  );
  const result = await sql<FlagRow>`select ${prepared} * from (${rows}) f`.execute(services.db);
  return flagsOf(result.rows);
}

/**
 * For a query whose page of statuses is the CTE `page` (statuses' columns): a text column
 * holding the viewer's flags on the page and on the statuses it boosts, as JSON
 * (`pageFlags` reads it). PostgreSQL computes it once per query, not once per row.
 */
export function pageFlagsColumn(viewer: unknown): RawBuilder<string> {
  const ids = sql`array(select id from page union select reblog_of_id from page
    where reblog_of_id is not null)`;
  const conversations = sql`array(select conversation_id from page
    where conversation_id is not null
    union select o.conversation_id from statuses o
    where o.id in (select reblog_of_id from page) and o.conversation_id is not null)`;
  const rows = flagRows(sql`${viewer}::bigint`, ids, conversations);
  // Ids as text: JSON numbers would lose bigints' last digits.
  return sql<string>`(select coalesce(json_agg(json_build_array(f.kind, f.status_id::text,
    f.conversation_id::text)), '[]')::text from (${rows}) f)`;
}

/** The flags in a column made by pageFlagsColumn. */
export function pageFlags(column: string): ViewerFlags {
  const rows = (JSON.parse(column) as [FlagRow["kind"], string | null, string | null][]).map(
    ([kind, status_id, conversation_id]) => ({ kind, status_id, conversation_id }) as FlagRow,
  );
  return flagsOf(rows);
}

function flagsOf(rows: FlagRow[]): ViewerFlags {
  const flags: ViewerFlags = {
    favourited: new Set(),
    bookmarked: new Set(),
    pinned: new Set(),
    reblogged: new Set(),
    muted: new Set(),
    mutedConversations: new Set(),
    hasFilters: false,
  };
  const setOf = {
    favourite: flags.favourited,
    bookmark: flags.bookmarked,
    pin: flags.pinned,
    reblog: flags.reblogged,
    mute: flags.muted,
  };
  for (const row of rows) {
    if (row.kind === "filters") {
      flags.hasFilters = true;
      continue;
    }
    setOf[row.kind].add(row.status_id);
    if (row.kind === "mute" && row.conversation_id !== null) {
      flags.mutedConversations.add(row.conversation_id);
    }
  }
  return flags;
}
