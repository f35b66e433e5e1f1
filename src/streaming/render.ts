// Renders one status for many viewers as one shared payload plus the few that differ, so a
// post to 10,000 followers is one rendering and one pub/sub message, not 10,000 of each.
//
// What the REST API (serializeStatuses) shows a logged-in viewer beyond the anonymous
// rendering: its own flags (favourited, reblogged, muted, bookmarked), `filtered` (applied
// per connection by the hub), and, on their own statuses only, the application and `pinned`
// (public and unlisted ones). So the shared payload is the anonymous rendering with every
// flag false, and a viewer gets a payload of their own only when a flag is true for them or
// they wrote the status (or the boosted one). The flags are found by status (who favourited,
// bookmarked, boosted or pinned it, or muted its conversation), not by viewer: for a
// brand-new status that is almost always nobody but possibly a quick favouriter, and for an
// edited one it is bounded by the status's own interactions, whatever the audience.
import { sql } from "kysely";
import type { Services } from "../services.ts";
import { type MastodonStatus, type StatusRow, serializeStatuses } from "../statuses/serializer.ts";

export interface SharedRendering {
  /** The JSON every viewer without a payload of their own gets. */
  payload: string;
  /** Viewers whose rendering differs: authors, or a flag set. */
  payloads: Record<string, string>;
}

type FlagName = "favourited" | "reblogged" | "bookmarked" | "muted" | "pinned";

/** Everything needed to render the status for any viewer, loaded in one round of queries. */
export interface StatusRendering {
  /** The anonymous rendering: what public streams carry; undefined if it can't be rendered. */
  base: MastodonStatus | undefined;
  /** `flag:statusId` → local accounts with that flag. */
  flags: Map<string, Set<string>>;
  /** statusId → its application as its author sees it. */
  applications: Map<string, { name: string; website: string | null }>;
}

export async function loadRendering(services: Services, row: StatusRow): Promise<StatusRendering> {
  const ids = [row.id, ...(row.reblog_of_id ? [row.reblog_of_id] : [])];
  const [[base], flags, applications] = await Promise.all([
    serializeStatuses(services, null, [row]),
    loadFlags(services, ids),
    loadApplications(services, ids),
  ]);
  return { base, flags, applications };
}

/** The payloads of `rendering` for `viewerIds`. Visibility is the caller's job. */
export function renderForViewers(
  rendering: StatusRendering & { base: MastodonStatus },
  viewerIds: Iterable<string>,
): SharedRendering {
  const { base, flags, applications } = rendering;
  const overlay = (entity: MastodonStatus, viewerId: string | null): MastodonStatus => {
    const has = (name: FlagName) =>
      viewerId !== null && (flags.get(`${name}:${entity.id}`)?.has(viewerId) ?? false);
    const own = viewerId !== null && entity.account.id === viewerId;
    const out: MastodonStatus = {
      ...entity,
      application: own ? (applications.get(entity.id) ?? null) : null,
      favourited: has("favourited"),
      reblogged: has("reblogged"),
      muted: has("muted"),
      bookmarked: has("bookmarked"),
    };
    // As the serializer: `pinned` only where pinning is possible, the viewer's own
    // public and unlisted statuses.
    if (own && (entity.visibility === "public" || entity.visibility === "unlisted")) {
      out.pinned = has("pinned");
    }
    out.filtered = [];
    return out;
  };
  const forViewer = (viewerId: string | null): MastodonStatus => {
    const entity = overlay(base, viewerId);
    if (base.reblog) entity.reblog = overlay(base.reblog, viewerId);
    return entity;
  };

  const special = new Set<string>([base.account.id]);
  if (base.reblog) special.add(base.reblog.account.id);
  for (const holders of flags.values()) for (const id of holders) special.add(id);
  const viewers = new Set(viewerIds);
  const payloads: Record<string, string> = {};
  for (const viewerId of special) {
    if (viewers.has(viewerId)) payloads[viewerId] = JSON.stringify(forViewer(viewerId));
  }
  return { payload: JSON.stringify(forViewer(null)), payloads };
}

/**
 * Who has each flag on the statuses (the status and the one it boosts), in one statement:
 * local accounts only, since only they have streams. Muting a status mutes its whole
 * conversation, as in the serializer.
 */
async function loadFlags(services: Services, ids: string[]): Promise<Map<string, Set<string>>> {
  const list = sql.join(ids);
  const result = await sql<{ flag: FlagName; account_id: string; status_id: string }>`
    select 'favourited' as flag, f.account_id, f.status_id from favourites f
      join accounts a on a.id = f.account_id and a.domain is null
      where f.status_id in (${list})
    union all select 'bookmarked', b.account_id, b.status_id from bookmarks b
      where b.status_id in (${list})
    union all select 'pinned', p.account_id, p.status_id from status_pins p
      where p.status_id in (${list})
    union all select 'reblogged', r.account_id, r.reblog_of_id from statuses r
      join accounts a on a.id = r.account_id and a.domain is null
      where r.reblog_of_id in (${list})
    union all select 'muted', m.account_id, s.id from statuses s
      join status_mutes m on m.status_id = s.id or (s.conversation_id is not null
        and m.status_id in (select c.id from statuses c where c.conversation_id = s.conversation_id))
      where s.id in (${list})`.execute(services.db);
  const flags = new Map<string, Set<string>>();
  for (const r of result.rows) {
    const key = `${r.flag}:${r.status_id}`;
    let set = flags.get(key);
    if (!set) {
      set = new Set();
      flags.set(key, set);
    }
    set.add(String(r.account_id));
  }
  return flags;
}

/** statusId → the application it was posted with, as its author sees it. */
async function loadApplications(
  services: Services,
  ids: string[],
): Promise<Map<string, { name: string; website: string | null }>> {
  const rows = await services.db
    .selectFrom("statuses")
    .innerJoin("oauth_applications", "oauth_applications.id", "statuses.application_id")
    .select(["statuses.id", "oauth_applications.name", "oauth_applications.website"])
    .where("statuses.id", "in", ids)
    .execute();
  return new Map(rows.map((r) => [r.id, { name: r.name, website: r.website }]));
}
