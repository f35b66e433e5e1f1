// The date range every admin analytics endpoint takes (`start_at`, `end_at`), as whole UTC
// days, the per-day counting they share, and the key arguments measures and dimensions read.
import { type RawBuilder, sql } from "kysely";
import { ApiError } from "../http/errors.ts";
import type { Db } from "../infra/db/index.ts";

const DAY_MS = 24 * 60 * 60 * 1000;
/** Bounds the work of one request: a year and a bit of daily buckets. */
export const MAX_DAYS = 400;

export interface Period {
  /** Midnight UTC of the first day. */
  start: Date;
  /** Midnight UTC after the last day (exclusive). */
  end: Date;
}

function midnight(at: Date): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
}

function parseDay(raw: unknown, name: string): Date {
  if (typeof raw !== "string" || raw.length > 40) throw new ApiError(422, `${name} is invalid`);
  const at = new Date(raw);
  if (Number.isNaN(at.getTime())) throw new ApiError(422, `${name} is invalid`);
  return midnight(at);
}

/** Mastodon's defaults when a date is missing: the 29 days up to today. */
export function periodOf(params: Record<string, unknown>, now = new Date()): Period {
  const endDay =
    params.end_at === undefined || params.end_at === ""
      ? midnight(now)
      : parseDay(params.end_at, "end_at");
  const start =
    params.start_at === undefined || params.start_at === ""
      ? new Date(endDay.getTime() - 29 * DAY_MS)
      : parseDay(params.start_at, "start_at");
  const end = new Date(endDay.getTime() + DAY_MS);
  if (start >= end) throw new ApiError(422, "start_at must be before end_at");
  if ((end.getTime() - start.getTime()) / DAY_MS > MAX_DAYS) {
    throw new ApiError(422, `The period may cover at most ${MAX_DAYS} days`);
  }
  return { start, end };
}

/** The period just before, of the same length (Mastodon's `previous_total`). */
export function previousPeriod(p: Period): Period {
  const length = p.end.getTime() - p.start.getTime();
  return { start: new Date(p.start.getTime() - length), end: p.start };
}

export function daysOf(p: Period): string[] {
  const days: string[] = [];
  for (let t = p.start.getTime(); t < p.end.getTime(); t += DAY_MS) {
    days.push(new Date(t).toISOString().slice(0, 10));
  }
  return days;
}

/** `YYYY-MM-DD` of a timestamp column, in UTC. */
export function dayOf(column: string): RawBuilder<string> {
  return sql<string>`to_char(${sql.ref(column)} at time zone 'UTC', 'YYYY-MM-DD')`;
}

export interface DayCount {
  day: string;
  n: string | number;
}

/** One value per day of the period, 0 where the query had no row. */
export function fillDays(p: Period, rows: DayCount[]): { date: string; value: string }[] {
  const byDay = new Map(rows.map((r) => [r.day, String(r.n)]));
  return daysOf(p).map((day) => ({ date: `${day}T00:00:00Z`, value: byDay.get(day) ?? "0" }));
}

/** The extra arguments a measure or dimension key takes (`tag_uses[id]=...`). */
export type Args = Record<string, unknown>;

/** A key's `id` argument when it is a well-formed id (anything else means no data). */
export function idArg(args: Args): string | undefined {
  const id = args.id;
  return typeof id === "string" && /^\d{1,20}$/.test(id) ? id : undefined;
}

/** A key's `domain` argument, lowercased, when it can be a domain name at all. */
export function domainArg(args: Args): string | undefined {
  const domain = args.domain;
  return typeof domain === "string" && domain.length > 0 && domain.length <= 253
    ? domain.toLowerCase()
    : undefined;
}

export type { Db };
