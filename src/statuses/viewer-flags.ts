// The viewer's own flags on a page of statuses: favourited, bookmarked, pinned, boosted and
// muted (muting a status mutes its whole conversation, as in Mastodon), and whether the
// viewer has custom filters to load. One statement (it was five) answers them all.
import { sql } from "kysely";
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
  const v = sql`${viewerId}::bigint`;
  const page = sql`${ids}::bigint[]`;
  const result = await sql<FlagRow>`
    select ${prepared} 'favourite' as kind, status_id, null::bigint as conversation_id
      from favourites where account_id = ${v} and status_id = any(${page})
    union all select 'bookmark', status_id, null from bookmarks
      where account_id = ${v} and status_id = any(${page})
    union all select 'pin', status_id, null from status_pins
      where account_id = ${v} and status_id = any(${page})
    union all select 'reblog', reblog_of_id, null from statuses
      where account_id = ${v} and reblog_of_id = any(${page})
    union all select 'mute', sm.status_id, s.conversation_id from status_mutes sm
      join statuses s on s.id = sm.status_id
      where sm.account_id = ${v}
        and (sm.status_id = any(${page}) or s.conversation_id = any(${conversations}::bigint[]))
    union all select 'filters', null, null where exists (select 1 from custom_filters cf
      where cf.account_id = ${v} and ${inForce("cf.expires_at")})`.execute(services.db);
  return flagsOf(result.rows);
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
