// Benchmark: streaming latency. BENCH_CLIENTS (1,000) WebSocket clients on the user streams
// of the local followers of one author, against a real Roost process (NODE_ROLE=all, so the
// same process runs the worker; with REDIS_URL the events go through Redis pub/sub).
//  1. BENCH_POSTS public posts, one at a time: the time from sending POST /api/v1/statuses
//     until each client has the `update`, p50 and p99 over every (post, client) pair;
//  2. BENCH_DMS direct messages to one follower: the time until that follower has it.
// Loopback only, and bounded: each post waits at most 30 s for its events. BENCH_CLIENTS,
// BENCH_POSTS, BENCH_DMS and BENCH_GAP_MS (pause between posts) adjust it.
//   npm run bench:streaming
import { randomBytes } from "node:crypto";
import os from "node:os";
import { sql } from "kysely";
import WebSocket from "ws";
import { createLocalUser } from "../src/accounts/local-account-service.ts";
import { hashToken } from "../src/auth/tokens.ts";
import { parseConfig } from "../src/config.ts";
import { newId } from "../src/infra/ids.ts";
import { issueAccessToken } from "../src/oauth/access-tokens.ts";
import { createServices } from "../src/services.ts";
import { benchEnv, percentile, recreateDatabase, startRoost } from "./lib.ts";

const DB = "roost_bench_streaming";
const CLIENTS = Number(process.env.BENCH_CLIENTS || 1000);
const POSTS = Number(process.env.BENCH_POSTS || 20);
const DMS = Number(process.env.BENCH_DMS || 20);
// The pause after each post's last receipt. The previous post's other jobs (fan-out,
// notifications, federation) are still running then, so the default pauses (200 ms after a
// post, 100 ms after a direct message) measure a post landing on a busy server; a long one
// (BENCH_GAP_MS=3000) one landing on a quieter server.
const GAP_MS = process.env.BENCH_GAP_MS ? Number(process.env.BENCH_GAP_MS) : undefined;
const WAIT_MS = 30_000;

/** The status id of an `update` frame: `{"stream":[..],"event":"update","payload":"{\"id\":\"1\"`. */
const UPDATE_ID = /^\{"stream":\[[^\]]*\],"event":"update","payload":"\{\\"id\\":\\"(\d+)\\"/;

/** Latencies counted from the POST's answer, sorted and summarised. */
function report(latencies: number[]): void {
  const sorted = [...latencies].sort((a, b) => a - b);
  console.log(
    `    from the POST's answer: p50 ${ms(percentile(sorted, 50))}, p99 ${ms(percentile(sorted, 99))}`,
  );
}

const ms = (n: number) => `${n.toFixed(1)} ms`;
const sleep = (n: number) => new Promise((r) => setTimeout(r, n));

