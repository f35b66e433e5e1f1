// Admin::Cohort (POST /api/v1/admin/retention): users grouped by the day or month they
// signed up, and for each later day or month of the period, how many of them were active
// (used the API; src/analytics/activity.ts) and what share of the cohort that is.
import { sql } from "kysely";
import type { Db } from "../infra/db/index.ts";
import type { Period } from "./period.ts";

export type Frequency = "day" | "month";

export interface CohortEntity {
  period: string;
  frequency: Frequency;
  data: { date: string; rate: number; value: string }[];
}

/** Starts of each day or month touching the period, as `YYYY-MM-DD`. */
function buckets(p: Period, frequency: Frequency): string[] {
  const out: string[] = [];
  const cursor = new Date(p.start);
  if (frequency === "month") cursor.setUTCDate(1);
  while (cursor < p.end) {
    out.push(cursor.toISOString().slice(0, 10));
    if (frequency === "day") cursor.setUTCDate(cursor.getUTCDate() + 1);
    else cursor.setUTCMonth(cursor.getUTCMonth() + 1);
  }
  return out;
}

export async function computeRetention(
  db: Db,
  period: Period,
  frequency: Frequency,
): Promise<CohortEntity[]> {
  const unit = sql.lit(frequency);
  const startDay = period.start.toISOString().slice(0, 10);
  const endDay = period.end.toISOString().slice(0, 10);
  const sizes = await sql<{ period: string; n: string }>`
    select to_char(date_trunc(${unit}, u.created_at at time zone 'UTC'), 'YYYY-MM-DD') as period,
      count(*) as n
    from users u where u.created_at >= ${period.start} and u.created_at < ${period.end}
    group by 1`.execute(db);
  const active = await sql<{ period: string; bucket: string; n: string }>`
    with cohort as (
      select u.account_id, date_trunc(${unit}, u.created_at at time zone 'UTC') as period
      from users u where u.created_at >= ${period.start} and u.created_at < ${period.end}
    )
    select to_char(c.period, 'YYYY-MM-DD') as period,
      to_char(date_trunc(${unit}, d.day::timestamp), 'YYYY-MM-DD') as bucket,
      count(distinct c.account_id) as n
    from cohort c join daily_activity d on d.account_id = c.account_id
    where d.day >= ${startDay}::date and d.day < ${endDay}::date
      and date_trunc(${unit}, d.day::timestamp) >= c.period
    group by 1, 2`.execute(db);

  const size = new Map(sizes.rows.map((r) => [r.period, Number(r.n)]));
  const activeIn = new Map(active.rows.map((r) => [`${r.period}/${r.bucket}`, Number(r.n)]));
  const all = buckets(period, frequency);
  return all.map((cohort) => {
    const n = size.get(cohort) ?? 0;
    return {
      period: `${cohort}T00:00:00Z`,
      frequency,
      data: all
        .filter((b) => b >= cohort)
        .map((b) => {
          const value = activeIn.get(`${cohort}/${b}`) ?? 0;
          return { date: `${b}T00:00:00Z`, rate: n ? value / n : 0, value: String(value) };
        }),
    };
  });
}
