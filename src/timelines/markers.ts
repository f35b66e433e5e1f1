// Read positions (`/api/v1/markers`) in the home timeline and the notifications, synced
// between a user's apps. Each save bumps `version`, Mastodon's optimistic-lock counter.
import { sql } from "kysely";
import type { Db } from "../infra/db/index.ts";
import type { MarkersTable } from "../infra/db/schema.ts";

export type MarkerTimeline = MarkersTable["timeline"];
export const MARKER_TIMELINES: readonly MarkerTimeline[] = ["home", "notifications"];

export interface MarkerEntity {
  last_read_id: string;
  version: number;
  updated_at: string;
}

export async function getMarkers(
  db: Db,
  accountId: string,
  timelines: readonly MarkerTimeline[],
): Promise<Record<string, MarkerEntity>> {
  if (timelines.length === 0) return {};
  const rows = await db
    .selectFrom("markers")
    .selectAll()
    .where("account_id", "=", accountId)
    .where("timeline", "in", timelines)
    .execute();
  return Object.fromEntries(rows.map((r) => [r.timeline, markerEntity(r)]));
}

/** Saves the given positions; returns the saved markers. */
export async function saveMarkers(
  db: Db,
  accountId: string,
  positions: Partial<Record<MarkerTimeline, string>>,
): Promise<Record<string, MarkerEntity>> {
  const out: Record<string, MarkerEntity> = {};
  for (const timeline of MARKER_TIMELINES) {
    const lastReadId = positions[timeline];
    if (lastReadId === undefined) continue;
    const row = await db
      .insertInto("markers")
      .values({ account_id: accountId, timeline, last_read_id: lastReadId })
      .onConflict((oc) =>
        oc.columns(["account_id", "timeline"]).doUpdateSet({
          last_read_id: lastReadId,
          version: sql`markers.version + 1`,
          updated_at: sql`now()`,
        }),
      )
      .returningAll()
      .executeTakeFirstOrThrow();
    out[timeline] = markerEntity(row);
  }
  return out;
}

function markerEntity(row: { last_read_id: string; version: number; updated_at: Date }) {
  return {
    last_read_id: row.last_read_id,
    version: row.version,
    updated_at: new Date(row.updated_at).toISOString(),
  };
}
