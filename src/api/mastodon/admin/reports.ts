// The admin reports API (Mastodon's /api/v1/admin/reports): list, read, recategorize,
// assign, resolve and reopen. Everything needs manage_reports.
import type { Context } from "hono";
import { Hono } from "hono";
import { z } from "zod";
import { requireAuth } from "../../../auth/middleware.ts";
import { requirePermission } from "../../../auth/roles.ts";
import { readParams } from "../../../http/body.ts";
import { pageParams, setLinkHeader } from "../../../http/pagination.ts";
import type { AppEnv } from "../../../http/types.ts";
import type { ReportCategory } from "../../../infra/db/schema.ts";
import {
  changeReport,
  getReport,
  listReports,
  REPORT_CATEGORIES,
  type ReportAction,
  type ReportRow,
  updateReport,
} from "../../../moderation/reports.ts";
import { serializeAdminReports } from "../../../moderation/reports-serializer.ts";
import { parseParams, railsBoolean } from "../accounts-params.ts";
import { staffOf } from "./accounts.ts";

const READ = [requireAuth(["admin:read:reports"]), requirePermission("manage_reports")] as const;
const WRITE = [requireAuth(["admin:write:reports"]), requirePermission("manage_reports")] as const;
const ID = /^\d{1,19}$/;

const updateParams = z.object({
  category: z.enum(REPORT_CATEGORIES as [ReportCategory, ...ReportCategory[]]).optional(),
  rule_ids: z
    .union([z.array(z.union([z.string(), z.number()])), z.string(), z.number()])
    .optional()
    .transform((v) => (v === undefined ? undefined : (Array.isArray(v) ? v : [v]).map(String))),
});

async function one(c: Context<AppEnv>, report: ReportRow) {
  const services = c.get("services");
  const [entity] = await serializeAdminReports(services, staffOf(c).account, [report]);
  return c.json(entity);
}

export function adminReportRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/v1/admin/reports", ...READ, async (c) => {
    const page = pageParams(c, { defaultLimit: 100, maxLimit: 200 });
    const id = (name: string) => {
      const v = c.req.query(name);
      return v && ID.test(v) ? v : undefined;
    };
    // A malformed account filter matches nothing rather than everything.
    for (const name of ["account_id", "target_account_id"]) {
      if (c.req.query(name) && !id(name)) return c.json([]);
    }
    const services = c.get("services");
    const rows = await listReports(services.db, {
      ...page,
      resolved: railsBoolean.safeParse(c.req.query("resolved") ?? null).data === true,
      accountId: id("account_id"),
      targetAccountId: id("target_account_id"),
    });
    setLinkHeader(c, { newest: rows[0]?.id, oldest: rows.at(-1)?.id }, services.config.publicUrl);
    return c.json(await serializeAdminReports(services, staffOf(c).account, rows));
  });

  app.get("/v1/admin/reports/:id", ...READ, async (c) =>
    one(c, await getReport(c.get("services").db, c.req.param("id"))),
  );

  app.put("/v1/admin/reports/:id", ...WRITE, async (c) => {
    const p = parseParams(updateParams, await readParams(c));
    const report = await updateReport(c.get("services"), staffOf(c).account, c.req.param("id"), {
      category: p.category,
      ruleIds: p.rule_ids,
    });
    return one(c, report);
  });

  for (const action of ["assign_to_self", "unassign", "resolve", "reopen"] as ReportAction[]) {
    app.post(`/v1/admin/reports/:id/${action}`, ...WRITE, async (c) => {
      const report = await changeReport(
        c.get("services").db,
        staffOf(c).account,
        c.req.param("id"),
        action,
      );
      return one(c, report);
    });
  }

  return app;
}
