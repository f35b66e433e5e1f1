// Which backend a test run exercises. `.ci/run` runs the suite twice: once with nothing set
// (embedded PGlite, SQL queue, in-process pub/sub) and once with DATABASE_URL and REDIS_URL.
// Tests read the environment through this file only.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";

export const SERVICE_DATABASE_URL = process.env.DATABASE_URL || undefined;
export const SERVICE_REDIS_URL = process.env.REDIS_URL || undefined;
export const backendName = SERVICE_DATABASE_URL ? "postgres+redis" : "embedded";

export interface TestBackend {
  /** Environment for parseConfig / child processes: DATA_DIR, DATABASE_URL, REDIS_URL, REDIS_PREFIX. */
  env: Record<string, string>;
  dataDir: string;
  databaseUrl?: string;
  redisUrl?: string;
  redisPrefix: string;
  cleanup(): Promise<void>;
}

/**
 * A fresh, isolated backend: a temporary DATA_DIR, and in service mode a new PostgreSQL
 * database and a unique Redis key prefix, so test files can run in parallel.
 */
export async function createTestBackend(
  options: { services?: boolean } = {},
): Promise<TestBackend> {
  const useServices = options.services ?? SERVICE_DATABASE_URL !== undefined;
  const dataDir = mkdtempSync(path.join(tmpdir(), "roost-test-"));
  const id = randomBytes(6).toString("hex");
  const redisPrefix = `roosttest-${id}`;
  const env: Record<string, string> = { DATA_DIR: dataDir, REDIS_PREFIX: redisPrefix };
  let databaseUrl: string | undefined;
  let dropDatabase: (() => Promise<void>) | undefined;
  if (useServices && SERVICE_DATABASE_URL) {
    const name = `roost_test_${id}`;
    await adminQuery(`create database ${name}`);
    const url = new URL(SERVICE_DATABASE_URL);
    url.pathname = `/${name}`;
    databaseUrl = url.toString();
    env.DATABASE_URL = databaseUrl;
    dropDatabase = () => adminQuery(`drop database if exists ${name} with (force)`);
  }
  const redisUrl = useServices ? SERVICE_REDIS_URL : undefined;
  if (redisUrl) env.REDIS_URL = redisUrl;
  return {
    env,
    dataDir,
    databaseUrl,
    redisUrl,
    redisPrefix,
    async cleanup() {
      await dropDatabase?.().catch(() => {});
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function adminQuery(text: string): Promise<void> {
  const client = new pg.Client({ connectionString: SERVICE_DATABASE_URL });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}
