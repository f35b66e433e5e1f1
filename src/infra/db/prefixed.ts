// Columns of a joined table read under a prefix, for rows that carry two tables whose column
// names clash (a token's account and user; a status and its author), and taken back out.
import { sql } from "kysely";

/** `table.column as <prefix>column` for each column, for a `.select()`. */
export function prefixedColumns(table: string, columns: readonly string[], prefix: string) {
  return columns.map((c) => sql.ref<unknown>(`${table}.${c}`).as(`${prefix}${c}`));
}

/** The columns read with prefixedColumns, back under their own names. */
export function unprefixed<T>(
  row: Record<string, unknown>,
  columns: readonly string[],
  prefix: string,
): T {
  const out: Record<string, unknown> = {};
  for (const c of columns) out[c] = row[`${prefix}${c}`];
  return out as T;
}
