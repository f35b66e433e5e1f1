// Following hashtags. Following creates the tag if nobody has used it yet (so an app can
// follow a tag found by search before the first post); unfollowing an unknown tag is a 404.
import type { AccountRow } from "../auth/middleware.ts";
import { ApiError } from "../http/errors.ts";
import type { PageParams } from "../http/pagination.ts";
import type { Db } from "../infra/db/index.ts";
import { newId } from "../infra/ids.ts";
import { newestFirst, pageConditions, pageDirection } from "../search/paging.ts";
import {
  findOrCreateTags,
  findTag,
  isValidTagName,
  normalizeTagName,
  type TagRow,
} from "./tags.ts";

export async function followTag(db: Db, account: AccountRow, rawName: string): Promise<TagRow> {
  const name = normalizeTagName(rawName);
  if (!isValidTagName(name)) throw ApiError.notFound();
  const [tag] = await findOrCreateTags(db, [name]);
  if (!tag) throw ApiError.notFound();
  await db
    .insertInto("tag_follows")
    .values({ id: newId(), account_id: account.id, tag_id: tag.id })
    .onConflict((oc) => oc.columns(["account_id", "tag_id"]).doNothing())
    .execute();
  return tag;
}

export async function unfollowTag(db: Db, account: AccountRow, rawName: string): Promise<TagRow> {
  const tag = await findTag(db, rawName);
  if (!tag) throw ApiError.notFound();
  await db
    .deleteFrom("tag_follows")
    .where("account_id", "=", account.id)
    .where("tag_id", "=", tag.id)
    .execute();
  return tag;
}

/** A page of the tags `account` follows, newest follow first, with the follow's id as cursor. */
export async function followedTagsPage(
  db: Db,
  account: AccountRow,
  page: PageParams,
): Promise<{ cursor: string; tag: TagRow }[]> {
  const rows = await db
    .selectFrom("tag_follows")
    .innerJoin("tags", "tags.id", "tag_follows.tag_id")
    .select([
      "tag_follows.id as cursor",
      "tags.id",
      "tags.name",
      "tags.display_name",
      "tags.listable",
      "tags.last_status_at",
      "tags.created_at",
    ])
    .where("tag_follows.account_id", "=", account.id)
    .where((eb) => eb.and(pageConditions("tag_follows.id", page)))
    .orderBy("tag_follows.id", pageDirection(page))
    .limit(page.limit)
    .execute();
  return newestFirst(rows, page).map(({ cursor, ...tag }) => ({ cursor, tag }));
}
