// Applying an account's custom filters to statuses, as Mastodon does. This is the one place
// that decides whether a status matches a filter; REST rendering (serializeStatuses) and the
// streaming code both use it, so these exports are a stable interface:
//
//   loadActiveFilters(db, accountId)         → CompiledFilter[]  (one query when there are none)
//   matchFilters(filters, context, status)   → FilterResult[]    (Mastodon's entity)
//   isHidden(results)                        → true when a `hide` filter matched
//   applyFilters(filters, context, entities) → entities with `filtered` set, hidden ones dropped
//
// A context of null means "no particular context" (a single status, search results): every
// active filter is reported and nothing is dropped; clients then read `filter.context`.
import { type RawBuilder, type SqlBool, sql } from "kysely";
import type { Db } from "../infra/db/index.ts";
import type { FilterAction } from "../infra/db/schema.ts";
import type { MastodonStatus } from "../statuses/serializer.ts";

export const FILTER_CONTEXTS = ["home", "notifications", "public", "thread", "account"] as const;
export type FilterContext = (typeof FILTER_CONTEXTS)[number];
export const FILTER_ACTIONS: readonly FilterAction[] = ["warn", "hide", "blur"];

/** The Filter entity as it appears inside a FilterResult (no keywords or statuses). */
export interface FilterSummaryEntity {
  id: string;
  title: string;
  context: FilterContext[];
  expires_at: string | null;
  filter_action: FilterAction;
}

export interface FilterResultEntity {
  filter: FilterSummaryEntity;
  keyword_matches: string[] | null;
  status_matches: string[] | null;
}

export interface CompiledKeyword {
  keyword: string;
  pattern: RegExp;
}

/** One filter ready for matching; compile once, match many statuses. */
export interface CompiledFilter {
  id: string;
  summary: FilterSummaryEntity;
  contexts: ReadonlySet<FilterContext>;
  action: FilterAction;
  /** Epoch milliseconds, or null for a filter that never expires. */
  expiresAt: number | null;
  keywords: CompiledKeyword[];
  statusIds: ReadonlySet<string>;
}

/** What matching reads from a status; for a boost, pass the boosted status's text. */
export interface FilterableStatus {
  /** The status id and, for a boost, the boosted status id: both count for status filters. */
  ids: string[];
  /** HTML content. */
  content: string;
  spoilerText?: string;
  mediaDescriptions?: (string | null | undefined)[];
  pollOptions?: string[];
}

interface FilterRow {
  id: string;
  title: string;
  action: FilterAction;
  context: string[] | string;
  expires_at: Date | string | null;
}

/**
 * A custom filter in force: no expiry, or one still ahead. The one definition in SQL, for
 * this file and for the flags statement (src/statuses/viewer-flags.ts), which says whether
 * a viewer has any.
 */
export function inForce(expiresAt: string): RawBuilder<SqlBool> {
  const column = sql.ref(expiresAt);
  return sql<SqlBool>`(${column} is null or ${column} > now())`;
}

/**
 * The account's filters that have not expired, compiled. Filters only change through the
 * filters API (which emits `filters.changed`), so a caller may keep the result for the
 * length of a request, or until that event for a long-lived connection; expiry is checked
 * again at match time, so a kept list never applies an expired filter.
 */
export async function loadActiveFilters(db: Db, accountId: string): Promise<CompiledFilter[]> {
  const rows = await db
    .selectFrom("custom_filters")
    .select(["id", "title", "context", "action", "expires_at"])
    .where("account_id", "=", accountId)
    .where(inForce("expires_at"))
    .orderBy("id")
    .execute();
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const [keywords, statuses] = await Promise.all([
    db
      .selectFrom("custom_filter_keywords")
      .select(["custom_filter_id", "keyword", "whole_word"])
      .where("custom_filter_id", "in", ids)
      .orderBy("id")
      .execute(),
    db
      .selectFrom("custom_filter_statuses")
      .select(["custom_filter_id", "status_id"])
      .where("custom_filter_id", "in", ids)
      .execute(),
  ]);
  return rows.map((row) =>
    compileFilter(
      row,
      keywords.filter((k) => k.custom_filter_id === row.id),
      statuses.filter((s) => s.custom_filter_id === row.id).map((s) => s.status_id),
    ),
  );
}

export function compileFilter(
  row: FilterRow,
  keywords: { keyword: string; whole_word: boolean }[],
  statusIds: string[],
): CompiledFilter {
  const context = contextList(row.context);
  const expires = row.expires_at === null ? null : new Date(row.expires_at);
  return {
    id: row.id,
    summary: {
      id: row.id,
      title: row.title,
      context,
      expires_at: expires ? expires.toISOString() : null,
      filter_action: row.action,
    },
    contexts: new Set(context),
    action: row.action,
    expiresAt: expires ? expires.getTime() : null,
    keywords: keywords.map((k) => ({
      keyword: k.keyword,
      pattern: keywordPattern(k.keyword, k.whole_word),
    })),
    statusIds: new Set(statusIds),
  };
}

/** The stored context column (jsonb; some drivers hand it back as text) as known names. */
export function contextList(value: string[] | string): FilterContext[] {
  const list: unknown = typeof value === "string" ? JSON.parse(value) : value;
  return Array.isArray(list)
    ? list.filter((c): c is FilterContext => (FILTER_CONTEXTS as readonly string[]).includes(c))
    : [];
}

