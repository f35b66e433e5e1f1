// The Status entity, rendered as Mastodon renders it. Every endpoint that shows statuses
// (timelines, notifications, search, context, ...) goes through serializeStatuses, which
// loads what a page needs in a fixed number of queries whatever its length: authors,
// boosted statuses, mentions, tags and attachments (kept in memory, static-parts.ts), polls,
// and the viewer's own flags (viewer-flags.ts).
// Callers decide what is visible (src/statuses/visibility.ts); this file only renders.
import type { Selectable } from "kysely";
import {
  ACCOUNT_ENTITY_COLUMNS,
  type AccountEntity,
  type AccountEntityRow,
  serializeAccount,
} from "../accounts/serializers.ts";
import type { AccountRow } from "../auth/middleware.ts";
import {
  applyFilters,
  type CompiledFilter,
  type FilterContext,
  type FilterResultEntity,
  loadActiveFilters,
} from "../filters/match.ts";
import { compiledOnce } from "../infra/db/compiled.ts";
import type { Db } from "../infra/db/index.ts";
import { idIn, prepared } from "../infra/db/prepared.ts";
import type { StatusesTable, Visibility } from "../infra/db/schema.ts";
import type { MediaAttachmentEntity } from "../media/serializer.ts";
import { type PollEntity, pollsOfStatuses } from "../polls/serializer.ts";
import type { Services } from "../services.ts";
import { staticPartsOf } from "./static-parts.ts";
import { type ViewerFlags, viewerFlags } from "./viewer-flags.ts";

export type StatusRow = Selectable<StatusesTable>;

export interface StatusMentionEntity {
  id: string;
  username: string;
  url: string;
  acct: string;
}

export interface StatusTagEntity {
  name: string;
  url: string;
}

export interface MastodonStatus {
  id: string;
  created_at: string;
  in_reply_to_id: string | null;
  in_reply_to_account_id: string | null;
  sensitive: boolean;
  spoiler_text: string;
  visibility: Visibility;
  language: string | null;
  uri: string;
  url: string | null;
  replies_count: number;
  reblogs_count: number;
  favourites_count: number;
  edited_at: string | null;
  favourited?: boolean;
  reblogged?: boolean;
  muted?: boolean;
  bookmarked?: boolean;
  pinned?: boolean;
  content: string;
  filtered?: FilterResultEntity[];
  reblog: MastodonStatus | null;
  application?: { name: string; website: string | null } | null;
  account: AccountEntity;
  media_attachments: MediaAttachmentEntity[];
  mentions: StatusMentionEntity[];
  tags: StatusTagEntity[];
  emojis: unknown[];
  card: null;
  poll: PollEntity | null;
  /** Only in the answer to DELETE: the source, for delete-and-redraft. */
  text?: string;
}

/** The public web address of a local status. */
export function localStatusUrl(publicUrl: string, username: string, id: string): string {
  return `${publicUrl}/@${username}/${id}`;
}

/** The ActivityPub id of a local status. */
export function localStatusUri(publicUrl: string, username: string, id: string): string {
  return `${publicUrl}/users/${username}/statuses/${id}`;
}

export function tagUrl(publicUrl: string, name: string): string {
  return `${publicUrl}/tags/${encodeURIComponent(name)}`;
}

export async function serializeStatus(
  services: Services,
  viewer: AccountRow | null,
  row: StatusRow,
): Promise<MastodonStatus> {
  const [status] = await serializeStatuses(services, viewer, [row]);
  return status!;
}

export interface SerializeOptions {
  /**
   * Where the statuses are shown (home, public, thread, ...): only filters for that context
   * apply, and statuses a `hide` filter matches are left out of the result. Without it every
   * active filter is reported in `filtered` and nothing is left out.
   */
  filterContext?: FilterContext;
  /** The viewer's filters when the caller already loaded them (several calls in one request). */
  filters?: CompiledFilter[];
  /** Authors the caller read along with the rows (the home timeline); others are looked up. */
  authors?: Map<string, AccountEntityRow>;
  /**
   * The viewer's flags when the caller read them along with the rows (the home timeline,
   * viewer-flags.ts flagColumns); they must cover the statuses the rows boost too.
   */
  flags?: ViewerFlags;
}

// The page's lookups are prepared statements (src/infra/db/prepared.ts) with array
// parameters, built once (src/infra/db/compiled.ts).
const boostedStatuses = compiledOnce((db: Db, input: { ids: string[] }) =>
  db.selectFrom("statuses").modifyFront(prepared).selectAll().where(idIn("statuses.id", input.ids)),
);
const authors = compiledOnce((db: Db, input: { ids: string[] }) =>
  db
    .selectFrom("accounts")
    .modifyFront(prepared)
    .select(ACCOUNT_ENTITY_COLUMNS)
    .where(idIn("accounts.id", input.ids)),
);

