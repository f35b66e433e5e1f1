// Custom filters: reading and writing an account's filters with their keywords and statuses.
// Every lookup is scoped to the owner, so someone else's filter (or keyword, or status
// entry) is simply not found: a 404, never a 403. Each write is one transaction, followed
// by a `filters.changed` event so open streams can reload the account's filters.
import type { Selectable } from "kysely";
import { emitEvent } from "../events/emit.ts";
import { ApiError } from "../http/errors.ts";
import type { Db } from "../infra/db/index.ts";
import type {
  CustomFilterKeywordsTable,
  CustomFilterStatusesTable,
  CustomFiltersTable,
  FilterAction,
} from "../infra/db/schema.ts";
import { newId } from "../infra/ids.ts";
import type { Services } from "../services.ts";
import { canView } from "../statuses/visibility.ts";
import type { FilterContext } from "./match.ts";

export type FilterRow = Selectable<CustomFiltersTable>;
export type KeywordRow = Selectable<CustomFilterKeywordsTable>;
export type FilterStatusRow = Selectable<CustomFilterStatusesTable>;

export interface FilterWithRules {
  filter: FilterRow;
  keywords: KeywordRow[];
  statuses: FilterStatusRow[];
}

export interface KeywordInput {
  keyword: string;
  wholeWord: boolean;
}

/** One entry of `keywords_attributes` on update: add (no id), change, or remove (`destroy`). */
export interface KeywordChange {
  id?: string;
  keyword?: string;
  wholeWord?: boolean;
  destroy: boolean;
}

export interface FilterInput {
  title: string;
  context: FilterContext[];
  action: FilterAction;
  expiresAt: Date | null;
  keywords: KeywordInput[];
}

/** Absent fields stay as they are; `expiresAt: null` removes the expiry. */
export interface FilterPatch {
  title?: string;
  context?: FilterContext[];
  action?: FilterAction;
  expiresAt?: Date | null;
  keywords?: KeywordChange[];
}

// Mastodon's own limits (CustomFilter::TITLE_LENGTH_LIMIT, CustomFilterKeyword's).
export const TITLE_LIMIT = 256;
export const KEYWORD_LIMIT = 512;

const ID = /^\d{1,20}$/;

function checkTitle(title: string): void {
  if (title.trim() === "") throw ApiError.unprocessable("Validation failed: Title can't be blank");
  if ([...title].length > TITLE_LIMIT)
    throw ApiError.unprocessable(`Validation failed: Title is too long (at most ${TITLE_LIMIT})`);
}

function checkContext(context: FilterContext[]): void {
  if (context.length === 0)
    throw ApiError.unprocessable("Validation failed: Context can't be blank");
}

function checkKeyword(keyword: string): void {
  if (keyword.trim() === "")
    throw ApiError.unprocessable("Validation failed: Keyword can't be blank");
  if ([...keyword].length > KEYWORD_LIMIT)
    throw ApiError.unprocessable(
      `Validation failed: Keyword is too long (at most ${KEYWORD_LIMIT})`,
    );
}

async function changed(services: Services, accountId: string): Promise<void> {
  await emitEvent(services, "filters.changed", { accountId });
}

/** The account's filters (expired ones too: they are still the owner's to edit), by id. */
export async function listFilters(db: Db, accountId: string): Promise<FilterWithRules[]> {
  const filters = await db
    .selectFrom("custom_filters")
    .selectAll()
    .where("account_id", "=", accountId)
    .orderBy("id")
    .execute();
  return withRules(db, filters);
}

async function withRules(db: Db, filters: FilterRow[]): Promise<FilterWithRules[]> {
  if (filters.length === 0) return [];
  const ids = filters.map((f) => f.id);
  const [keywords, statuses] = await Promise.all([
    db
      .selectFrom("custom_filter_keywords")
      .selectAll()
      .where("custom_filter_id", "in", ids)
      .orderBy("id")
      .execute(),
    db
      .selectFrom("custom_filter_statuses")
      .selectAll()
      .where("custom_filter_id", "in", ids)
      .orderBy("id")
      .execute(),
  ]);
  return filters.map((filter) => ({
    filter,
    keywords: keywords.filter((k) => k.custom_filter_id === filter.id),
    statuses: statuses.filter((s) => s.custom_filter_id === filter.id),
  }));
}

