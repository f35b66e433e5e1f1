// Admin::Measure: quantities per day over a period, with the period's total and the total
// of the period before (POST /api/v1/admin/measures). Keys and meanings follow Mastodon's
// dashboard; each is one grouped query on the tables Roost already keeps.
import { type RawBuilder, sql } from "kysely";
import type { Db } from "../infra/db/index.ts";
import {
  type Args,
  type DayCount,
  dayOf,
  domainArg,
  fillDays,
  idArg,
  type Period,
  previousPeriod,
} from "./period.ts";

/** Where the rows come from; `day` and `inPeriod` place a row in time. */
interface Source {
  /** `from ... where ...` (the period is added with `and`). */
  from: RawBuilder<unknown>;
  day: RawBuilder<string>;
  inPeriod: (p: Period) => RawBuilder<unknown>;
  /** Aggregate per day, e.g. count(*). */
  value: RawBuilder<unknown>;
  /** Aggregate for the whole period when it isn't the sum of the days (distinct counts). */
  total?: RawBuilder<unknown>;
}

const at = (column: string): Pick<Source, "day" | "inPeriod"> => ({
  day: dayOf(column),
  inPeriod: (p) => sql`${sql.ref(column)} >= ${p.start} and ${sql.ref(column)} < ${p.end}`,
});

const activeDay: Pick<Source, "day" | "inPeriod"> = {
  day: sql<string>`to_char(daily_activity.day, 'YYYY-MM-DD')`,
  inPeriod: (p) =>
    sql`daily_activity.day >= ${p.start.toISOString().slice(0, 10)}::date
      and daily_activity.day < ${p.end.toISOString().slice(0, 10)}::date`,
};

const COUNT = sql`count(*)`;

/** Local statuses the instance's users got interactions on: favourites, boosts, replies. */
const interactionRows = sql`from (
    select f.created_at from favourites f join statuses s on s.id = f.status_id
      where s.local and f.account_id <> s.account_id
    union all
    select r.created_at from statuses r join statuses s on s.id = r.reblog_of_id
      where s.local and r.account_id <> s.account_id
    union all
    select r.created_at from statuses r join statuses s on s.id = r.in_reply_to_id
      where s.local and r.account_id <> s.account_id
  ) i where true`;

type MeasureDef = { unit?: string; source: (args: Args) => Source | undefined };

function tagSource(value: RawBuilder<unknown>) {
  return (args: Args): Source | undefined => {
    const id = idArg(args);
    if (!id) return undefined;
    return {
      from: sql`from status_tags st join statuses on statuses.id = st.status_id
        join accounts a on a.id = statuses.account_id where st.tag_id = ${id}`,
      ...at("statuses.created_at"),
      value,
      total: value,
    };
  };
}

function instanceSource(build: (domain: string) => Omit<Source, "day" | "inPeriod">, ts: string) {
  return (args: Args): Source | undefined => {
    const domain = domainArg(args);
    return domain ? { ...build(domain), ...at(ts) } : undefined;
  };
}

export const MEASURES: Record<string, MeasureDef> = {
  active_users: {
    source: () => ({
      from: sql`from daily_activity where true`,
      ...activeDay,
      value: COUNT,
      total: sql`count(distinct daily_activity.account_id)`,
    }),
  },
  new_users: {
    source: () => ({ from: sql`from users where true`, ...at("users.created_at"), value: COUNT }),
  },
  interactions: {
    source: () => ({ from: interactionRows, ...at("i.created_at"), value: COUNT }),
  },
  opened_reports: {
    source: () => ({
      from: sql`from reports where true`,
      ...at("reports.created_at"),
      value: COUNT,
    }),
  },
  resolved_reports: {
    source: () => ({
      from: sql`from reports where true`,
      ...at("reports.action_taken_at"),
      value: COUNT,
    }),
  },
  tag_accounts: { source: tagSource(sql`count(distinct statuses.account_id)`) },
  tag_uses: { source: tagSource(COUNT) },
  tag_servers: { source: tagSource(sql`count(distinct coalesce(a.domain, ''))`) },
  instance_accounts: {
    source: instanceSource(
      (d) => ({ from: sql`from accounts where accounts.domain = ${d}`, value: COUNT }),
      "accounts.created_at",
    ),
  },
  instance_statuses: {
    source: instanceSource(
      (d) => ({
        from: sql`from statuses join accounts a on a.id = statuses.account_id where a.domain = ${d}`,
        value: COUNT,
      }),
      "statuses.created_at",
    ),
  },
  instance_media_attachments: {
    unit: "bytes",
    source: instanceSource(
      (d) => ({
        from: sql`from media_attachments m join accounts a on a.id = m.account_id where a.domain = ${d}`,
        value: sql`coalesce(sum(m.file_size), 0)`,
      }),
      "m.created_at",
    ),
  },
  instance_reports: {
    source: instanceSource(
      (d) => ({
        from: sql`from reports join accounts a on a.id = reports.target_account_id where a.domain = ${d}`,
        value: COUNT,
      }),
      "reports.created_at",
    ),
  },
  // Their accounts following ours, and ours following theirs.
  instance_follows: {
    source: instanceSource(
      (d) => ({
        from: sql`from follows f join accounts a on a.id = f.account_id
          join accounts t on t.id = f.target_account_id where a.domain = ${d} and t.domain is null`,
        value: COUNT,
      }),
      "f.created_at",
    ),
  },
  instance_followers: {
    source: instanceSource(
      (d) => ({
        from: sql`from follows f join accounts a on a.id = f.account_id
          join accounts t on t.id = f.target_account_id where t.domain = ${d} and a.domain is null`,
        value: COUNT,
      }),
      "f.created_at",
    ),
  },
};

export interface MeasureEntity {
  key: string;
  unit: string | null;
  total: string;
  human_value?: string | null;
  previous_total: string | null;
  data: { date: string; value: string }[];
}

async function totalOf(db: Db, source: Source, p: Period): Promise<string> {
  const result = await sql<{ n: string | number | null }>`select ${
    source.total ?? source.value
  } as n ${source.from} and ${source.inPeriod(p)}`.execute(db);
  return String(result.rows[0]?.n ?? 0);
}

/** The measure `key` over `period`; undefined for unknown keys or missing arguments. */
export async function computeMeasure(
  db: Db,
  key: string,
  period: Period,
  args: Args,
): Promise<MeasureEntity | undefined> {
  const def = Object.hasOwn(MEASURES, key) ? MEASURES[key] : undefined;
  const source = def?.source(args);
  if (!def || !source) return undefined;
  const perDay = await sql<DayCount>`select ${source.day} as day, ${source.value} as n
    ${source.from} and ${source.inPeriod(period)} group by 1`.execute(db);
  const [total, previous] = await Promise.all([
    totalOf(db, source, period),
    totalOf(db, source, previousPeriod(period)),
  ]);
  return {
    key,
    unit: def.unit ?? null,
    total,
    previous_total: previous,
    data: fillDays(period, perDay.rows),
  };
}
