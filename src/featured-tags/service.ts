// Hashtags featured on a profile (at most 10, as Mastodon). The counts are not stored: each
// read counts the account's public and unlisted posts (not boosts) with the tag, so they
// are never stale after a post is deleted.
import { sql } from "kysely";
import type { AccountRow } from "../auth/middleware.ts";
import type { Config } from "../config.ts";
import { ApiError } from "../http/errors.ts";
import type { Db } from "../infra/db/index.ts";
import { newId } from "../infra/ids.ts";
import { findOrCreateTags, isValidTagName, normalizeTagName, type TagRow } from "../tags/tags.ts";

export const FEATURED_TAGS_MAX = 10;

export interface FeaturedTagEntity {
  id: string;
  name: string;
  url: string;
  statuses_count: string;
  last_status_at: string | null;
}

interface FeaturedRow {
  id: string;
  name: string;
  statuses_count: string | number;
  last_status_at: Date | string | null;
}

function featuredQuery(db: Db, accountId: string) {
  const usage = sql`(select count(*) from statuses s join status_tags st on st.status_id = s.id
    where s.account_id = featured_tags.account_id and st.tag_id = featured_tags.tag_id
      and s.reblog_of_id is null and s.visibility in ('public', 'unlisted'))`;
  const last = sql`(select max(s.created_at) from statuses s join status_tags st on st.status_id = s.id
    where s.account_id = featured_tags.account_id and st.tag_id = featured_tags.tag_id
      and s.reblog_of_id is null and s.visibility in ('public', 'unlisted'))`;
  return db
    .selectFrom("featured_tags")
    .innerJoin("tags", "tags.id", "featured_tags.tag_id")
    .select([
      "featured_tags.id",
      "tags.display_name as name",
      usage.$castTo<string>().as("statuses_count"),
      last.$castTo<Date | null>().as("last_status_at"),
    ])
    .where("featured_tags.account_id", "=", accountId);
}

export function serializeFeaturedTag(
  config: Pick<Config, "publicUrl">,
  account: Pick<AccountRow, "username" | "domain" | "url">,
  row: FeaturedRow,
): FeaturedTagEntity {
  const profile =
    account.domain === null ? `${config.publicUrl}/@${account.username}` : (account.url ?? "");
  return {
    id: row.id,
    name: row.name,
    url: `${profile}/tagged/${encodeURIComponent(row.name)}`,
    statuses_count: String(row.statuses_count),
    // A date, not a time (Mastodon's format).
    last_status_at: row.last_status_at
      ? new Date(row.last_status_at).toISOString().slice(0, 10)
      : null,
  };
}

export async function listFeaturedTags(
  db: Db,
  config: Pick<Config, "publicUrl">,
  account: AccountRow,
): Promise<FeaturedTagEntity[]> {
  const rows = await featuredQuery(db, account.id).orderBy("featured_tags.id", "asc").execute();
  return rows.map((r) => serializeFeaturedTag(config, account, r));
}

export async function featureTag(
  db: Db,
  config: Pick<Config, "publicUrl">,
  account: AccountRow,
  rawName: unknown,
): Promise<FeaturedTagEntity> {
  const name = typeof rawName === "string" ? normalizeTagName(rawName) : "";
  if (!isValidTagName(name)) {
    throw ApiError.unprocessable("Validation failed: Tag is invalid", {
      name: [{ error: "ERR_INVALID", description: "is invalid" }],
    });
  }
  const [tag] = await findOrCreateTags(db, [name]);
  if (!tag) throw ApiError.unprocessable("Validation failed: Tag is invalid");
  const id = await db.transaction().execute(async (trx) => {
    // Serializes concurrent adds by one account, so the limit holds.
    await trx
      .selectFrom("accounts")
      .select("id")
      .where("id", "=", account.id)
      .forUpdate()
      .execute();
    const existing = await trx
      .selectFrom("featured_tags")
      .select(["id", "tag_id"])
      .where("account_id", "=", account.id)
      .execute();
    if (existing.some((r) => r.tag_id === tag.id)) {
      throw ApiError.unprocessable("Validation failed: Tag has already been taken", {
        tag: [{ error: "ERR_TAKEN", description: "has already been taken" }],
      });
    }
    if (existing.length >= FEATURED_TAGS_MAX) {
      throw ApiError.unprocessable(
        `Validation failed: You cannot feature more than ${FEATURED_TAGS_MAX} hashtags`,
      );
    }
    const newRow = newId();
    await trx
      .insertInto("featured_tags")
      .values({ id: newRow, account_id: account.id, tag_id: tag.id })
      .execute();
    return newRow;
  });
  const row = await featuredQuery(db, account.id)
    .where("featured_tags.id", "=", id)
    .executeTakeFirstOrThrow();
  return serializeFeaturedTag(config, account, row);
}

/** Removes one of the account's featured tags; 404 when it is not theirs. */
export async function unfeatureTag(db: Db, account: AccountRow, id: string): Promise<void> {
  if (!/^\d{1,19}$/.test(id)) throw ApiError.notFound();
  const result = await db
    .deleteFrom("featured_tags")
    .where("id", "=", id)
    .where("account_id", "=", account.id)
    .executeTakeFirst();
  if (Number(result.numDeletedRows) === 0) throw ApiError.notFound();
}

/** Tags the account used recently and has not featured: Mastodon's suggestions (up to 10). */
export async function suggestedTags(db: Db, account: AccountRow): Promise<TagRow[]> {
  const recent = await db
    .selectFrom("status_tags")
    .innerJoin("statuses", "statuses.id", "status_tags.status_id")
    .select(["status_tags.tag_id", (eb) => eb.fn.max("statuses.id").as("last_id")])
    .where("statuses.account_id", "=", account.id)
    .where("statuses.reblog_of_id", "is", null)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom("featured_tags")
            .select(sql.lit(1).as("one"))
            .where("featured_tags.account_id", "=", account.id)
            .whereRef("featured_tags.tag_id", "=", "status_tags.tag_id"),
        ),
      ),
    )
    .groupBy("status_tags.tag_id")
    .orderBy("last_id", "desc")
    .limit(FEATURED_TAGS_MAX)
    .execute();
  if (recent.length === 0) return [];
  const tags = await db
    .selectFrom("tags")
    .selectAll()
    .where(
      "id",
      "in",
      recent.map((r) => r.tag_id),
    )
    .execute();
  const byId = new Map(tags.map((t) => [t.id, t]));
  return recent.flatMap((r) => byId.get(r.tag_id) ?? []);
}
