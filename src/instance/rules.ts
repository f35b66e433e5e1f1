// The server rules (Mastodon's Rule): rows of their own so reports can name a rule by an
// id that survives edits and reordering. Deleted rules are kept (soft-deleted) because
// reports already filed still point at them.
import type { Selectable } from "kysely";
import { ApiError } from "../http/errors.ts";
import type { Db } from "../infra/db/index.ts";
import type { RulesTable } from "../infra/db/schema.ts";
import { newId } from "../infra/ids.ts";

export type RuleRow = Selectable<RulesTable>;

export interface RuleEntity {
  id: string;
  text: string;
  hint: string;
}

export const RULE_TEXT_MAX = 300;
export const RULE_HINT_MAX = 2000;

/** The rules in force, in order; undefined when none were ever made through the API. */
export async function activeRules(db: Db): Promise<RuleEntity[] | undefined> {
  const rows = await db
    .selectFrom("rules")
    .select(["id", "text", "hint", "deleted_at"])
    .orderBy("priority", "asc")
    .orderBy("id", "asc")
    .execute();
  if (rows.length === 0) return undefined;
  return rows.filter((r) => r.deleted_at === null).map(serializeRule);
}

export function serializeRule(row: Pick<RuleRow, "id" | "text" | "hint">): RuleEntity {
  return { id: row.id, text: row.text, hint: row.hint };
}

export async function findRule(db: Db, id: string): Promise<RuleRow> {
  if (!/^\d{1,20}$/.test(id)) throw ApiError.notFound();
  const row = await db
    .selectFrom("rules")
    .selectAll()
    .where("id", "=", id)
    .where("deleted_at", "is", null)
    .executeTakeFirst();
  if (!row) throw ApiError.notFound();
  return row;
}

export interface RuleInput {
  text?: string;
  hint?: string;
  priority?: number;
}

/** A new rule; without a priority it goes last. */
export async function createRule(db: Db, input: RuleInput & { text: string }): Promise<RuleRow> {
  let priority = input.priority;
  if (priority === undefined) {
    const last = await db
      .selectFrom("rules")
      .select((eb) => eb.fn.max<number | null>("priority").as("max"))
      .where("deleted_at", "is", null)
      .executeTakeFirst();
    priority = (last?.max ?? -1) + 1;
  }
  return await db
    .insertInto("rules")
    .values({ id: newId(), text: input.text, hint: input.hint ?? "", priority })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function updateRule(db: Db, id: string, input: RuleInput): Promise<RuleRow> {
  await findRule(db, id);
  const changes = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
  return await db
    .updateTable("rules")
    .set({ ...changes, updated_at: new Date() })
    .where("id", "=", id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function deleteRule(db: Db, id: string): Promise<RuleRow> {
  await findRule(db, id);
  return await db
    .updateTable("rules")
    .set({ deleted_at: new Date(), updated_at: new Date() })
    .where("id", "=", id)
    .returningAll()
    .executeTakeFirstOrThrow();
}
