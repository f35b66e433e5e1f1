// Usage numbers for /api/v1|v2/instance, NodeInfo, /api/v1/instance/peers and
// /api/v1/instance/activity. Apps and crawlers fetch these often and the counts scan large
// tables, so each is cached per process for a minute, as Mastodon caches its own.
import { sql } from "kysely";
import type { Db } from "../infra/db/index.ts";
import { idAtTime } from "../infra/ids.ts";
import type { Services } from "../services.ts";

export interface InstanceStats {
  /** Confirmed local users whose account is not suspended. */
  users: number;
  /** Of those, users who signed in or posted within 30 days. */
  activeMonth: number;
  /** The same within 180 days. */
  activeHalfyear: number;
  /** Statuses written here (boosts included, as Mastodon's statuses_count). */
  localPosts: number;
  /** Distinct domains of known remote accounts. */
  knownDomains: number;
}

export interface ActivityWeek {
  week: string;
  statuses: string;
  logins: string;
  registrations: string;
}

const CACHE_MS = 60_000;
const DAY_MS = 24 * 60 * 60 * 1000;
const WEEK_MS = 7 * DAY_MS;

interface Cached<T> {
  at: number;
  value: Promise<T>;
}
// Keyed by the database handle, so test contexts (and processes' own services) never share.
const caches = new WeakMap<Db, Map<string, Cached<unknown>>>();

function cached<T>(db: Db, key: string, compute: () => Promise<T>, fresh = false): Promise<T> {
  let cache = caches.get(db);
  if (!cache) {
    cache = new Map();
    caches.set(db, cache);
  }
  const hit = cache.get(key) as Cached<T> | undefined;
  if (!fresh && hit && Date.now() - hit.at < CACHE_MS) return hit.value;
  const value = compute();
  cache.set(key, { at: Date.now(), value });
  // A failed count must not stick for a minute.
  value.catch(() => cache.delete(key));
  return value;
}

export function instanceStats(
  services: Pick<Services, "db">,
  options: { fresh?: boolean } = {},
): Promise<InstanceStats> {
  const { db } = services;
  return cached(db, "stats", () => computeStats(db), options.fresh);
}

async function computeStats(db: Db): Promise<InstanceStats> {
  const now = Date.now();
  const month = new Date(now - 30 * DAY_MS);
  const halfYear = new Date(now - 180 * DAY_MS);
  // "Posted within" via the account's last_status_at, which posting keeps current; cheaper
  // than scanning statuses per user.
  const users = await db
    .selectFrom("users")
    .innerJoin("accounts", "accounts.id", "users.account_id")
    .select([
      sql<string>`count(*)`.as("total"),
      sql<string>`count(*) filter (where users.last_sign_in_at >= ${month} or accounts.last_status_at >= ${month})`.as(
        "month",
      ),
      sql<string>`count(*) filter (where users.last_sign_in_at >= ${halfYear} or accounts.last_status_at >= ${halfYear})`.as(
        "half_year",
      ),
    ])
    .where("users.confirmed_at", "is not", null)
    .where("accounts.suspended_at", "is", null)
    .executeTakeFirstOrThrow();
  const posts = await db
    .selectFrom("statuses")
    .select(sql<string>`count(*)`.as("n"))
    .where("local", "=", true)
    .executeTakeFirstOrThrow();
  const domains = await db
    .selectFrom("accounts")
    .select(sql<string>`count(distinct lower(domain))`.as("n"))
    .where("domain", "is not", null)
    .executeTakeFirstOrThrow();
  return {
    users: Number(users.total),
    activeMonth: Number(users.month),
    activeHalfyear: Number(users.half_year),
    localPosts: Number(posts.n),
    knownDomains: Number(domains.n),
  };
}

/** Domains this server knows accounts on, sorted (GET /api/v1/instance/peers). */
export function instancePeers(
  services: Pick<Services, "db">,
  options: { fresh?: boolean } = {},
): Promise<string[]> {
  const { db } = services;
  return cached(
    db,
    "peers",
    async () => {
      const rows = await db
        .selectFrom("accounts")
        .select(sql<string>`lower(domain)`.as("domain"))
        .where("domain", "is not", null)
        .groupBy(sql`lower(domain)`)
        .orderBy(sql`lower(domain)`)
        .execute();
      return rows.map((r) => r.domain);
    },
    options.fresh,
  );
}

/** Midnight UTC on the Monday of the week holding `now`, in ms. */
export function weekStart(now: Date): number {
  const midnight = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return midnight - ((now.getUTCDay() + 6) % 7) * DAY_MS;
}

/**
 * Twelve weekly buckets, newest first, keyed by the Unix time of the week's Monday. Local
 * statuses and sign-ups per week are exact; logins count users whose latest sign-in fell in
 * that week (only the last sign-in is stored). Mastodon sends every number as a string.
 */
export function instanceActivity(
  services: Pick<Services, "db">,
  options: { now?: Date; fresh?: boolean } = {},
): Promise<ActivityWeek[]> {
  const { db } = services;
  const now = options.now ?? new Date();
  return cached(db, "activity", () => computeActivity(db, now), options.fresh);
}

async function computeActivity(db: Db, now: Date): Promise<ActivityWeek[]> {
  const thisWeek = weekStart(now);
  const weeks = Array.from({ length: 12 }, (_, i) => thisWeek - i * WEEK_MS);
  const since = new Date(weeks.at(-1)!);
  // Bucket index: whole weeks between the row's time and the oldest bucket.
  const bucket = (column: string) =>
    sql<number>`floor((extract(epoch from ${sql.ref(column)}) * 1000 - ${since.getTime()}) / ${WEEK_MS})::int`;
  const statuses = await db
    .selectFrom("statuses")
    .select([bucket("created_at").as("b"), sql<string>`count(*)`.as("n")])
    .where("local", "=", true)
    // Ids grow with time: keeps this a range scan of the primary key.
    .where("id", ">=", idAtTime(since))
    .where("created_at", ">=", since)
    .groupBy("b")
    .execute();
  const logins = await db
    .selectFrom("users")
    .select([bucket("last_sign_in_at").as("b"), sql<string>`count(*)`.as("n")])
    .where("last_sign_in_at", ">=", since)
    .groupBy("b")
    .execute();
  const registrations = await db
    .selectFrom("users")
    .select([bucket("created_at").as("b"), sql<string>`count(*)`.as("n")])
    .where("created_at", ">=", since)
    .groupBy("b")
    .execute();
  const byBucket = (rows: { b: number; n: string }[]) =>
    new Map(rows.map((r) => [Number(r.b), Number(r.n)]));
  const s = byBucket(statuses);
  const l = byBucket(logins);
  const r = byBucket(registrations);
  return weeks.map((week, i) => {
    const b = 11 - i;
    return {
      week: String(week / 1000),
      statuses: String(s.get(b) ?? 0),
      logins: String(l.get(b) ?? 0),
      registrations: String(r.get(b) ?? 0),
    };
  });
}
