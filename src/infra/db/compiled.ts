// Queries built and compiled once. Kysely builds a query's tree and compiles it to SQL on
// every call, about a quarter of a millisecond of each home page for its hottest statements
// (docs/benchmarks.md). A query wrapped here is built once per shape, with placeholders in
// place of its inputs; each call then only puts its inputs where the placeholders sit in the
// parameter list and runs the same SQL text (which also keeps a prepared statement's name
// lookup cheap: ./prepared.ts).
//
// The builder may branch on whether an input is given (undefined, null and "" count as not
// given; each combination is its own shape), never on an input's value, and must not bake in
// anything that changes between calls: a Date computed while building would be frozen into
// every later call, so it is refused (write `now()` in SQL instead).
import type { Compilable, CompiledQuery } from "kysely";
import type { Db } from "./index.ts";

/** Stands for an input while the query is built. */
class Placeholder {
  readonly key: string;
  constructor(key: string) {
    this.key = key;
  }
}

const given = (value: unknown) => value !== undefined && value !== null && value !== "";

/**
 * Wraps `build` so that its query is built and compiled once per database handle and shape.
 * `build` receives placeholders for the inputs given and undefined for the others.
 */
export function compiledOnce<I extends object, R>(build: (db: Db, input: I) => Compilable<R>) {
  const cache = new WeakMap<Db, Map<string, CompiledQuery<R>>>();
  return async (db: Db, input: I): Promise<R[]> => {
    const entries = Object.entries(input) as [string, unknown][];
    const shape = entries.map(([key, value]) => (given(value) ? key : "")).join(",");
    let byShape = cache.get(db);
    if (!byShape) {
      byShape = new Map();
      cache.set(db, byShape);
    }
    let compiled = byShape.get(shape);
    if (!compiled) {
      const placeholders = Object.fromEntries(
        entries.map(([key, value]) => [key, given(value) ? new Placeholder(key) : undefined]),
      ) as I;
      compiled = build(db, placeholders).compile();
      if (compiled.parameters.some((p) => p instanceof Date)) {
        throw new Error("compiledOnce: a Date was built into the query; use now() in SQL");
      }
      byShape.set(shape, compiled);
    }
    const values = input as Record<string, unknown>;
    const parameters = compiled.parameters.map((p) =>
      p instanceof Placeholder ? values[p.key] : p,
    );
    const result = await db.executeQuery<R>({ ...compiled, parameters });
    return result.rows;
  };
}
