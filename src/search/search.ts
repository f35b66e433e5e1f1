// GET /api/v2/search: accounts by handle and name prefix, statuses by PostgreSQL full text
// (only what the viewer may see), hashtags by prefix. Which kinds a query searches follows
// Mastodon: `#tag` searches only hashtags, `@user`/`user@domain` only accounts, and an
// http(s) URL is looked up (and, with `resolve`, fetched) rather than searched as words.
import { type Expression, type ExpressionBuilder, type SqlBool, sql } from "kysely";
import { findAccountByHandle } from "../accounts/resolve.ts";
import type { AccountRow } from "../auth/middleware.ts";
import type { Db } from "../infra/db/index.ts";
import type { Database } from "../infra/db/schema.ts";
import type { Services } from "../services.ts";
import type { StatusRow } from "../statuses/serializer.ts";
import { blockBetween, notLimitedFor, visibleTo } from "../statuses/visibility.ts";
import { findOrCreateTags, isValidTagName, normalizeTagName, type TagRow } from "../tags/tags.ts";
import { resolveUrl } from "./resolve-url.ts";

export type SearchType = "accounts" | "statuses" | "hashtags";

export interface SearchOptions {
  q: string;
  /** Undefined searches every kind; an unknown type string searches none (as Mastodon). */
  type?: string;
  resolve: boolean;
  following: boolean;
  accountId?: string;
  maxId?: string;
  minId?: string;
  offset: number;
  limit: number;
}

export interface SearchResults {
  accounts: AccountRow[];
  statuses: StatusRow[];
  hashtags: TagRow[];
}

const HANDLE = /^@?([\p{L}\p{N}_.-]+)(?:@([\p{L}\p{N}.-]+(?::\d+)?))?$/u;

export async function search(
  services: Services,
  viewer: AccountRow | null,
  options: SearchOptions,
): Promise<SearchResults> {
  const results: SearchResults = { accounts: [], statuses: [], hashtags: [] };
  const q = options.q.trim();
  if (q === "") return results;
  const wants = (t: SearchType) => options.type === undefined || options.type === t;

  if (/^https?:\/\//i.test(q)) {
    if (options.offset > 0) return results;
    const found = await lookupUrl(services, viewer, q, options.resolve);
    if (found && "account" in found && wants("accounts")) results.accounts = [found.account];
    if (found && "status" in found && wants("statuses")) results.statuses = [found.status];
    return results;
  }

  const hashtagOnly = q.startsWith("#");
  const handleLike = q.includes("@") && !q.includes(" ");
  if (wants("accounts") && !hashtagOnly) {
    results.accounts = await searchAccounts(services, viewer, q, options);
  }
  if (wants("hashtags") && !q.includes("@")) {
    results.hashtags = await searchHashtags(services.db, viewer, q, options);
  }
  if (wants("statuses") && viewer && !hashtagOnly && !handleLike) {
    results.statuses = await searchStatuses(services.db, viewer, q, options);
  }
  return results;
}

/** `%` and `_` are LIKE wildcards; a search for `a_b` means those three characters. */
function likePrefix(term: string): string {
  return `${term.toLowerCase().replace(/[\\%_]/g, "\\$&")}%`;
}

export async function searchAccounts(
  services: Services,
  viewer: AccountRow | null,
  rawQuery: string,
  options: Pick<SearchOptions, "resolve" | "following" | "offset" | "limit">,
): Promise<AccountRow[]> {
  const { db } = services;
  const q = rawQuery.trim().replace(/^@/, "");
  const handle = HANDLE.exec(q);
  const username = handle ? handle[1]! : q;
  const domain = handle?.[2] ?? null;
  const localDomain =
    domain !== null && domain.toLowerCase() === services.config.domain.toLowerCase();

  // An exact `user@domain` comes first; with resolve it may be fetched from its server.
  let exact: AccountRow | undefined;
  if (handle && domain && options.offset === 0) {
    exact = await findAccountByHandle(services, username, domain, {
      resolve: options.resolve && viewer !== null,
    });
  }

  let query = db
    .selectFrom("accounts")
    .selectAll("accounts")
    .where("accounts.suspended_at", "is", null)
    .where("accounts.moved_to_account_id", "is", null);
  if (domain && !localDomain) {
    query = query
      .where(sql<string>`lower(accounts.username)`, "like", likePrefix(username))
      .where(sql<string>`lower(accounts.domain)`, "like", likePrefix(domain));
  } else {
    const term = domain ? username : q;
    query = query.where((eb) =>
      eb.or([
        eb(sql<string>`lower(accounts.username)`, "like", likePrefix(term)),
        eb(sql<string>`lower(accounts.display_name)`, "like", likePrefix(term)),
        // A later word of the display name: "smith" finds "Alice Smith".
        eb(sql<string>`lower(accounts.display_name)`, "like", `% ${likePrefix(term)}`),
      ]),
    );
    if (localDomain) query = query.where("accounts.domain", "is", null);
  }
  if (viewer) {
    const v = viewer.id;
    query = query.where((eb) => eb.not(blockBetween(v, "accounts.id")));
    if (options.following) {
      query = query.where(({ exists, selectFrom }) =>
        exists(
          selectFrom("follows")
            .select(sql.lit(1).as("one"))
            .where("follows.account_id", "=", v)
            .whereRef("follows.target_account_id", "=", "accounts.id"),
        ),
      );
    }
  }
  const rows = await query
    // Exact usernames first, then local accounts, then the most followed.
    .orderBy(sql`lower(accounts.username) = ${username.toLowerCase()}`, "desc")
    .orderBy(sql`accounts.domain is null`, "desc")
    .orderBy("accounts.followers_count", "desc")
    .orderBy("accounts.id", "asc")
    .offset(options.offset)
    .limit(options.limit)
    .execute();

  if (!exact || exact.suspended_at) return rows;
  if (rows.some((r) => r.id === exact.id)) {
    return [exact, ...rows.filter((r) => r.id !== exact.id)];
  }
  // The exact match may be filtered (blocked, not followed): only add it when the list query
  // would have allowed it, which for a freshly resolved account means no relation checks fail.
  if (viewer && (options.following || (await blockedEitherWay(db, viewer.id, exact.id)))) {
    return rows;
  }
  return [exact, ...rows].slice(0, options.limit);
}

