// Seeds a benchmark database with set-based SQL: 10,000 local accounts, 300,000 public
// statuses spread over them, a reader following 500 of them whose home feed holds what
// fan-out would have left (the newest FEED_MAX_ITEMS of their posts), 100 feed rows for
// every other account so home_feed is not a one-user table, some favourites and bookmarks
// for the reader's flags, and an author followed by all 10,000 accounts.
// The two users who make requests (reader, author) are created through the app's own code
// so that their passwords, tokens and applications are real.
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { sql } from "kysely";
import { createLocalUser } from "../src/accounts/local-account-service.ts";
import type { Config } from "../src/config.ts";
import { openDatabase } from "../src/infra/db/index.ts";
import { migrateToLatest } from "../src/infra/db/migrate.ts";
import { newId } from "../src/infra/ids.ts";
import { issueAccessToken } from "../src/oauth/access-tokens.ts";
import { FEED_MAX_ITEMS } from "../src/timelines/fanout.ts";
import { type BenchEnv, DB_NAME, recreateDatabase } from "./lib.ts";

export const ACCOUNTS = Number(process.env.BENCH_ACCOUNTS || 10_000);
export const STATUSES = Number(process.env.BENCH_STATUSES || 300_000);
export const FOLLOWED = 500;
const OTHER_FEED_ROWS = 100;

export interface Seeded {
  readerId: string;
  readerToken: string;
  authorId: string;
  authorToken: string;
  /** The cursor of a page near the end of the reader's feed. */
  deepMaxId: string;
  feedSize: number;
}

// Ids as src/infra/ids.ts makes them: milliseconds << 16 | sequence. Seeded rows use a
// fixed past window so they sort before anything the benchmark posts.
const BASE_MS = Date.now() - 30 * 24 * 3600_000;
const accountId = (i: string) => sql`((${BASE_MS}::bigint + (${sql.raw(i)})) << 16)`;
// Statuses two seconds apart after the accounts' window.
const statusMs = (n: string) => sql`(${BASE_MS}::bigint + 86400000 + (${sql.raw(n)}) * 2000)`;
const statusId = (n: string) => sql`((${statusMs(n)} << 16) | ((${sql.raw(n)}) % 65536))`;

