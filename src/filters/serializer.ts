// The Filter, FilterKeyword, FilterStatus and (v1) Filter entities, as Mastodon renders them.
import { contextList, type FilterContext } from "./match.ts";
import type { FilterRow, FilterStatusRow, FilterWithRules, KeywordRow } from "./service.ts";

export interface FilterKeywordEntity {
  id: string;
  keyword: string;
  whole_word: boolean;
}

export interface FilterStatusEntity {
  id: string;
  status_id: string;
}

export interface FilterEntity {
  id: string;
  title: string;
  context: FilterContext[];
  expires_at: string | null;
  filter_action: FilterRow["action"];
  keywords: FilterKeywordEntity[];
  statuses: FilterStatusEntity[];
}

export interface V1FilterEntity {
  id: string;
  phrase: string;
  context: FilterContext[];
  whole_word: boolean;
  expires_at: string | null;
  irreversible: boolean;
}

function expiresAt(filter: FilterRow): string | null {
  return filter.expires_at ? new Date(filter.expires_at).toISOString() : null;
}

export function serializeKeyword(row: KeywordRow): FilterKeywordEntity {
  return { id: row.id, keyword: row.keyword, whole_word: row.whole_word };
}

export function serializeFilterStatus(row: FilterStatusRow): FilterStatusEntity {
  return { id: row.id, status_id: row.status_id };
}

export function serializeFilter({ filter, keywords, statuses }: FilterWithRules): FilterEntity {
  return {
    id: filter.id,
    title: filter.title,
    context: contextList(filter.context),
    expires_at: expiresAt(filter),
    filter_action: filter.action,
    keywords: keywords.map(serializeKeyword),
    statuses: statuses.map(serializeFilterStatus),
  };
}

/**
 * A v1 filter is one keyword seen with its filter's settings: its id is the keyword's id,
 * and `irreversible` means the filter hides rather than warns (Mastodon's mapping).
 */
export function serializeV1Filter(keyword: KeywordRow, filter: FilterRow): V1FilterEntity {
  return {
    id: keyword.id,
    phrase: keyword.keyword,
    context: contextList(filter.context),
    whole_word: keyword.whole_word,
    expires_at: expiresAt(filter),
    irreversible: filter.action === "hide",
  };
}