async function main() {
  const env = benchEnv(DB);
  const log = (line: string) => console.log(line);
  log(
    `streaming benchmark: ${CLIENTS} clients, ${os.cpus().length} cores, ${
      env.redisUrl ? "PostgreSQL + Redis" : "PostgreSQL, in-process pub/sub"
    }`,
  );
  await recreateDatabase(env, DB);
  const config = parseConfig({
    DATABASE_URL: env.databaseUrl,
    SECRET_KEY: "bench-secret-key-bench-secret-key-0123456789",
    PUBLIC_URL: "http://127.0.0.1:3000",
    LOG_LEVEL: "warning",
  });

  // Seed: the author through the service, the followers and their tokens with plain SQL.
  const services = await createServices(config);
  const { db } = services;
  const { account: author } = await createLocalUser(db, config, {
    username: "author",
    email: "author@example.com",
    password: "correct horse battery",
    confirmed: true,
  });
  const app = await db
    .insertInto("oauth_applications")
    .values({
      id: newId(),
      name: "bench",
      website: null,
      redirect_uris: JSON.stringify(["urn:ietf:wg:oauth:2.0:oob"]),
      scopes: "read write",
      client_id: randomBytes(16).toString("hex"),
      client_secret: randomBytes(24).toString("hex"),
      owner_account_id: null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  const authorToken = (
    await issueAccessToken(db, {
      applicationId: app.id,
      accountId: author.id,
      scopes: ["read", "write"],
    })
  ).access_token;
  const followers = Array.from({ length: CLIENTS }, (_, i) => ({
    id: newId(),
    username: `follower${i}`,
    token: randomBytes(24).toString("hex"),
  }));
  for (let i = 0; i < followers.length; i += 500) {
    const chunk = followers.slice(i, i + 500);
    await db
      .insertInto("accounts")
      .values(
        chunk.map((f) => ({
          id: f.id,
          username: f.username,
          uri: `${config.publicUrl}/users/${f.username}`,
          url: `${config.publicUrl}/@${f.username}`,
        })),
      )
      .execute();
    await db
      .insertInto("oauth_tokens")
      .values(
        chunk.map((f) => ({
          id: newId(),
          token_hash: hashToken(f.token),
          application_id: app.id,
          account_id: f.id,
          scopes: "read",
        })),
      )
      .execute();
    await db
      .insertInto("follows")
      .values(
        chunk.map((f) => ({
          id: newId(),
          account_id: f.id,
          target_account_id: author.id,
          uri: null,
        })),
      )
      .execute();
  }
  await sql`update accounts set followers_count = ${CLIENTS} where id = ${author.id}`.execute(db);
  await services.close();
  log(`  seeded ${CLIENTS} followers`);

  const roost = await startRoost(env);
  const wsUrl = roost.url.replace(/^http/, "ws");
  // id -> per-client receipt times, filled by the message handlers (collect() removes them).
  const received = new Map<string, number[]>();
  const sockets: WebSocket[] = [];
  // How long each POST itself took: the part of every latency below spent before the
  // status exists and its event is queued.
  let answered: number[] = [];
  // Receipt times counted from the POST's answer instead of its sending: the streaming
  // path alone (negative when the event beat the HTTP response).
  let afterAnswer: number[] = [];
  try {
    for (let i = 0; i < followers.length; i += 100) {
      const batch = followers.slice(i, i + 100).map(
        (f) =>
          new Promise<WebSocket>((resolve, reject) => {
            const ws = new WebSocket(`${wsUrl}/api/v1/streaming?stream=user`, f.token);
            ws.on("message", (data) => {
              const at = performance.now();
              // Only the id is read, with a pattern: the 1,000 clients share this one
              // process, so fully parsing each frame would delay every later client's
              // timestamp by the parsing of all earlier ones and measure the benchmark.
              const id = UPDATE_ID.exec(String(data))?.[1];
              if (!id) return;
              // Kept even before the POST's answer has told us the id: an event may beat
              // its answer, and dropping it was counted as a lost event.
              const times = received.get(id);
              if (times) times.push(at);
              else received.set(id, [at]);
            });
            ws.once("open", () => resolve(ws));
            ws.once("error", reject);
          }),
      );
      sockets.push(...(await Promise.all(batch)));
    }
    log(`  ${sockets.length} WebSocket clients connected`);

    const post = async (body: object): Promise<{ id: string; sentAt: number; took: number }> => {
      const sentAt = performance.now();
      const res = await fetch(`${roost.url}/api/v1/statuses`, {
        method: "POST",
        headers: { authorization: `Bearer ${authorToken}`, "content-type": "application/json" },
        body: JSON.stringify(body),
      });
      const json = (await res.json()) as { id?: string };
      if (res.status !== 200 || !json.id) throw new Error(`POST: ${res.status}`);
      received.set(json.id, received.get(json.id) ?? []);
      const took = performance.now() - sentAt;
      answered.push(took);
      return { id: json.id, sentAt, took };
    };
    /** Waits until `count` receipts for `id` (or the bound), returning latencies. */
    const collect = async (id: string, sentAt: number, count: number) => {
      const deadline = Date.now() + WAIT_MS;
      while ((received.get(id)?.length ?? 0) < count && Date.now() < deadline) await sleep(2);
      const times = received.get(id) ?? [];
      received.delete(id);
      return times.map((t) => t - sentAt);
    };

    // A warm-up post, not counted: first queries, JIT.
    const warm = await post({ status: "warm-up" });
    await collect(warm.id, warm.sentAt, CLIENTS);

    answered = [];
    afterAnswer = [];
    const all: number[] = [];
    const lastPerPost: number[] = [];
    let missing = 0;
    for (let n = 0; n < POSTS; n++) {
      const { id, sentAt, took } = await post({ status: `streamed post ${n}` });
      const latencies = await collect(id, sentAt, CLIENTS);
      afterAnswer.push(...latencies.map((l) => l - took));
      missing += CLIENTS - latencies.length;
      all.push(...latencies);
      lastPerPost.push(Math.max(...latencies));
      await sleep(GAP_MS ?? 200);
    }
    all.sort((a, b) => a - b);
    lastPerPost.sort((a, b) => a - b);
    log(`  public post to ${CLIENTS} followers' user streams (${POSTS} posts):`);
    log(
      `    per client: p50 ${ms(percentile(all, 50))}, p99 ${ms(percentile(all, 99))}, max ${ms(
        all.at(-1) ?? 0,
      )}; last client per post p50 ${ms(percentile(lastPerPost, 50))}; missing ${missing}`,
    );

    const postAnswers = [...answered].sort((a, b) => a - b);
    log(
      `    POST answered: p50 ${ms(percentile(postAnswers, 50))}, p99 ${ms(percentile(postAnswers, 99))}`,
    );
    report(afterAnswer);
    answered = [];
    afterAnswer = [];
    const dms: number[] = [];
    for (let n = 0; n < DMS; n++) {
      const { id, sentAt, took } = await post({
        status: `@${followers[0]!.username} direct ${n}`,
        visibility: "direct",
      });
      const [latency] = await collect(id, sentAt, 1);
      if (latency !== undefined) {
        dms.push(latency);
        afterAnswer.push(latency - took);
      }
      await sleep(GAP_MS ?? 100);
    }
    dms.sort((a, b) => a - b);
    log(
      `  direct message to its recipient (${DMS}): p50 ${ms(percentile(dms, 50))}, p99 ${ms(
        percentile(dms, 99),
      )}; missing ${DMS - dms.length}`,
    );
    const dmAnswers = [...answered].sort((a, b) => a - b);
    log(
      `    POST answered: p50 ${ms(percentile(dmAnswers, 50))}, p99 ${ms(percentile(dmAnswers, 99))}`,
    );
    report(afterAnswer);
  } finally {
    for (const ws of sockets) ws.terminate();
    await roost.stop();
  }
}

await main();
