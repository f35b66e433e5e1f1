// Named prepared statements for the hottest reads (the home timeline and the serializer's
// lookups). PostgreSQL plans an unnamed statement again on every execution; for the home
// timeline query that planning cost ~10 ms against 0.6 ms of execution (docs/benchmarks.md).
// A named statement is parsed once per connection and, once PostgreSQL judges its generic
// plan good enough (plan_cache_mode = auto), is executed without planning at all.
//
// A query opts in by carrying PREPARE_MARKER right after its `select` keyword
// (`.modifyFront(prepared)`), so the set of prepared texts is fixed by the code: a marked
// query must not vary its text with its input (use `= any($1)` arrays rather than `in` lists).
// The marker is a plain SQL comment, so PGlite (embedded) and logs simply ignore it.
import { createHash } from "node:crypto";
import {
  type PostgresPool,
  type PostgresPoolClient,
  type RawBuilder,
  type SqlBool,
  sql,
} from "kysely";
import type pg from "pg";

export const PREPARE_MARKER = "/* roost:prepare */";

/** For `.modifyFront(prepared)`: asks the PostgreSQL driver to prepare this statement. */
export const prepared = sql.raw(PREPARE_MARKER);

/** A defensive bound: marked texts are few by construction; past this, run them unnamed. */
const MAX_NAMES = 500;
const names = new Map<string, string>();

/**
 * The statement name of a marked text (stable across connections and processes), or
 * undefined for a text that is to run unnamed.
 */
export function statementName(text: string): string | undefined {
  if (!text.includes(PREPARE_MARKER)) return undefined;
  let name = names.get(text);
  if (name === undefined) {
    if (names.size >= MAX_NAMES) return undefined;
    name = `roost_${createHash("sha1").update(text).digest("hex").slice(0, 24)}`;
    names.set(text, name);
  }
  return name;
}

/**
 * Wraps a `pg` pool for Kysely's PostgresDialect so that marked statements run as named
 * (prepared) statements. Each pooled client keeps one wrapper: Kysely keys its connection
 * objects by client.
 */
export function preparingPool(pool: pg.Pool): PostgresPool {
  const wrappers = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  const wrap = (client: pg.PoolClient): PostgresPoolClient => {
    // Everything else (other statements, cursors) goes to the client unchanged.
    const plain = client.query.bind(client) as (text: unknown, values?: unknown) => unknown;
    // Statements this connection must no longer run by name (see below).
    const stale = new Set<string>();
    const query = (text: unknown, values?: ReadonlyArray<unknown>) => {
      const name = typeof text === "string" ? statementName(text) : undefined;
      if (name === undefined || stale.has(name)) return plain(text, values);
      return client
        .query({ name, text: text as string, values: values as unknown[] })
        .catch((error: { code?: string }) => {
          // A migration changed the columns of a `select *` while this process kept the
          // statement (a rolling deploy): PostgreSQL refuses the old statement ("cached plan
          // must not change result type"). Run it unnamed on this connection from now on.
          if (error.code !== "0A000") throw error;
          stale.add(name);
          return plain(text, values);
        });
    };
    return {
      query: query as PostgresPoolClient["query"],
      release: () => client.release(),
    };
  };
  return {
    async connect() {
      const client = await pool.connect();
      let wrapper = wrappers.get(client);
      if (!wrapper) {
        wrapper = wrap(client);
        wrappers.set(client, wrapper);
      }
      return wrapper;
    },
    end: () => pool.end(),
  };
}

/**
 * `column = any($n::bigint[])`: one parameter whatever the number of ids, so a prepared
 * statement's text stays the same for every page (an `in` list would change it).
 */
export function idIn(column: string, ids: readonly string[]): RawBuilder<SqlBool> {
  return sql<SqlBool>`${sql.ref(column)} = any(${ids}::bigint[])`;
}
