// `npm run migrate`: applies pending migrations and exits. The server also migrates at start.
import { ConfigError, loadConfig } from "../config.ts";
import { openDatabase } from "../infra/db/index.ts";
import { migrateToLatest } from "../infra/db/migrate.ts";

try {
  const config = loadConfig();
  const handle = await openDatabase(config, { poolSize: 1 });
  try {
    const applied = await migrateToLatest(handle.db);
    console.log(applied.length ? `Applied: ${applied.join(", ")}` : "Database is up to date");
  } finally {
    await handle.close();
  }
} catch (e) {
  console.error(e instanceof ConfigError ? e.message : `Migration failed: ${(e as Error).message}`);
  process.exit(1);
}
