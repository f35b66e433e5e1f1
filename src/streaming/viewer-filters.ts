// Each viewer's custom filters, applied per connection as Mastodon's streaming server does:
// a `hide` match drops the event, a `warn` match sets `filtered` on the status (and on the
// status a boost carries). Filters are cached per account for a web process's connections
// and dropped on `filters_changed` (src/streaming/hub.ts); expiry is checked at match time,
// and the cache is refreshed every few minutes in case a change event was missed.
import {
  type CompiledFilter,
  type FilterContext,
  filterableOf,
  isHidden,
  loadActiveFilters,
  matchFilters,
} from "../filters/match.ts";
import type { Db } from "../infra/db/index.ts";
import type { MastodonStatus } from "../statuses/serializer.ts";

const MAX_AGE_MS = 5 * 60_000;

export class ViewerFilters {
  readonly #db: Db;
  readonly #cache = new Map<string, { at: number; filters: Promise<CompiledFilter[]> }>();

  constructor(db: Db) {
    this.#db = db;
  }

  /** The account's active filters; one query the first time, then from memory. */
  get(accountId: string): Promise<CompiledFilter[]> {
    const cached = this.#cache.get(accountId);
    if (cached && Date.now() - cached.at < MAX_AGE_MS) return cached.filters;
    const filters = loadActiveFilters(this.#db, accountId).catch(() => {
      // A failed load is retried next time rather than cached.
      this.#cache.delete(accountId);
      return [];
    });
    this.#cache.set(accountId, { at: Date.now(), filters });
    return filters;
  }

  /**
   * The filters of many accounts: one query finds which of those not cached have any
   * filters at all (most have none), and only those are loaded one by one.
   */
  async getMany(accountIds: string[]): Promise<Map<string, CompiledFilter[]>> {
    const now = Date.now();
    const ids = [...new Set(accountIds)];
    const stale = ids.filter((id) => {
      const cached = this.#cache.get(id);
      return !cached || now - cached.at >= MAX_AGE_MS;
    });
    if (stale.length > 1) {
      try {
        const having = new Set<string>();
        for (let i = 0; i < stale.length; i += 1000) {
          const rows = await this.#db
            .selectFrom("custom_filters")
            .select("account_id")
            .distinct()
            .where("account_id", "in", stale.slice(i, i + 1000))
            .where((eb) => eb.or([eb("expires_at", "is", null), eb("expires_at", ">", new Date())]))
            .execute();
          for (const r of rows) having.add(String(r.account_id));
        }
        for (const id of stale) {
          if (!having.has(id)) this.#cache.set(id, { at: now, filters: Promise.resolve([]) });
        }
      } catch {
        // Fall back to loading each account's filters below.
      }
    }
    const loaded = await Promise.all(ids.map((id) => this.get(id)));
    return new Map(ids.map((id, i) => [id, loaded[i] ?? []]));
  }

  forget(accountId: string): void {
    this.#cache.delete(accountId);
  }
}

type Entity = MastodonStatus & { account: { id: string } };

/**
 * `payload` as `viewerId` may receive it: undefined when a `hide` filter drops it, the
 * same string when nothing matched. `path` says where the status is ("" = the payload is
 * the status; "status" = a notification's status). The viewer's own statuses are never
 * filtered, as in Mastodon. `parse` memoizes JSON.parse across viewers of one message.
 */
export function filterPayload(
  payload: string,
  path: "" | "status",
  filters: readonly CompiledFilter[],
  context: FilterContext,
  viewerId: string,
  parse: (payload: string) => unknown,
): string | undefined {
  if (filters.length === 0) return payload;
  const root = parse(payload) as Record<string, unknown> | null;
  const status = (path === "" ? root : root?.[path]) as Entity | null | undefined;
  if (!status || typeof status !== "object" || !("content" in status)) return payload;
  if (status.account?.id === viewerId) return payload;
  const results = matchFilters(filters, context, filterableOf(status));
  if (results.length === 0) return payload;
  if (isHidden(results)) return undefined;
  const filtered: Entity = { ...status, filtered: results };
  if (status.reblog) filtered.reblog = { ...status.reblog, filtered: results };
  return JSON.stringify(path === "" ? filtered : { ...root, [path]: filtered });
}
