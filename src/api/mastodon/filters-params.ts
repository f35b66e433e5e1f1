// Reading the filters endpoints' parameters, JSON or form. Forms send `context[]=home` and
// Rails' nested attributes either as a list (`keywords_attributes[][keyword]=x`) or as a
// hash keyed by position (`keywords_attributes[0][keyword]=x`); both become one list here.
import { FILTER_ACTIONS, FILTER_CONTEXTS, type FilterContext } from "../../filters/match.ts";
import type { KeywordChange } from "../../filters/service.ts";
import type { Params } from "../../http/body.ts";
import { ApiError } from "../../http/errors.ts";
import type { FilterAction } from "../../infra/db/schema.ts";
import { bool, listOf, str } from "./statuses-params.ts";

/** Ten years: far enough for anyone, near enough that the date stays representable. */
const MAX_EXPIRES_IN = 10 * 365 * 24 * 3600;

export function has(params: Params, key: string): boolean {
  return Object.hasOwn(params, key);
}

export function contextParam(value: unknown): FilterContext[] {
  const out: FilterContext[] = [];
  for (const item of listOf(value)) {
    const v = str(item, "Context");
    if (v === undefined || v === "") continue;
    if (!(FILTER_CONTEXTS as readonly string[]).includes(v)) {
      throw ApiError.unprocessable("Validation failed: Context contains an invalid value");
    }
    if (!out.includes(v as FilterContext)) out.push(v as FilterContext);
  }
  return out;
}

export function actionParam(value: unknown): FilterAction | undefined {
  const v = str(value, "Filter action");
  if (v === undefined || v === "") return undefined;
  if (!(FILTER_ACTIONS as readonly string[]).includes(v)) {
    throw ApiError.unprocessable("Validation failed: Filter action is not included in the list");
  }
  return v as FilterAction;
}

/** Seconds from now; null or "" means no expiry. */
export function expiresInParam(value: unknown): Date | null {
  if (value === null || value === undefined || value === "") return null;
  const n = typeof value === "number" ? value : Number(str(value, "Expires in")?.trim());
  if (!Number.isInteger(n) || n <= 0 || n > MAX_EXPIRES_IN) {
    throw ApiError.unprocessable(
      "Validation failed: Expires in must be a positive number of seconds",
    );
  }
  return new Date(Date.now() + n * 1000);
}

function entries(value: unknown): Params[] {
  if (value === undefined || value === null || value === "") return [];
  let list: unknown[];
  if (Array.isArray(value)) list = value;
  else if (typeof value === "object") {
    // `{ "0": {...}, "1": {...} }`: Rails' indexed form of a list, kept in index order.
    list = Object.entries(value as Params)
      .sort(([a], [b]) => Number(a) - Number(b) || a.localeCompare(b))
      .map(([, v]) => v);
  } else {
    throw ApiError.unprocessable("Validation failed: Keywords attributes must be a list");
  }
  return list.map((item) => {
    if (typeof item !== "object" || item === null || Array.isArray(item)) {
      throw ApiError.unprocessable("Validation failed: Keywords attributes must be a list");
    }
    return item as Params;
  });
}

/** `keywords_attributes` on create: each entry a new keyword (whole_word defaults to true). */
export function newKeywordsParam(value: unknown): { keyword: string; wholeWord: boolean }[] {
  return entries(value)
    .filter((e) => bool(e._destroy, "_destroy") !== true)
    .map((e) => ({
      keyword: str(e.keyword, "Keyword") ?? "",
      wholeWord: bool(e.whole_word, "Whole word") ?? true,
    }));
}

/** `keywords_attributes` on update: with an id it changes or (with `_destroy`) removes one. */
export function keywordChangesParam(value: unknown): KeywordChange[] {
  return entries(value).map((e) => {
    const id = str(e.id, "Keyword id");
    return {
      id: id === "" ? undefined : id,
      keyword: str(e.keyword, "Keyword"),
      wholeWord: bool(e.whole_word, "Whole word"),
      destroy: bool(e._destroy, "_destroy") === true,
    };
  });
}