/** The account's filter row, or a 404. */
export async function findFilterRow(db: Db, accountId: string, id: string): Promise<FilterRow> {
  if (!ID.test(id)) throw ApiError.notFound();
  const row = await db
    .selectFrom("custom_filters")
    .selectAll()
    .where("id", "=", id)
    .where("account_id", "=", accountId)
    .executeTakeFirst();
  if (!row) throw ApiError.notFound();
  return row;
}

export async function getFilter(db: Db, accountId: string, id: string): Promise<FilterWithRules> {
  const [found] = await withRules(db, [await findFilterRow(db, accountId, id)]);
  return found!;
}

export async function createFilter(
  services: Services,
  accountId: string,
  input: FilterInput,
): Promise<FilterWithRules> {
  checkTitle(input.title);
  checkContext(input.context);
  for (const k of input.keywords) checkKeyword(k.keyword);
  const id = newId();
  await services.db.transaction().execute(async (trx) => {
    await trx
      .insertInto("custom_filters")
      .values({
        id,
        account_id: accountId,
        title: input.title,
        context: JSON.stringify(input.context),
        action: input.action,
        expires_at: input.expiresAt,
      })
      .execute();
    if (input.keywords.length) {
      await trx
        .insertInto("custom_filter_keywords")
        .values(
          input.keywords.map((k) => ({
            id: newId(),
            custom_filter_id: id,
            keyword: k.keyword,
            whole_word: k.wholeWord,
          })),
        )
        .execute();
    }
  });
  await changed(services, accountId);
  return getFilter(services.db, accountId, id);
}

export async function updateFilter(
  services: Services,
  accountId: string,
  id: string,
  patch: FilterPatch,
): Promise<FilterWithRules> {
  await findFilterRow(services.db, accountId, id);
  if (patch.title !== undefined) checkTitle(patch.title);
  if (patch.context !== undefined) checkContext(patch.context);
  for (const k of patch.keywords ?? []) {
    if (!k.destroy && (k.keyword !== undefined || k.id === undefined))
      checkKeyword(k.keyword ?? "");
  }
  await services.db.transaction().execute(async (trx) => {
    await trx
      .updateTable("custom_filters")
      .set({
        ...(patch.title !== undefined ? { title: patch.title } : {}),
        ...(patch.context !== undefined ? { context: JSON.stringify(patch.context) } : {}),
        ...(patch.action !== undefined ? { action: patch.action } : {}),
        ...(patch.expiresAt !== undefined ? { expires_at: patch.expiresAt } : {}),
        updated_at: new Date(),
      })
      .where("id", "=", id)
      .execute();
    for (const change of patch.keywords ?? []) {
      if (change.id === undefined) {
        // Rails ignores `_destroy` on a record that doesn't exist yet.
        if (change.destroy) continue;
        await trx
          .insertInto("custom_filter_keywords")
          .values({
            id: newId(),
            custom_filter_id: id,
            keyword: change.keyword!,
            whole_word: change.wholeWord ?? true,
          })
          .execute();
        continue;
      }
      // A keyword id from another filter is not this filter's: Rails answers 404 for that.
      const existing = ID.test(change.id)
        ? await trx
            .selectFrom("custom_filter_keywords")
            .select("id")
            .where("id", "=", change.id)
            .where("custom_filter_id", "=", id)
            .executeTakeFirst()
        : undefined;
      if (!existing) throw ApiError.notFound();
      if (change.destroy) {
        await trx.deleteFrom("custom_filter_keywords").where("id", "=", change.id).execute();
      } else {
        await trx
          .updateTable("custom_filter_keywords")
          .set({
            ...(change.keyword !== undefined ? { keyword: change.keyword } : {}),
            ...(change.wholeWord !== undefined ? { whole_word: change.wholeWord } : {}),
            updated_at: new Date(),
          })
          .where("id", "=", change.id)
          .execute();
      }
    }
  });
  await changed(services, accountId);
  return getFilter(services.db, accountId, id);
}

export async function deleteFilter(services: Services, accountId: string, id: string) {
  await findFilterRow(services.db, accountId, id);
  await services.db.deleteFrom("custom_filters").where("id", "=", id).execute();
  await changed(services, accountId);
}

// -- keywords --

