// The v1 filters API over v2 storage, as Mastodon maps it: a v1 filter is one keyword of a
// filter (its id is the keyword's id), `phrase` is the keyword, `irreversible` means the
// filter's action is `hide`. Creating one makes a filter titled by the phrase with that one
// keyword. A v1 client cannot express a filter's other keywords, so changing the shared
// settings of a filter that has several is refused rather than silently applied to all.
import { emitEvent } from "../events/emit.ts";
import { ApiError } from "../http/errors.ts";
import type { Db } from "../infra/db/index.ts";
import type { FilterAction } from "../infra/db/schema.ts";
import type { Services } from "../services.ts";
import { contextList, type FilterContext } from "./match.ts";
import {
  createFilter,
  type FilterPatch,
  type FilterRow,
  findKeyword,
  getFilter,
  type KeywordRow,
  updateFilter,
} from "./service.ts";

export interface V1Filter {
  keyword: KeywordRow;
  filter: FilterRow;
}

export interface V1Input {
  phrase: string;
  context: FilterContext[];
  irreversible: boolean;
  wholeWord: boolean;
  expiresAt: Date | null;
}

export interface V1Patch {
  phrase?: string;
  context?: FilterContext[];
  irreversible?: boolean;
  wholeWord?: boolean;
  expiresAt?: Date | null;
}

/** Every keyword of the account's filters, each seen as one v1 filter. */
export async function listV1Filters(db: Db, accountId: string): Promise<V1Filter[]> {
  const filters = await db
    .selectFrom("custom_filters")
    .selectAll()
    .where("account_id", "=", accountId)
    .execute();
  if (filters.length === 0) return [];
  const byId = new Map(filters.map((f) => [f.id, f]));
  const keywords = await db
    .selectFrom("custom_filter_keywords")
    .selectAll()
    .where("custom_filter_id", "in", [...byId.keys()])
    .orderBy("id")
    .execute();
  return keywords.map((keyword) => ({ keyword, filter: byId.get(keyword.custom_filter_id)! }));
}

export async function getV1Filter(db: Db, accountId: string, id: string): Promise<V1Filter> {
  return findKeyword(db, accountId, id);
}

export async function createV1Filter(
  services: Services,
  accountId: string,
  input: V1Input,
): Promise<V1Filter> {
  const created = await createFilter(services, accountId, {
    title: input.phrase,
    context: input.context,
    action: input.irreversible ? "hide" : "warn",
    expiresAt: input.expiresAt,
    keywords: [{ keyword: input.phrase, wholeWord: input.wholeWord }],
  });
  return { keyword: created.keywords[0]!, filter: created.filter };
}

export async function updateV1Filter(
  services: Services,
  accountId: string,
  id: string,
  input: V1Patch,
): Promise<V1Filter> {
  const { db } = services;
  const { keyword, filter } = await findKeyword(db, accountId, id);
  const patch: FilterPatch = {};
  if (input.context !== undefined && !sameSet(input.context, contextList(filter.context))) {
    patch.context = input.context;
  }
  if (input.irreversible !== undefined) {
    // Turning irreversible off makes a hiding filter warn; a blurring one stays as it is.
    const action: FilterAction = input.irreversible
      ? "hide"
      : filter.action === "hide"
        ? "warn"
        : filter.action;
    if (action !== filter.action) patch.action = action;
  }
  if (
    input.expiresAt !== undefined &&
    (input.expiresAt?.getTime() ?? null) !==
      (filter.expires_at ? new Date(filter.expires_at).getTime() : null)
  ) {
    patch.expiresAt = input.expiresAt;
  }
  if (Object.keys(patch).length > 0) {
    const { keywords } = await getFilter(db, accountId, filter.id);
    if (keywords.length > 1) {
      throw ApiError.unprocessable(
        "Validation failed: this filter has several keywords; edit it with the v2 filters API",
      );
    }
  }
  patch.keywords = [
    { id: keyword.id, keyword: input.phrase, wholeWord: input.wholeWord, destroy: false },
  ];
  const updated = await updateFilter(services, accountId, filter.id, patch);
  return {
    keyword: updated.keywords.find((k) => k.id === keyword.id)!,
    filter: updated.filter,
  };
}

/**
 * Removes the keyword; a filter left with neither keywords nor statuses goes with it, so
 * deleting a v1 filter leaves nothing behind in the v2 list.
 */
export async function deleteV1Filter(services: Services, accountId: string, id: string) {
  const { keyword, filter } = await findKeyword(services.db, accountId, id);
  await services.db.transaction().execute(async (trx) => {
    await trx.deleteFrom("custom_filter_keywords").where("id", "=", keyword.id).execute();
    const keywordsLeft = await trx
      .selectFrom("custom_filter_keywords")
      .select("id")
      .where("custom_filter_id", "=", filter.id)
      .executeTakeFirst();
    const statusesLeft = await trx
      .selectFrom("custom_filter_statuses")
      .select("id")
      .where("custom_filter_id", "=", filter.id)
      .executeTakeFirst();
    if (!keywordsLeft && !statusesLeft) {
      await trx.deleteFrom("custom_filters").where("id", "=", filter.id).execute();
    }
  });
  await emitEvent(services, "filters.changed", { accountId });
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}
