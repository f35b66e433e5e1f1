// Columns of a joined table read under a prefix, for rows that carry two tables whose column
// names clash (a token's account and user; a status and its author), and taken back out.
import { type AliasedRawBuilder, sql } from "kysely";

export interface PrefixedColumns<T> {
  /** `table.column as <prefix>column` for each column, for a `.select()`. */
  selection: AliasedRawBuilder<unknown, string>[];
  /** The columns of a row read with `selection`, back under their own names. */
  take(row: Record<string, unknown>): T;
}

/**
 * The selection and its inverse, for a column list defined once. The prefixed names are
 * built here, not per row: a name concatenated per row is a new string each time, and
 * looking it up costs ~3× a name kept (~2.5 µs per 28-column row, for every status of a
 * home page).
 */
export function prefixedColumns<T>(
  table: string,
  columns: readonly string[],
  prefix: string,
): PrefixedColumns<T> {
  const names = columns.map((c) => `${prefix}${c}`);
  return {
    selection: columns.map((c, i) => sql.ref<unknown>(`${table}.${c}`).as(names[i]!)),
    take(row) {
      const out: Record<string, unknown> = {};
      for (let i = 0; i < columns.length; i++) out[columns[i]!] = row[names[i]!];
      return out as T;
    },
  };
}