export async function listKeywords(db: Db, accountId: string, filterId: string) {
  await findFilterRow(db, accountId, filterId);
  return db
    .selectFrom("custom_filter_keywords")
    .selectAll()
    .where("custom_filter_id", "=", filterId)
    .orderBy("id")
    .execute();
}

/** The keyword and its filter, when the filter is the account's; else a 404. */
export async function findKeyword(
  db: Db,
  accountId: string,
  keywordId: string,
): Promise<{ keyword: KeywordRow; filter: FilterRow }> {
  if (!ID.test(keywordId)) throw ApiError.notFound();
  const keyword = await db
    .selectFrom("custom_filter_keywords")
    .selectAll()
    .where("id", "=", keywordId)
    .executeTakeFirst();
  if (!keyword) throw ApiError.notFound();
  const filter = await findFilterRow(db, accountId, keyword.custom_filter_id);
  return { keyword, filter };
}

export async function addKeyword(
  services: Services,
  accountId: string,
  filterId: string,
  input: KeywordInput,
): Promise<KeywordRow> {
  await findFilterRow(services.db, accountId, filterId);
  checkKeyword(input.keyword);
  const row = await services.db
    .insertInto("custom_filter_keywords")
    .values({
      id: newId(),
      custom_filter_id: filterId,
      keyword: input.keyword,
      whole_word: input.wholeWord,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await changed(services, accountId);
  return row;
}

export async function updateKeyword(
  services: Services,
  accountId: string,
  keywordId: string,
  input: { keyword?: string; wholeWord?: boolean },
): Promise<KeywordRow> {
  await findKeyword(services.db, accountId, keywordId);
  if (input.keyword !== undefined) checkKeyword(input.keyword);
  const row = await services.db
    .updateTable("custom_filter_keywords")
    .set({
      ...(input.keyword !== undefined ? { keyword: input.keyword } : {}),
      ...(input.wholeWord !== undefined ? { whole_word: input.wholeWord } : {}),
      updated_at: new Date(),
    })
    .where("id", "=", keywordId)
    .returningAll()
    .executeTakeFirstOrThrow();
  await changed(services, accountId);
  return row;
}

export async function deleteKeyword(services: Services, accountId: string, keywordId: string) {
  await findKeyword(services.db, accountId, keywordId);
  await services.db.deleteFrom("custom_filter_keywords").where("id", "=", keywordId).execute();
  await changed(services, accountId);
}

// -- statuses --

export async function listFilterStatuses(db: Db, accountId: string, filterId: string) {
  await findFilterRow(db, accountId, filterId);
  return db
    .selectFrom("custom_filter_statuses")
    .selectAll()
    .where("custom_filter_id", "=", filterId)
    .orderBy("id")
    .execute();
}

export async function findFilterStatus(
  db: Db,
  accountId: string,
  id: string,
): Promise<FilterStatusRow> {
  if (!ID.test(id)) throw ApiError.notFound();
  const row = await db
    .selectFrom("custom_filter_statuses")
    .selectAll()
    .where("id", "=", id)
    .executeTakeFirst();
  if (!row) throw ApiError.notFound();
  await findFilterRow(db, accountId, row.custom_filter_id);
  return row;
}

/** Adds a status the account can see to the filter; a status already there is a 422. */
export async function addFilterStatus(
  services: Services,
  accountId: string,
  filterId: string,
  statusId: string,
): Promise<FilterStatusRow> {
  const { db } = services;
  await findFilterRow(db, accountId, filterId);
  if (!ID.test(statusId) || !(await canView(db, accountId, statusId))) throw ApiError.notFound();
  const row = await db
    .insertInto("custom_filter_statuses")
    .values({ id: newId(), custom_filter_id: filterId, status_id: statusId })
    .onConflict((oc) => oc.columns(["custom_filter_id", "status_id"]).doNothing())
    .returningAll()
    .executeTakeFirst();
  if (!row) throw ApiError.unprocessable("Validation failed: Status has already been taken");
  await changed(services, accountId);
  return row;
}

export async function deleteFilterStatus(services: Services, accountId: string, id: string) {
  await findFilterStatus(services.db, accountId, id);
  await services.db.deleteFrom("custom_filter_statuses").where("id", "=", id).execute();
  await changed(services, accountId);
}
