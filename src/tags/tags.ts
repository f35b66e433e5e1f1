// Hashtags: name rules, lookup and creation, usage history and the Tag entity. Tags are
// matched case-insensitively (the unique index is on lower(name)); the first spelling seen
// is kept for display.
import { type Selectable, sql } from "kysely";
import type { AccountRow } from "../auth/middleware.ts";
import type { Config } from "../config.ts";
import type { Db } from "../infra/db/index.ts";
import type { TagsTable } from "../infra/db/schema.ts";
import { idAtTime, newId } from "../infra/ids.ts";

export type TagRow = Selectable<TagsTable>;

export interface TagHistoryEntity {
  day: string;
  uses: string;
  accounts: string;
}

export interface TagEntity {
  id: string;
  name: string;
  url: string;
  history: TagHistoryEntity[];
  following?: boolean;
}

/** Mastodon allows letters, digits, marks and underscores, with at least one letter. */
const TAG_NAME = /^[\p{L}\p{M}\p{N}_]*[\p{L}_][\p{L}\p{M}\p{N}_]*$/u;
export const TAG_NAME_MAX = 100;

/** The name as stored and compared: NFKC (full-width letters fold to ASCII), no leading `#`. */
export function normalizeTagName(raw: string): string {
  return raw.trim().replace(/^#/, "").normalize("NFKC");
}

export function isValidTagName(name: string): boolean {
  return name.length > 0 && name.length <= TAG_NAME_MAX && TAG_NAME.test(name);
}

export async function findTag(db: Db, raw: string): Promise<TagRow | undefined> {
  const name = normalizeTagName(raw);
  if (!isValidTagName(name)) return undefined;
  return await db
    .selectFrom("tags")
    .selectAll()
    .where(sql<string>`lower(name)`, "=", sql<string>`lower(${name})`)
    .executeTakeFirst();
}

/**
 * The tags with these names, created when missing. Invalid names are skipped. Safe against
 * concurrent creation (the unique index decides; the loser reads the winner's row).
 */
export async function findOrCreateTags(db: Db, rawNames: readonly string[]): Promise<TagRow[]> {
  const byKey = new Map<string, string>();
  for (const raw of rawNames) {
    const name = normalizeTagName(raw);
    if (isValidTagName(name) && !byKey.has(name.toLowerCase())) byKey.set(name.toLowerCase(), name);
  }
  if (byKey.size === 0) return [];
  const names = [...byKey.values()];
  await db
    .insertInto("tags")
    .values(names.map((name) => ({ id: newId(), name, display_name: name })))
    .onConflict((oc) => oc.expression(sql`lower(name)`).doNothing())
    .execute();
  const rows = await db
    .selectFrom("tags")
    .selectAll()
    .where(
      sql<string>`lower(name)`,
      "in",
      names.map((n) => sql<string>`lower(${n})`),
    )
    .execute();
  const found = new Map(rows.map((r) => [r.name.toLowerCase(), r]));
  return names.flatMap((n) => found.get(n.toLowerCase()) ?? []);
}

const DAY_MS = 24 * 60 * 60 * 1000;

function utcMidnight(at: Date): number {
  return Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate());
}

/**
 * Seven days of use, today first: statuses carrying the tag and distinct authors per UTC
 * day. One grouped query for all the tags given (a page of search results or trends).
 */
export async function tagHistories(
  db: Db,
  tagIds: readonly string[],
  now = new Date(),
): Promise<Map<string, TagHistoryEntity[]>> {
  const today = utcMidnight(now);
  const since = today - 6 * DAY_MS;
  const counts = new Map<string, Map<number, { uses: number; accounts: number }>>();
  if (tagIds.length > 0) {
    const rows = await db
      .selectFrom("status_tags")
      .innerJoin("statuses", "statuses.id", "status_tags.status_id")
      .select([
        "status_tags.tag_id as tag_id",
        sql<number>`floor(extract(epoch from statuses.created_at) / 86400)::int`.as("day"),
        sql<string>`count(*)`.as("uses"),
        sql<string>`count(distinct statuses.account_id)`.as("accounts"),
      ])
      .where("status_tags.tag_id", "in", tagIds)
      // Ids grow with time: this bounds the index range scan on (tag_id, status_id).
      .where("status_tags.status_id", ">=", idAtTime(since - DAY_MS))
      .where("statuses.created_at", ">=", new Date(since))
      .where("statuses.visibility", "in", ["public", "unlisted"])
      .groupBy(["status_tags.tag_id", "day"])
      .execute();
    for (const r of rows) {
      const perTag = counts.get(r.tag_id) ?? new Map();
      perTag.set(Number(r.day) * DAY_MS, { uses: Number(r.uses), accounts: Number(r.accounts) });
      counts.set(r.tag_id, perTag);
    }
  }
  const result = new Map<string, TagHistoryEntity[]>();
  for (const id of tagIds) result.set(id, historyDays(today, counts.get(id)));
  return result;
}

/** Seven days back from `today` (a UTC midnight in ms), zero where there is no count. */
function historyDays(
  today: number,
  perDay?: Map<number, { uses: number; accounts: number }>,
): TagHistoryEntity[] {
  return Array.from({ length: 7 }, (_, i) => {
    const day = today - i * DAY_MS;
    const c = perDay?.get(day);
    return {
      day: String(day / 1000),
      uses: String(c?.uses ?? 0),
      accounts: String(c?.accounts ?? 0),
    };
  });
}

/** The ids among `tagIds` that `viewer` follows. */
export async function followedTagIds(
  db: Db,
  viewerId: string,
  tagIds: readonly string[],
): Promise<Set<string>> {
  if (tagIds.length === 0) return new Set();
  const rows = await db
    .selectFrom("tag_follows")
    .select("tag_id")
    .where("account_id", "=", viewerId)
    .where("tag_id", "in", tagIds)
    .execute();
  return new Set(rows.map((r) => r.tag_id));
}

export function tagUrl(config: Pick<Config, "publicUrl">, name: string): string {
  return `${config.publicUrl}/tags/${encodeURIComponent(name)}`;
}

/**
 * Tag entities for rows (in order). `following` is only present for a signed-in viewer, as
 * in Mastodon. A tag not stored yet (`id` "") shows an empty history.
 */
export async function serializeTags(
  db: Db,
  config: Pick<Config, "publicUrl">,
  viewer: AccountRow | null,
  tags: readonly Pick<TagRow, "id" | "name" | "display_name">[],
): Promise<TagEntity[]> {
  const ids = tags.map((t) => t.id).filter((id) => id !== "");
  const [histories, followed] = await Promise.all([
    tagHistories(db, ids),
    viewer ? followedTagIds(db, viewer.id, ids) : Promise.resolve(new Set<string>()),
  ]);
  const empty = historyDays(utcMidnight(new Date()));
  return tags.map((t) => {
    const name = t.display_name || t.name;
    const entity: TagEntity = {
      id: t.id,
      name,
      url: tagUrl(config, name),
      history: histories.get(t.id) ?? empty,
    };
    if (viewer) entity.following = followed.has(t.id);
    return entity;
  });
}
