// Mastodon's list paging: `max_id` (older than), `since_id` (newer than, newest first),
// `min_id` (newer than, oldest first: what apps use to catch up), `limit` (default 20,
// max 40), and a Link header with `next` (older) and `prev` (newer) URLs.
import type { Context } from "hono";
import { ApiError } from "./errors.ts";

export interface PageParams {
  maxId?: string;
  sinceId?: string;
  minId?: string;
  limit: number;
}

const ID = /^\d{1,20}$/;
/** The largest id PostgreSQL's bigint holds; a larger cursor means the same as this one. */
const MAX_ID = 9_223_372_036_854_775_807n;

export function pageParams(
  c: Context,
  options: { defaultLimit?: number; maxLimit?: number } = {},
): PageParams {
  const q = (name: string) => c.req.query(name) || undefined;
  const id = (name: string) => {
    const v = q(name);
    if (v === undefined) return undefined;
    // Ids are numeric; anything else can't match a row, so it is treated as absent
    // rather than refused (some apps send empty or odd cursors).
    if (!ID.test(v)) return undefined;
    return BigInt(v) > MAX_ID ? MAX_ID.toString() : v;
  };
  const defaultLimit = options.defaultLimit ?? 20;
  const maxLimit = options.maxLimit ?? 40;
  const raw = q("limit");
  let limit = defaultLimit;
  if (raw !== undefined) {
    const n = Number.parseInt(raw, 10);
    if (!Number.isFinite(n)) throw ApiError.badRequest("limit must be a number");
    limit = Math.min(Math.max(n, 1), maxLimit);
  }
  return { maxId: id("max_id"), sinceId: id("since_id"), minId: id("min_id"), limit };
}

/**
 * Sets the Link header for a page of items ordered newest first, given the cursor of the
 * first and last item (usually their ids; for notifications and relations the row id).
 */
export function setLinkHeader(
  c: Context,
  cursors: { newest?: string; oldest?: string },
  publicUrl: string,
): void {
  if (!cursors.newest || !cursors.oldest) return;
  const url = new URL(c.req.path, publicUrl);
  const base = new URLSearchParams();
  // Keep the filters (types[], only_media, ...) but not the old cursors.
  for (const [k, v] of new URL(c.req.url).searchParams) {
    if (!["max_id", "since_id", "min_id"].includes(k)) base.append(k, v);
  }
  const next = new URLSearchParams(base);
  next.set("max_id", cursors.oldest);
  const prev = new URLSearchParams(base);
  prev.set("min_id", cursors.newest);
  c.header("Link", `<${url}?${next}>; rel="next", <${url}?${prev}>; rel="prev"`);
}