export async function seed(config: Config, log: (line: string) => void): Promise<Seeded> {
  const { db, close } = await openDatabase(config, { poolSize: 2 });
  try {
    await migrateToLatest(db);
    const t0 = performance.now();
    const step = async (label: string, query: ReturnType<typeof sql>) => {
      const started = performance.now();
      const r = await query.execute(db);
      const rows = Number(r.numAffectedRows ?? 0n);
      log(`  ${label}: ${rows} rows in ${Math.round(performance.now() - started)} ms`);
    };

    await step(
      "accounts",
      sql`insert into accounts (id, username, domain, display_name, uri, url, discoverable,
          indexable, created_at, updated_at)
        select ${accountId("i")}, 'user' || i, null, 'User ' || i,
          ${config.publicUrl} || '/users/user' || i, ${config.publicUrl} || '/@user' || i, true,
          true, to_timestamp((${BASE_MS}::bigint + i) / 1000.0), now()
        from generate_series(1::bigint, ${ACCOUNTS}::bigint) i`,
    );
    // Status n belongs to account ((n * 7919) % ACCOUNTS) + 1: every account posts, evenly.
    await step(
      "statuses",
      sql`insert into statuses (id, uri, account_id, local, text, content, visibility, language,
          created_at, updated_at)
        select ${statusId("n")}, ${config.publicUrl} || '/users/x/statuses/' || n,
          ${accountId(`((n * 7919) % ${ACCOUNTS}) + 1`)}, true,
          'Post number ' || n || ' about #bench', '<p>Post number ' || n || ' about <a href="'
          || ${config.publicUrl} || '/tags/bench" class="mention hashtag" rel="tag">#<span>bench</span></a></p>',
          'public', 'en', to_timestamp(${statusMs("n")} / 1000.0), to_timestamp(${statusMs("n")} / 1000.0)
        from generate_series(1::bigint, ${STATUSES}::bigint) n`,
    );
    await step(
      "account counters",
      sql`update accounts a set statuses_count = c.n, last_status_at = c.last
        from (select account_id, count(*) n, max(created_at) last from statuses group by account_id) c
        where c.account_id = a.id`,
    );

    const password = randomBytes(12).toString("hex");
    const reader = await createLocalUser(db, config, {
      username: "reader",
      email: "reader@bench.example",
      password,
      confirmed: true,
    });
    const author = await createLocalUser(db, config, {
      username: "author",
      email: "author@bench.example",
      password,
      confirmed: true,
    });
    const applicationId = newId();
    await db
      .insertInto("oauth_applications")
      .values({
        id: applicationId,
        name: "bench",
        website: null,
        redirect_uris: JSON.stringify(["urn:ietf:wg:oauth:2.0:oob"]),
        scopes: "read write follow",
        client_id: randomBytes(16).toString("hex"),
        client_secret: randomBytes(24).toString("hex"),
        owner_account_id: null,
      })
      .execute();
    const token = async (id: string) =>
      (
        await issueAccessToken(db, {
          applicationId,
          accountId: id,
          scopes: ["read", "write", "follow"],
        })
      ).access_token;
    const r = reader.account.id;
    const a = author.account.id;

    await step(
      "reader follows 500",
      sql`insert into follows (id, account_id, target_account_id, created_at)
        select ${accountId("i")} + 1, ${r}::bigint, ${accountId("i * 20")}, now()
        from generate_series(1::bigint, ${FOLLOWED}::bigint) i`,
    );
    await step(
      "10,000 follow the author",
      sql`insert into follows (id, account_id, target_account_id, created_at)
        select ${accountId("i")} + 2, ${accountId("i")}, ${a}::bigint, now()
        from generate_series(1::bigint, ${ACCOUNTS}::bigint) i`,
    );
    await sql`update accounts set following_count = ${FOLLOWED} where id = ${r}`.execute(db);
    await sql`update accounts set followers_count = ${ACCOUNTS} where id = ${a}`.execute(db);
    await step(
      "reader's feed (what fan-out keeps)",
      sql`insert into home_feed (account_id, status_id, reblog_of_id)
        select ${r}::bigint, s.id, null from statuses s
        where s.account_id in (select target_account_id from follows where account_id = ${r})
        order by s.id desc limit ${FEED_MAX_ITEMS}`,
    );
    await step(
      "other accounts' feeds",
      sql`insert into home_feed (account_id, status_id, reblog_of_id)
        select ${accountId("i")}, ${statusId(`((i * 29) % (${STATUSES} - ${OTHER_FEED_ROWS})) + j`)}, null
        from generate_series(1::bigint, ${ACCOUNTS}::bigint) i, generate_series(1::bigint, ${OTHER_FEED_ROWS}::bigint) j
        on conflict do nothing`,
    );
    // Flags the serializer looks up for the reader: every 10th post in the feed liked, every
    // 25th bookmarked.
    for (const [table, every] of [
      ["favourites", 10],
      ["bookmarks", 25],
    ] as const) {
      await step(
        `reader's ${table}`,
        sql`insert into ${sql.table(table)} (id, account_id, status_id, created_at)
          select h.status_id + 3, ${r}::bigint, h.status_id, now()
          from (select status_id, row_number() over (order by status_id) k
            from home_feed where account_id = ${r}) h
          where h.k % ${every} = 0`,
      );
    }
    await sql`analyze`.execute(db);
    const deep = await sql<{ status_id: string }>`
      select status_id from home_feed where account_id = ${r}
      order by status_id desc offset ${FEED_MAX_ITEMS - 40} limit 1`.execute(db);
    const size = await sql<{ n: string }>`
      select count(*) n from home_feed where account_id = ${r}`.execute(db);
    log(`  seeded in ${Math.round((performance.now() - t0) / 1000)} s`);
    return {
      readerId: r,
      readerToken: await token(r),
      authorId: a,
      authorToken: await token(a),
      deepMaxId: deep.rows[0]!.status_id,
      feedSize: Number(size.rows[0]!.n),
    };
  } finally {
    await close();
  }
}

const SEEDED_FILE = path.join(os.tmpdir(), `${DB_NAME}-seeded.json`);

/** Seeds a fresh database, or with BENCH_REUSE=1 reuses the last seed (ids and tokens). */
export async function seedOrReuse(
  env: BenchEnv,
  config: Config,
  log: (line: string) => void,
): Promise<Seeded> {
  if (process.env.BENCH_REUSE === "1" && existsSync(SEEDED_FILE)) {
    log(`reusing the seed in ${DB_NAME} (${SEEDED_FILE})`);
    return JSON.parse(readFileSync(SEEDED_FILE, "utf8")) as Seeded;
  }
  log(`seeding ${DB_NAME}: ${ACCOUNTS} accounts, ${STATUSES} statuses`);
  await recreateDatabase(env, DB_NAME);
  const seeded = await seed(config, log);
  writeFileSync(SEEDED_FILE, JSON.stringify(seeded));
  return seeded;
}
