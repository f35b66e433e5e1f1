// Benchmark: POST /api/v1/statuses by an author with 10,000 local followers against a real
// Roost process (NODE_ROLE=all: the same process fans out), on the database bench/seed.ts
// fills. Two phases, both bounded:
//  1. one post at a time: the request's latency, and the time from sending it until every
//     follower's home_feed holds it (10,000 followers + the author = 10,001 rows);
//  2. BENCH_POSTERS concurrent posters for BENCH_SECONDS: request latency under a steady
//     stream of posts whose fan-outs overlap, then how long the backlog takes to drain.
//   npm run bench:post        (BENCH_REUSE=1 reuses the seed of bench:home)
import os from "node:os";
import pg from "pg";
import { parseConfig } from "../src/config.ts";
import { benchEnv, closedLoop, DB_NAME, percentile, startRoost } from "./lib.ts";
import { ACCOUNTS, seedOrReuse } from "./seed.ts";

const SEQUENTIAL = Number(process.env.BENCH_POSTS || 50);
const POSTERS = Number(process.env.BENCH_POSTERS || 4);
const FANOUT_TIMEOUT_MS = 30_000;

const ms = (n: number) => `${n.toFixed(1)} ms`;

async function main() {
  const env = benchEnv(DB_NAME);
  const log = (line: string) => console.log(line);
  log(
    `posting benchmark: ${os.cpus().length} cores, load average ${os
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
  const expected = ACCOUNTS + 1;
  const pool = new pg.Pool({ connectionString: env.databaseUrl, max: 2 });
  const feedRows = async (statusId: string) =>
    Number(
      (await pool.query("select count(*) n from home_feed where status_id = $1", [statusId]))
        .rows[0].n,
    );

  const roost = await startRoost(env);
  let n = 0;
  const post = async (): Promise<{ id: string; ms: number }> => {
    const t0 = performance.now();
    const res = await fetch(`${roost.url}/api/v1/statuses`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${seeded.authorToken}`,
        "content-type": "application/json",
      },
      body: JSON.stringify({ status: `Benchmark post ${++n} for #bench`, visibility: "public" }),
    });
    const body = (await res.json()) as { id?: string };
    if (res.status !== 200 || !body.id) throw new Error(`POST: ${res.status}`);
    return { id: body.id, ms: performance.now() - t0 };
  };
  const waitFanOut = async (statusId: string, deadline: number) => {
    while ((await feedRows(statusId)) < expected) {
      if (performance.now() > deadline) throw new Error(`fan-out of ${statusId} timed out`);
      await new Promise((r) => setTimeout(r, 5));
    }
  };

  try {
    // Warm-up: the first requests compile code paths and fill caches.
    for (let i = 0; i < 5; i++) {
      const { id } = await post();
      await waitFanOut(id, performance.now() + FANOUT_TIMEOUT_MS);
    }

    const requests: number[] = [];
    const fanouts: number[] = [];
    for (let i = 0; i < SEQUENTIAL; i++) {
      const t0 = performance.now();
      const { id, ms: took } = await post();
      requests.push(took);
      await waitFanOut(id, t0 + FANOUT_TIMEOUT_MS);
      fanouts.push(performance.now() - t0);
    }
    requests.sort((a, b) => a - b);
    fanouts.sort((a, b) => a - b);
    log("");
    log(`phase 1: ${SEQUENTIAL} posts one at a time, each to ${expected} home feeds`);
    log(
      `  POST /api/v1/statuses   p50 ${ms(percentile(requests, 50))}  p99 ${ms(percentile(requests, 99))}  max ${ms(requests.at(-1)!)}`,
    );
    log(
      `  until all feeds have it p50 ${ms(percentile(fanouts, 50))}  p99 ${ms(percentile(fanouts, 99))}  max ${ms(fanouts.at(-1)!)}`,
    );

    const ids: string[] = [];
    const burst = await closedLoop("fetch", POSTERS, env.seconds, async () => {
      ids.push((await post()).id);
      return true;
    });
    const burstEnd = performance.now();
    await Promise.all(ids.map((id) => waitFanOut(id, burstEnd + 120_000)));
    const drained = performance.now() - burstEnd;
    log(`phase 2: ${POSTERS} concurrent posters for ${env.seconds} s`);
    log(
      `  POST /api/v1/statuses   ${burst.rps.toFixed(1)} posts/s  p50 ${ms(burst.p50)}  p99 ${ms(burst.p99)}  (${burst.requests} posts, ${burst.errors} errors)`,
    );
    log(
      `  fan-out: ${(burst.requests * expected).toLocaleString("en")} feed rows; backlog drained ${ms(drained)} after the last post`,
    );
  } finally {
    await roost.stop();
    await pool.end();
  }
  log(
    `load average after: ${os
      .loadavg()
      .map((n) => n.toFixed(2))
      .join(" ")}`,
  );
}

await main();
