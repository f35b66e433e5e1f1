// The home timeline, rendered straight to JSON. One statement reads the page: the feed's
// entries, visible to the viewer, with the viewer's flags and the versions of each status
// and its author. Statuses whose JSON is kept for that version (src/statuses/fragments.ts)
// are copied from memory; the rest are read in full and rendered by the serializer, which
// also refills the cache. A page seen before thus costs one round trip to PostgreSQL.
import { sql } from "kysely";
import type { AccountRow } from "../auth/middleware.ts";
import type { PageParams } from "../http/pagination.ts";
import { compiledOnce } from "../infra/db/compiled.ts";
import type { Db } from "../infra/db/index.ts";
import { idIn, prepared } from "../infra/db/prepared.ts";
import type { Services } from "../services.ts";
import { fragmentsOf } from "../statuses/fragments.ts";
import { type MastodonStatus, serializeStatuses } from "../statuses/serializer.ts";
import { type FlagColumns, flagColumns, flagsFromColumns } from "../statuses/viewer-flags.ts";
import { notMutedBy, visibleTo } from "../statuses/visibility.ts";
import { applyPage } from "./paging.ts";
import { AUTHOR, authorsOf, boostedVisibleTo } from "./queries.ts";

export interface RenderedPage {
  /** The JSON array of statuses. */
  json: Buffer<ArrayBuffer>;
  /** Paging cursors: the ids of the newest and oldest entry read. */
  newest?: string;
  oldest?: string;
}

interface Entry extends FlagColumns {
  account_id: string;
  sensitive: boolean;
  author_sensitized: boolean;
  version: string;
}

/**
 * The accounts a status mentions, as its JSON shows them (handle and URL): their rows' xmin,
 * so that a mentioned account renamed or deleted (its mentions go with it) is seen too.
 */
const MENTIONED = sql<string>`coalesce((select string_agg(ma.xmin::text, ',' order by ma.id)
  from mentions m join accounts ma on ma.id = m.account_id
  where m.status_id = statuses.id and m.silent = false), '')`;

/** A status's version for the fragment cache: the xmin of its row, its author's, and those. */
const VERSION = sql<string>`statuses.xmin::text || ':' || accounts.xmin::text || ':' || ${MENTIONED}`;

/**
 * The viewer's feed entries: one range scan on home_feed's (account_id, status_id) key,
 * filtered by visibility, mutes and blocks. A prepared statement built once per paging
 * shape (src/infra/db/compiled.ts).
 */
const homeEntries = compiledOnce((db: Db, input: { viewer: string } & PageParams) => {
  const base = db
    .selectFrom("home_feed")
    .innerJoin("statuses", "statuses.id", "home_feed.status_id")
    .innerJoin("accounts", "accounts.id", "statuses.account_id")
    .modifyFront(prepared)
    .select([
      "statuses.id",
      "statuses.account_id",
      "statuses.reblog_of_id",
      "statuses.sensitive",
      sql<boolean>`accounts.sensitized_at is not null`.as("author_sensitized"),
      VERSION.as("version"),
    ])
    .select(flagColumns(input.viewer))
    .where("home_feed.account_id", "=", input.viewer)
    .where("accounts.suspended_at", "is", null)
    .where(visibleTo(input.viewer))
    .where(notMutedBy(input.viewer))
    .where(boostedVisibleTo(input.viewer));
  return applyPage(base, "home_feed.status_id", input).query;
});

/** Whole rows (and authors) of the entries not kept in memory; visibility was checked. */
const fullRows = compiledOnce((db: Db, input: { ids: string[] }) =>
  db
    .selectFrom("statuses")
    .innerJoin("accounts", "accounts.id", "statuses.account_id")
    .modifyFront(prepared)
    .selectAll("statuses")
    .select(AUTHOR.selection)
    .select([VERSION.as("version"), MENTIONED.as("mentions_version")])
    .where(idIn("statuses.id", input.ids)),
);

const OPEN = Buffer.from("[");
const COMMA = Buffer.from(",");
const CLOSE = Buffer.from("]");

export async function homeTimelineJson(
  services: Services,
  viewer: AccountRow,
  page: PageParams,
): Promise<RenderedPage> {
  const entries = (await homeEntries(services.db, {
    viewer: viewer.id,
    maxId: page.maxId,
    sinceId: page.sinceId,
    minId: page.minId,
    limit: page.limit,
  })) as Entry[];
  if (page.minId !== undefined) entries.reverse();
  const flags = flagsFromColumns(entries);
  const fragments = fragmentsOf(services);
  // Whether the cache may serve (and keep) an entry for this viewer: fragments.ts.
  const shareable = (s: { reblog_of_id: string | null; account_id: string }) =>
    !flags.hasFilters && s.reblog_of_id === null && s.account_id !== viewer.id;

  const parts = entries.map((e) =>
    shareable(e)
      ? fragments.render(e.id, e.version, {
          sensitive: e.sensitive || e.author_sensitized,
          favourited: flags.favourited.has(e.id),
          reblogged: flags.reblogged.has(e.id),
          muted: flags.muted.has(e.id),
          bookmarked: flags.bookmarked.has(e.id),
        })
      : undefined,
  );
  const missing = entries.filter((_, i) => parts[i] === undefined);
  const rendered = new Map<string, MastodonStatus>();
  if (missing.length) {
    const rows = await fullRows(services.db, { ids: missing.map((e) => e.id) });
    const byId = new Map(rows.map((r) => [r.id, r]));
    // In the feed's order: the serializer keeps it, and leaves out what filters hide.
    const ordered = missing.flatMap((e) => byId.get(e.id) ?? []);
    const statuses = await serializeStatuses(services, viewer, ordered, {
      filterContext: "home",
      authors: authorsOf(ordered),
      flags,
    });
    for (const status of statuses) rendered.set(status.id, status);
    for (const row of ordered) {
      const status = rendered.get(row.id);
      if (status && shareable(row)) fragments.store(row.version, status);
    }
  }

  const chunks: Buffer[] = [OPEN];
  entries.forEach((e, i) => {
    const json = parts[i] ?? jsonOf(rendered.get(e.id));
    if (!json) return;
    if (chunks.length > 1) chunks.push(COMMA);
    chunks.push(...json);
  });
  chunks.push(CLOSE);
  return { json: Buffer.concat(chunks), newest: entries[0]?.id, oldest: entries.at(-1)?.id };
}

function jsonOf(status: MastodonStatus | undefined): Buffer[] | undefined {
  return status ? [Buffer.from(JSON.stringify(status))] : undefined;
}
