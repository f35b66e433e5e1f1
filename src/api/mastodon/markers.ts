// GET/POST /api/v1/markers: read positions in home and notifications.
import { Hono } from "hono";
import { currentAccount, requireAuth } from "../../auth/middleware.ts";
import { queryParams, readParams } from "../../http/body.ts";
import { ApiError } from "../../http/errors.ts";
import type { AppEnv } from "../../http/types.ts";
import {
  getMarkers,
  MARKER_TIMELINES,
  type MarkerTimeline,
  saveMarkers,
} from "../../timelines/markers.ts";
import { listParam } from "../../timelines/paging.ts";

const ID = /^\d{1,20}$/;

export function markerRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/v1/markers", requireAuth(["read", "read:statuses"]), async (c) => {
    const wanted = listParam(queryParams(c).timeline).filter((t): t is MarkerTimeline =>
      MARKER_TIMELINES.includes(t as MarkerTimeline),
    );
    return c.json(await getMarkers(c.get("services").db, currentAccount(c).id, wanted));
  });

  app.post("/v1/markers", requireAuth(["write", "write:statuses"]), async (c) => {
    const params = { ...queryParams(c), ...(await readParams(c)) };
    const positions: Partial<Record<MarkerTimeline, string>> = {};
    for (const timeline of MARKER_TIMELINES) {
      const value = params[timeline];
      if (value === undefined) continue;
      const id =
        typeof value === "object" && value !== null
          ? (value as Record<string, unknown>).last_read_id
          : undefined;
      const text = typeof id === "number" ? String(id) : id;
      if (typeof text !== "string" || !ID.test(text)) {
        throw ApiError.unprocessable(`Validation failed: ${timeline} last_read_id is invalid`);
      }
      positions[timeline] = text;
    }
    return c.json(await saveMarkers(c.get("services").db, currentAccount(c).id, positions));
  });

  return app;
}
