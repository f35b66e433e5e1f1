// Admin::Dimension: what the instance's traffic is made of over a period, as ranked
// key/value pairs (POST /api/v1/admin/dimensions). Keys follow Mastodon's dashboard.
// One difference: `sources` ranks the apps local posts were written with, since Roost does
// not record which app an account signed up through.
import { sql } from "kysely";
import type { Services } from "../services.ts";
import { ROOST_VERSION } from "../version.ts";
import { type Args, domainArg, idArg, type Period } from "./period.ts";

export interface DimensionData {
  key: string;
  human_key: string;
  value: string;
  unit?: string;
  human_value?: string;
}

export interface DimensionEntity {
  key: string;
  data: DimensionData[];
}

type Compute = (
  services: Services,
  period: Period,
  limit: number,
  args: Args,
) => Promise<DimensionData[] | undefined>;

const languageNames = new Intl.DisplayNames(["en"], { type: "language" });

function languageName(code: string): string {
  try {
    return languageNames.of(code) ?? code;
  } catch {
    return code;
  }
}

interface Ranked {
  key: string | null;
  n: string | number;
}

function ranked(rows: Ranked[], human: (key: string) => string = (k) => k): DimensionData[] {
  return rows
    .filter((r): r is Ranked & { key: string } => r.key !== null)
    .map((r) => ({ key: r.key, human_key: human(r.key), value: String(r.n) }));
}

const inPeriod = (p: Period) => sql`s.created_at >= ${p.start} and s.created_at < ${p.end}`;

async function statusLanguages(services: Services, p: Period, limit: number, where = sql`true`) {
  const rows = await sql<Ranked>`select s.language as key, count(*) as n
    from statuses s join accounts a on a.id = s.account_id
    where ${where} and s.language is not null and ${inPeriod(p)}
    group by 1 order by 2 desc, 1 limit ${limit}`.execute(services.db);
  return ranked(rows.rows, languageName);
}

function bytes(key: string, human: string, n: number | string): DimensionData {
  const value = String(n);
  const mib = Number(value) / (1024 * 1024);
  return { key, human_key: human, value, unit: "bytes", human_value: `${mib.toFixed(1)} MiB` };
}

export const DIMENSIONS: Record<string, Compute> = {
  languages: (services, p, limit) => statusLanguages(services, p, limit, sql`a.domain is null`),
  sources: async (services, p, limit) => {
    const rows = await sql<Ranked>`select coalesce(app.name, 'Web') as key, count(*) as n
      from statuses s left join oauth_applications app on app.id = s.application_id
      where s.local and ${inPeriod(p)} group by 1 order by 2 desc, 1 limit ${limit}`.execute(
      services.db,
    );
    return ranked(rows.rows);
  },
  servers: async (services, p, limit) => {
    const rows = await sql<Ranked>`select a.domain as key, count(*) as n
      from statuses s join accounts a on a.id = s.account_id
      where a.domain is not null and ${inPeriod(p)} group by 1 order by 2 desc, 1 limit ${limit}`.execute(
      services.db,
    );
    return ranked(rows.rows);
  },
  space_usage: async (services) => {
    const { db, redis } = services;
    const database = await sql<{
      n: string;
    }>`select pg_database_size(current_database()) as n`.execute(db);
    const media = await sql<{ n: string | null }>`select coalesce(sum(m.file_size), 0) as n
      from media_attachments m join accounts a on a.id = m.account_id
      where a.domain is null`.execute(db);
    const data = [
      bytes("postgresql", "PostgreSQL", database.rows[0]?.n ?? 0),
      bytes("media", "Media storage", media.rows[0]?.n ?? 0),
    ];
    if (redis) {
      const info = await redis.info("memory");
      const used = info.match(/^used_memory:(\d+)/m)?.[1];
      if (used) data.push(bytes("redis", "Redis", used));
    }
    return data;
  },
  software_versions: async (services) => {
    const { db, redis } = services;
    const pg = await sql<{ v: string }>`show server_version`.execute(db);
    const data: DimensionData[] = [
      { key: "roost", human_key: "Roost", value: ROOST_VERSION },
      { key: "nodejs", human_key: "Node.js", value: process.versions.node },
      {
        key: "postgresql",
        human_key: services.dbKind === "pglite" ? "PostgreSQL (embedded)" : "PostgreSQL",
        value: pg.rows[0]?.v ?? "unknown",
      },
    ];
    if (redis) {
      const info = await redis.info("server");
      const version = info.match(/^redis_version:(\S+)/m)?.[1];
      if (version) data.push({ key: "redis", human_key: "Redis", value: version });
    }
    return data;
  },
  tag_servers: async (services, p, limit, args) => {
    const id = idArg(args);
    if (!id) return undefined;
    const rows = await sql<Ranked>`select coalesce(a.domain, ${services.config.domain}) as key,
        count(*) as n
      from status_tags st join statuses s on s.id = st.status_id
      join accounts a on a.id = s.account_id
      where st.tag_id = ${id} and ${inPeriod(p)} group by 1 order by 2 desc, 1 limit ${limit}`.execute(
      services.db,
    );
    return ranked(rows.rows);
  },
  tag_languages: async (services, p, limit, args) => {
    const id = idArg(args);
    if (!id) return undefined;
    return statusLanguages(
      services,
      p,
      limit,
      sql`exists (select 1 from status_tags st where st.status_id = s.id and st.tag_id = ${id})`,
    );
  },
  // The domain's accounts most followed from here.
  instance_accounts: async (services, _p, limit, args) => {
    const domain = domainArg(args);
    if (!domain) return undefined;
    const rows = await sql<Ranked>`select a.username || '@' || a.domain as key, count(*) as n
      from follows f join accounts a on a.id = f.target_account_id
      join accounts l on l.id = f.account_id
      where a.domain = ${domain} and l.domain is null
      group by 1 order by 2 desc, 1 limit ${limit}`.execute(services.db);
    return ranked(rows.rows);
  },
  instance_languages: (services, p, limit, args) => {
    const domain = domainArg(args);
    if (!domain) return Promise.resolve(undefined);
    return statusLanguages(services, p, limit, sql`a.domain = ${domain}`);
  },
};

/** The dimension `key`; undefined for unknown keys or missing arguments. */
export async function computeDimension(
  services: Services,
  key: string,
  period: Period,
  limit: number,
  args: Args,
): Promise<DimensionEntity | undefined> {
  const compute = Object.hasOwn(DIMENSIONS, key) ? DIMENSIONS[key] : undefined;
  const data = await compute?.(services, period, limit, args);
  return data ? { key, data } : undefined;
}