async function blockedEitherWay(db: Db, a: string, b: string): Promise<boolean> {
  const row = await db
    .selectFrom("blocks")
    .select("id")
    .where((eb) =>
      eb.or([
        eb.and([eb("account_id", "=", a), eb("target_account_id", "=", b)]),
        eb.and([eb("account_id", "=", b), eb("target_account_id", "=", a)]),
      ]),
    )
    .executeTakeFirst();
  return row !== undefined;
}

export async function searchStatuses(
  db: Db,
  viewer: AccountRow,
  q: string,
  options: Pick<SearchOptions, "accountId" | "maxId" | "minId" | "offset" | "limit">,
): Promise<StatusRow[]> {
  let query = db
    .selectFrom("statuses")
    .innerJoin("accounts", "accounts.id", "statuses.account_id")
    .selectAll("statuses")
    // Written exactly as the GIN index statuses_search_idx, with constants inline, so the
    // planner can use it.
    .where(
      sql<SqlBool>`to_tsvector('simple', regexp_replace(statuses.content, '<[^>]*>', ' ', 'g')) @@ plainto_tsquery('simple', ${q})`,
    )
    .where("statuses.reblog_of_id", "is", null)
    .where("accounts.suspended_at", "is", null)
    .where(visibleTo(viewer.id))
    .where(notLimitedFor(viewer.id));
  if (options.accountId) query = query.where("statuses.account_id", "=", options.accountId);
  if (options.maxId) query = query.where("statuses.id", "<", options.maxId);
  if (options.minId) query = query.where("statuses.id", ">", options.minId);
  return await query
    .orderBy("statuses.id", "desc")
    .offset(options.offset)
    .limit(options.limit)
    .execute();
}

export async function searchHashtags(
  db: Db,
  viewer: AccountRow | null,
  rawQuery: string,
  options: Pick<SearchOptions, "offset" | "limit">,
): Promise<TagRow[]> {
  const name = normalizeTagName(rawQuery);
  if (!/^[\p{L}\p{M}\p{N}_]+$/u.test(name)) return [];
  const rows = await db
    .selectFrom("tags")
    .selectAll()
    .where(sql<string>`lower(name)`, "like", likePrefix(name))
    .where("listable", "=", true)
    .orderBy(sql`lower(name) = ${name.toLowerCase()}`, "desc")
    .orderBy(sql`length(name)`, "asc")
    .orderBy("name", "asc")
    .offset(options.offset)
    .limit(options.limit)
    .execute();
  // As Mastodon: a signed-in user searching a valid name nobody has used yet gets the tag,
  // so it can be followed or featured before its first post.
  const hasExact = rows.some((r) => r.name.toLowerCase() === name.toLowerCase());
  if (!hasExact && viewer && options.offset === 0 && isValidTagName(name)) {
    const [created] = await findOrCreateTags(db, [name]);
    if (created?.listable) return [created, ...rows].slice(0, options.limit);
  }
  return rows;
}

/** A URL: a stored account or a status the viewer may see; with resolve, fetched (federation). */
async function lookupUrl(
  services: Services,
  viewer: AccountRow | null,
  url: string,
  resolve: boolean,
): Promise<{ account: AccountRow } | { status: StatusRow } | undefined> {
  const { db } = services;
  const account = await db
    .selectFrom("accounts")
    .selectAll()
    .where((eb) => eb.or([eb("uri", "=", url), eb("url", "=", url)]))
    .where("suspended_at", "is", null)
    .executeTakeFirst();
  if (account) return { account };
  const status = await findVisibleStatus(db, viewer, (eb) =>
    eb.or([eb("statuses.uri", "=", url), eb("statuses.url", "=", url)]),
  );
  if (status) return { status };
  if (!resolve || !viewer) return undefined;
  const resolved = await resolveUrl(services, url);
  if (!resolved) return undefined;
  if ("account" in resolved) return resolved.account.suspended_at ? undefined : resolved;
  const visible = await findVisibleStatus(db, viewer, (eb) =>
    eb("statuses.id", "=", resolved.status.id),
  );
  return visible ? { status: visible } : undefined;
}

async function findVisibleStatus(
  db: Db,
  viewer: AccountRow | null,
  match: (eb: ExpressionBuilder<Database, "statuses" | "accounts">) => Expression<SqlBool>,
): Promise<StatusRow | undefined> {
  return await db
    .selectFrom("statuses")
    .innerJoin("accounts", "accounts.id", "statuses.account_id")
    .selectAll("statuses")
    .where(match)
    .where("statuses.reblog_of_id", "is", null)
    .where("accounts.suspended_at", "is", null)
    .where(visibleTo(viewer?.id ?? null))
    .executeTakeFirst();
}
