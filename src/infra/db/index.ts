// Opens the database: PostgreSQL when DATABASE_URL is set, embedded PGlite in DATA_DIR otherwise.
// Both return int8 columns as strings (Mastodon ids are strings on the wire) and timestamps as Date.
import { mkdirSync } from "node:fs";
import path from "node:path";
import { Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import type { Config } from "../../config.ts";
import { PGliteDialect } from "./pglite-dialect.ts";
import { preparingPool } from "./prepared.ts";
import type { Database } from "./schema.ts";
import { pgTypes } from "./timestamps.ts";

export type Db = Kysely<Database>;

export interface DbHandle {
  db: Db;
  kind: "postgres" | "pglite";
  close(): Promise<void>;
}

export async function openDatabase(
  config: Pick<Config, "databaseUrl" | "dataDir"> & Partial<Pick<Config, "dbPoolSize">>,
  options: { poolSize?: number } = {},
): Promise<DbHandle> {
  if (config.databaseUrl) {
    const pool = new pg.Pool({
      connectionString: config.databaseUrl,
      max: options.poolSize ?? config.dbPoolSize ?? 10,
      // Fail fast rather than hang when PostgreSQL is down.
      connectionTimeoutMillis: 10_000,
      types: pgTypes,
    });
    // An idle client losing its connection must not crash the process.
    pool.on("error", () => {});
    // The prepared statements (./prepared.ts) are written to have one good plan whatever
    // their parameters. Left to choose, PostgreSQL kept planning the first home page afresh
    // on every execution (its custom plan looked cheaper than the generic one), ~2 ms each.
    pool.on("connect", (client) => {
      client.query("set plan_cache_mode = force_generic_plan").catch(() => {});
    });
    // Marked hot queries run as named prepared statements (./prepared.ts).
    const db = new Kysely<Database>({
      dialect: new PostgresDialect({ pool: preparingPool(pool) }),
    });
    return { db, kind: "postgres", close: () => db.destroy() };
  }
  const { PGlite } = await import("@electric-sql/pglite");
  const dir = path.join(config.dataDir, "pglite");
  mkdirSync(dir, { recursive: true });
  const client = new PGlite(dir, {
    // int8 as string, like node-postgres.
    parsers: { 20: (value: string) => value },
  });
  const db = new Kysely<Database>({ dialect: new PGliteDialect(client) });
  return { db, kind: "pglite", close: () => db.destroy() };
}
