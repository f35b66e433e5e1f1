// Columns of a joined table read under a prefix, for rows that carry two tables whose column
// names clash (a token's account and user; a status and its author), and taken back out.
import { sql } from "kysely";

/** `table.column as <prefix>column` for each column, for a `.select()`. */
export function prefixedColumns(table: string, columns: readonly string[], prefix: string) {
  return columns.map((c) => sql.ref<unknown>(`${table}.${c}`).as(`${prefix}${c}`));
}

// The prefixed names, built once per column list and prefix: a name concatenated per row is
// a new string each time, and looking it up costs ~3× a name kept (~2.5 µs per 28-column row;
// this runs for every status of a home page).
const prefixedNames = new WeakMap<readonly string[], Map<string, string[]>>();

function namesFor(columns: readonly string[], prefix: string): string[] {
  let byPrefix = prefixedNames.get(columns);
  if (!byPrefix) {
    byPrefix = new Map();
    prefixedNames.set(columns, byPrefix);
  }
  let names = byPrefix.get(prefix);
  if (!names) {
    names = columns.map((c) => `${prefix}${c}`);
    byPrefix.set(prefix, names);
  }
  return names;
}

/** The columns read with prefixedColumns, back under their own names. */
export function unprefixed<T>(
  row: Record<string, unknown>,
  columns: readonly string[],
  prefix: string,
): T {
  const names = namesFor(columns, prefix);
  const out: Record<string, unknown> = {};
  for (let i = 0; i < columns.length; i++) out[columns[i]!] = row[names[i]!];
  return out as T;
}