// Mastodon puts a word boundary only at an end of the keyword that is itself a word
// character, so "#tag" or "c++" still match. \b is ASCII-only in JS; these lookarounds
// give Unicode letters, marks and digits the same treatment Ruby's [[:word:]] does.
const WORD_CHAR = /^[\p{L}\p{M}\p{N}_]$/u;
const NOT_AFTER_WORD = "(?<![\\p{L}\\p{M}\\p{N}_])";
const NOT_BEFORE_WORD = "(?![\\p{L}\\p{M}\\p{N}_])";

export function keywordPattern(keyword: string, wholeWord: boolean): RegExp {
  const escaped = keyword.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  if (!wholeWord) return new RegExp(escaped, "iu");
  const chars = [...keyword];
  const start = chars.length && WORD_CHAR.test(chars[0]!) ? NOT_AFTER_WORD : "";
  const end = chars.length && WORD_CHAR.test(chars.at(-1)!) ? NOT_BEFORE_WORD : "";
  return new RegExp(`${start}${escaped}${end}`, "iu");
}

/**
 * The filters that match a status in a context, as Mastodon's FilterResult entities.
 * Expired filters never match. Keywords are searched in the content warning, the text,
 * poll options and media descriptions; status filters match the status or what it boosts.
 */
export function matchFilters(
  filters: readonly CompiledFilter[],
  context: FilterContext | null,
  status: FilterableStatus,
  now: number = Date.now(),
): FilterResultEntity[] {
  const results: FilterResultEntity[] = [];
  let text: string | undefined;
  for (const filter of filters) {
    if (filter.expiresAt !== null && filter.expiresAt <= now) continue;
    if (context !== null && !filter.contexts.has(context)) continue;
    let keywordMatches: string[] | null = null;
    if (filter.keywords.length) {
      text ??= searchableText(status);
      const matched = filter.keywords.filter((k) => k.pattern.test(text!)).map((k) => k.keyword);
      if (matched.length) keywordMatches = [...new Set(matched)];
    }
    let statusMatches: string[] | null = null;
    if (filter.statusIds.size) {
      const matched = status.ids.filter((id) => filter.statusIds.has(id));
      if (matched.length) statusMatches = matched;
    }
    if (!keywordMatches && !statusMatches) continue;
    results.push({
      filter: filter.summary,
      keyword_matches: keywordMatches,
      status_matches: statusMatches,
    });
  }
  return results;
}

/** True when one of the results comes from a `hide` filter: the status is not shown at all. */
export function isHidden(results: readonly FilterResultEntity[]): boolean {
  return results.some((r) => r.filter.filter_action === "hide");
}

/** What matching reads from a rendered Status; a boost is matched on what it boosts. */
export function filterableOf(entity: MastodonStatus): FilterableStatus {
  const proper = entity.reblog ?? entity;
  const poll = (proper as { poll?: unknown }).poll as { options?: { title?: unknown }[] } | null;
  return {
    ids: entity.reblog ? [entity.id, entity.reblog.id] : [entity.id],
    content: proper.content,
    spoilerText: proper.spoiler_text,
    mediaDescriptions: proper.media_attachments.map((m) => m.description),
    pollOptions: (poll?.options ?? []).flatMap((o) =>
      typeof o.title === "string" ? [o.title] : [],
    ),
  };
}

/**
 * Sets `filtered` on rendered statuses (and on the status a boost carries) and, when a
 * context is given, leaves out those a `hide` filter matches. Returns the statuses kept,
 * in order.
 */
export function applyFilters(
  filters: readonly CompiledFilter[],
  context: FilterContext | null,
  entities: MastodonStatus[],
  now: number = Date.now(),
): MastodonStatus[] {
  if (filters.length === 0) return entities;
  const kept: MastodonStatus[] = [];
  for (const entity of entities) {
    const results = matchFilters(filters, context, filterableOf(entity), now);
    if (context !== null && isHidden(results)) continue;
    entity.filtered = results;
    if (entity.reblog) entity.reblog.filtered = results;
    kept.push(entity);
  }
  return kept;
}

function searchableText(status: FilterableStatus): string {
  return [
    status.spoilerText ?? "",
    htmlText(status.content),
    (status.pollOptions ?? []).join("\n\n"),
    (status.mediaDescriptions ?? []).filter((d): d is string => !!d).join("\n\n"),
  ]
    .filter((part) => part !== "")
    .join("\n\n");
}

const ENTITIES: Record<string, string> = {
  amp: "&",
  lt: "<",
  gt: ">",
  quot: '"',
  apos: "'",
  nbsp: " ",
};

/**
 * The visible text of stored (already sanitized) status HTML: line breaks and paragraphs
 * become whitespace so words on either side never run together, tags go, entities decode.
 */
export function htmlText(html: string): string {
  return html
    .replace(/<br\s*\/?>/gi, "\n")
    .replace(/<\/p>/gi, "\n\n")
    .replace(/<[^>]*>/g, "")
    .replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (whole, body: string) => {
      if (body[0] !== "#") return ENTITIES[body.toLowerCase()] ?? whole;
      const code =
        body[1] === "x" || body[1] === "X"
          ? Number.parseInt(body.slice(2), 16)
          : Number.parseInt(body.slice(1), 10);
      return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : whole;
    })
    .trim();
}
