// The admin dashboard's numbers: POST /api/v1/admin/measures, /dimensions and /retention
// (view_dashboard, admin:read). Unknown keys are left out of the answer, as in Mastodon.
import { Hono } from "hono";
import { z } from "zod";
import { computeDimension } from "../../../analytics/dimensions.ts";
import { computeMeasure } from "../../../analytics/measures.ts";
import { periodOf } from "../../../analytics/period.ts";
import { computeRetention } from "../../../analytics/retention.ts";
import { requireAuth } from "../../../auth/middleware.ts";
import { requirePermission } from "../../../auth/roles.ts";
import { type Params, queryParams, readParams } from "../../../http/body.ts";
import { ApiError } from "../../../http/errors.ts";
import type { AppEnv } from "../../../http/types.ts";

const READ = requireAuth(["admin:read"]);
const DASHBOARD = requirePermission("view_dashboard");
/** Day cohorts are a square of days: a shorter range than the other endpoints allow. */
const MAX_DAILY_COHORT_DAYS = 92;

const keysSchema = z.array(z.string().max(64)).max(32);

async function params(c: Parameters<typeof readParams>[0]): Promise<Params> {
  return { ...queryParams(c), ...(await readParams(c)) };
}

function keysOf(p: Params): string[] {
  const raw = typeof p.keys === "string" ? [p.keys] : (p.keys ?? []);
  const parsed = keysSchema.safeParse(raw);
  if (!parsed.success) throw new ApiError(422, "keys must be a list of names");
  return [...new Set(parsed.data)];
}

/** Per-key arguments: `tag_accounts[id]=1` arrives as { tag_accounts: { id: "1" } }. */
function argsOf(p: Params, key: string): Record<string, unknown> {
  const value = p[key];
  return value && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

export function adminAnalyticsRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.post("/v1/admin/measures", READ, DASHBOARD, async (c) => {
    const p = await params(c);
    const period = periodOf(p);
    const { db } = c.get("services");
    const results = [];
    for (const key of keysOf(p)) {
      const measure = await computeMeasure(db, key, period, argsOf(p, key));
      if (measure) results.push(measure);
    }
    return c.json(results);
  });

  app.post("/v1/admin/dimensions", READ, DASHBOARD, async (c) => {
    const p = await params(c);
    const period = periodOf(p);
    const limit = z.coerce.number().int().min(1).max(100).default(10).safeParse(p.limit);
    if (!limit.success) throw new ApiError(422, "limit must be between 1 and 100");
    const services = c.get("services");
    const results = [];
    for (const key of keysOf(p)) {
      const dimension = await computeDimension(services, key, period, limit.data, argsOf(p, key));
      if (dimension) results.push(dimension);
    }
    return c.json(results);
  });

  app.post("/v1/admin/retention", READ, DASHBOARD, async (c) => {
    const p = await params(c);
    const period = periodOf(p);
    const frequency = p.frequency === undefined ? "day" : p.frequency;
    if (frequency !== "day" && frequency !== "month") {
      throw new ApiError(422, "frequency must be day or month");
    }
    const days = (period.end.getTime() - period.start.getTime()) / 86_400_000;
    if (frequency === "day" && days > MAX_DAILY_COHORT_DAYS) {
      throw new ApiError(422, `Daily cohorts cover at most ${MAX_DAILY_COHORT_DAYS} days`);
    }
    return c.json(await computeRetention(c.get("services").db, period, frequency));
  });

  return app;
}