export async function serializeStatuses(
  services: Services,
  viewer: AccountRow | null,
  rows: StatusRow[],
  options: SerializeOptions = {},
): Promise<MastodonStatus[]> {
  if (rows.length === 0) return [];
  const { db, config } = services;

  // Boosted statuses not already on the page.
  const byId = new Map<string, StatusRow>(rows.map((r) => [r.id, r]));
  const missing = [
    ...new Set(rows.map((r) => r.reblog_of_id).filter((id): id is string => id !== null)),
  ].filter((id) => !byId.has(id));
  if (missing.length) {
    const boosted = await boostedStatuses(db, { ids: missing });
    for (const b of boosted) byId.set(b.id, b);
  }
  const all = [...byId.values()];
  const ids = all.map((s) => s.id);
  const accountIds = [...new Set(all.map((s) => s.account_id))];
  const known = options.authors;
  const unknownAuthors = known ? accountIds.filter((id) => !known.has(id)) : accountIds;

  const viewerId = viewer?.id ?? null;
  const ownApplicationIds = viewerId
    ? [
        ...new Set(
          all
            .filter((s) => s.account_id === viewerId && s.application_id !== null)
            .map((s) => s.application_id as string),
        ),
      ]
    : [];

  const [fetchedAuthors, parts, flags, applications] = await Promise.all([
    unknownAuthors.length ? authors(db, { ids: unknownAuthors }) : [],
    // Mentions, tags, attachments: from memory for statuses rendered before (static-parts.ts).
    staticPartsOf(services, all),
    viewerId ? (options.flags ?? viewerFlags(services, viewerId, all)) : undefined,
    ownApplicationIds.length
      ? db
          .selectFrom("oauth_applications")
          .select(["id", "name", "website"])
          .where("id", "in", ownApplicationIds)
          .execute()
      : Promise.resolve([]),
  ]);
  const pollIds = ids.filter((id) => parts.get(id)?.hasPoll);
  const [polls, filters] = await Promise.all([
    pollIds.length ? pollsOfStatuses(db, viewerId, pollIds) : new Map<string, PollEntity>(),
    // The viewer's custom filters (src/filters/match.ts), applied once the page is rendered;
    // the flags statement says whether there are any, so most pages skip loading them.
    options.filters ??
      (viewer && flags?.hasFilters ? loadActiveFilters(db, viewer.id) : ([] as CompiledFilter[])),
  ]);

  const accounts = known
    ? [...accountIds.flatMap((id) => known.get(id) ?? []), ...fetchedAuthors]
    : fetchedAuthors;
  const accountEntities = new Map<string, AccountEntity>(
    accounts.map((a) => [a.id, serializeAccount(a, config)]),
  );
  const usernames = new Map(accounts.map((a) => [a.id, a]));
  const appsById = new Map(applications.map((a) => [a.id, a]));

  const render = (s: StatusRow, nested: boolean): MastodonStatus => {
    const author = usernames.get(s.account_id);
    const local = s.local && author !== undefined && author.domain === null;
    const url = local ? localStatusUrl(config.publicUrl, author.username, s.id) : (s.url ?? s.uri);
    const boosted = !nested && s.reblog_of_id ? byId.get(s.reblog_of_id) : undefined;
    const own = parts.get(s.id);
    const entity: MastodonStatus = {
      id: s.id,
      created_at: new Date(s.created_at).toISOString(),
      in_reply_to_id: s.in_reply_to_id,
      in_reply_to_account_id: s.in_reply_to_account_id,
      spoiler_text: s.spoiler_text,
      visibility: s.visibility,
      language: s.language,
      uri: s.uri,
      url,
      replies_count: s.replies_count,
      reblogs_count: s.reblogs_count,
      favourites_count: s.favourites_count,
      edited_at: s.edited_at ? new Date(s.edited_at).toISOString() : null,
      content: s.content,
      reblog: boosted ? render(boosted, true) : null,
      account: accountEntities.get(s.account_id)!,
      media_attachments: own?.media ?? [],
      mentions: own?.mentions ?? [],
      tags: own?.tags ?? [],
      emojis: [],
      card: null,
      // From here on the keys depend on the viewer; src/statuses/fragments.ts appends them
      // in this order to the JSON of the keys above, kept for all viewers.
      // A sensitized account's media is sensitive to everyone but its author (as Mastodon).
      sensitive: s.sensitive || (!!author?.sensitized_at && viewerId !== s.account_id),
      poll: polls.get(s.id) ?? null,
    };
    // The application is shown to its author only (Mastodon hides which app others use).
    if (viewerId && s.account_id === viewerId && s.application_id) {
      const app = appsById.get(s.application_id);
      entity.application = app ? { name: app.name, website: app.website } : null;
    } else {
      entity.application = null;
    }
    if (flags) {
      entity.favourited = flags.favourited.has(s.id);
      entity.reblogged = flags.reblogged.has(s.id);
      entity.muted =
        flags.muted.has(s.id) ||
        (s.conversation_id !== null && flags.mutedConversations.has(s.conversation_id));
      entity.bookmarked = flags.bookmarked.has(s.id);
      // `pinned` only appears where pinning is possible: the viewer's own public/unlisted posts.
      if (s.account_id === viewerId && (s.visibility === "public" || s.visibility === "unlisted")) {
        entity.pinned = flags.pinned.has(s.id);
      }
      entity.filtered = [];
    }
    return entity;
  };

  const rendered = rows.map((r) => render(r, false));
  return viewer ? applyFilters(filters, options.filterContext ?? null, rendered) : rendered;
}
