// Benchmark: GET /api/v1/timelines/home?limit=20 (first page and a deep page) under 32
// keep-alive connections against a real Roost process (NODE_ROLE=all) on PostgreSQL, and
// in the same run the floor: the queries that request makes, sent straight to PostgreSQL
// by 32 concurrent clients. Seeds a fresh database first (bench/seed.ts); stops by itself.
//   npm run bench:home        (BENCH_SECONDS, BENCH_CONNECTIONS; BENCH_REUSE=1 keeps the last seed)
import os from "node:os";
import { type CompiledQuery, Kysely, PostgresDialect } from "kysely";
import pg from "pg";
import type { AccountRow } from "../src/auth/middleware.ts";
import { parseConfig } from "../src/config.ts";
import { statementName } from "../src/infra/db/prepared.ts";
import type { Database } from "../src/infra/db/schema.ts";
import type { Services } from "../src/services.ts";
import { homeTimelineJson } from "../src/timelines/home-page.ts";
import { fixedRateLoad } from "./fixed-rate.ts";
import {
  backendCpu,
  backendCpuSpent,
  benchEnv,
  closedLoop,
  cpuSeconds,
  DB_NAME,
  formatResult,
  httpLoad,
  type LoadResult,
  serverRoot,
  startRoost,
} from "./lib.ts";
import { seedOrReuse } from "./seed.ts";

/** The SQL statements one home request runs, captured by rendering it once. */
async function captureQueries(
  databaseUrl: string,
  publicUrl: string,
  readerId: string,
  maxId?: string,
): Promise<CompiledQuery[]> {
  const captured: CompiledQuery[] = [];
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 1 });
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool }),
    log: (event) => {
      if (event.level === "query") captured.push(event.query);
    },
  });
  try {
    const viewer = (await db
      .selectFrom("accounts")
      .selectAll()
      .where("id", "=", readerId)
      .executeTakeFirstOrThrow()) as AccountRow;
    const services = { db, config: { publicUrl } } as unknown as Services;
    // Rendered twice: the second time is what a page seen before costs (statuses kept as
    // JSON, src/statuses/fragments.ts), as in the HTTP runs.
    await homeTimelineJson(services, viewer, { limit: 20, maxId });
    captured.length = 0;
    const page = await homeTimelineJson(services, viewer, { limit: 20, maxId });
    const count = (JSON.parse(page.json.toString()) as unknown[]).length;
    if (count !== 20) throw new Error(`page has ${count} statuses`);
  } finally {
    await db.destroy();
  }
  return captured;
}

/** The captured statements against PostgreSQL: the timeline query alone, and all of them. */
async function floor(
  databaseUrl: string,
  queries: CompiledQuery[],
  seconds: number,
  connections: number,
): Promise<{ first: LoadResult; all: LoadResult }> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: connections });
  // The session setting the server's pool makes (src/infra/db/index.ts).
  pool.on("connect", (client) => {
    client.query("set plan_cache_mode = force_generic_plan").catch(() => {});
  });
  // Open every connection before timing.
  await Promise.all(
    Array.from({ length: connections }, async () => (await pool.connect()).release()),
  );
  // As the server sends them: marked statements named (prepared once per connection).
  const run = (q: CompiledQuery) => {
    const name = statementName(q.sql);
    const values = q.parameters as unknown[];
    return name ? pool.query({ name, text: q.sql, values }) : pool.query(q.sql, values);
  };
  try {
    const first = await closedLoop("pg", connections, seconds, async () => {
      await run(queries[0]!);
      return true;
    });
    // The serializer's lookups run concurrently within a request, as here.
    const all = await closedLoop("pg", connections, seconds, async () => {
      await run(queries[0]!);
      await Promise.all(queries.slice(1).map(run));
      return true;
    });
    return { first, all };
  } finally {
    await pool.end();
  }
}

async function main() {
  const env = benchEnv(DB_NAME);
  const log = (line: string) => console.log(line);
  log(
    `home timeline benchmark: ${os.cpus().length} cores, load average ${os
      .loadavg()
      .map((n) => n.toFixed(2))
      .join(" ")}`,
  );
  const config = parseConfig({
    DATABASE_URL: env.databaseUrl,
    SECRET_KEY: "bench-secret-key-bench-secret-key-0123456789",
    PUBLIC_URL: "http://127.0.0.1:3000",
    LOG_LEVEL: "warning",
  });
  const seeded = await seedOrReuse(env, config, log);
  log(`reader's feed: ${seeded.feedSize} entries; deep page max_id=${seeded.deepMaxId}`);
  log(`server from ${serverRoot}`);

  const roost = await startRoost(env);
  const results: [string, LoadResult][] = [];
  try {
    const headers = { authorization: `Bearer ${seeded.readerToken}` };
    const first = `${roost.url}/api/v1/timelines/home?limit=20`;
    const deep = `${first}&max_id=${seeded.deepMaxId}`;
    for (const url of [first, deep]) {
      const res = await fetch(url, { headers });
      const body = (await res.json()) as unknown[];
      if (res.status !== 200 || body.length !== 20) {
        throw new Error(`${url}: ${res.status}, ${body.length} statuses`);
      }
    }
    // Warm up the JIT and PostgreSQL's caches.
    await httpLoad(first, headers, 3, env.connections);
    const measured = async (url: string, rate?: number): Promise<LoadResult> => {
      const [node0, db0] = [cpuSeconds(roost.pid), await backendCpu(env.adminUrl, DB_NAME)];
      const r = rate
        ? await fixedRateLoad(url, headers, env.seconds, env.connections, rate)
        : await httpLoad(url, headers, env.seconds, env.connections);
      const [node1, db1] = [cpuSeconds(roost.pid), await backendCpu(env.adminUrl, DB_NAME)];
      const per = (seconds: number) => (seconds * 1000) / Math.max(1, r.requests);
      return { ...r, cpu: { server: per(node1 - node0), db: per(backendCpuSpent(db0, db1)) } };
    };
    results.push(["HTTP home, first page", await measured(first)]);
    results.push(["HTTP home, deep page (max_id)", await measured(deep)]);
    // BENCH_RATE=1000: the latency at that fixed rate too (bench/fixed-rate.ts).
    for (const rate of (process.env.BENCH_RATE ?? "").split(",").filter(Boolean).map(Number)) {
      results.push([`HTTP home, first page at ${rate}/s`, await measured(first, rate)]);
      results.push([`HTTP home, deep page at ${rate}/s`, await measured(deep, rate)]);
    }
  } finally {
    await roost.stop();
  }

  // BENCH_FLOOR=0 skips the floor (quick alternating comparisons of two trees).
  const floors =
    process.env.BENCH_FLOOR === "0"
      ? []
      : ([
          ["first page", undefined],
          ["deep page", seeded.deepMaxId],
        ] as const);
  for (const [label, maxId] of floors) {
    const queries = await captureQueries(env.databaseUrl, config.publicUrl, seeded.readerId, maxId);
    const { first, all } = await floor(env.databaseUrl, queries, env.seconds, env.connections);
    results.push([`PG floor, ${label}: timeline query`, first]);
    results.push([`PG floor, ${label}: all ${queries.length} queries`, all]);
  }

  log("");
  for (const [label, r] of results) log(formatResult(label, r));
  log(
    `load average after: ${os
      .loadavg()
      .map((n) => n.toFixed(2))
      .join(" ")}`,
  );
}

await main();
