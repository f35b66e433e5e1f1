// POST /api/v1/reports: a user reports an account (and some of its posts) to the staff,
// optionally forwarding it (anonymously) to the account's server.
import { Hono } from "hono";
import { z } from "zod";
import { currentAccount, requireAuth } from "../../auth/middleware.ts";
import { readParams } from "../../http/body.ts";
import type { AppEnv } from "../../http/types.ts";
import { createReport, REPORT_CATEGORIES } from "../../moderation/reports.ts";
import { serializeReport } from "../../moderation/reports-serializer.ts";
import { idList, parseParams, railsBoolean } from "./accounts-params.ts";

const stringList = z
  .union([z.array(z.union([z.string(), z.number()])), z.string(), z.number()])
  .optional()
  .transform((v) => (v === undefined ? [] : (Array.isArray(v) ? v : [v]).map(String)));

const reportParams = z.object({
  account_id: z.union([z.string(), z.number()]).transform(String),
  status_ids: z.unknown().optional(),
  comment: z.string().optional().default(""),
  category: z.enum(REPORT_CATEGORIES as [string, ...string[]]).optional(),
  rule_ids: stringList,
  forward: railsBoolean.optional(),
  forward_to_domains: stringList,
});

export function reportRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.post("/v1/reports", requireAuth("write:reports"), async (c) => {
    const reporter = currentAccount(c);
    const p = parseParams(reportParams, await readParams(c));
    const services = c.get("services");
    const report = await createReport(services, reporter, {
      targetAccountId: p.account_id,
      statusIds: idList(p.status_ids, 100),
      comment: p.comment,
      category: p.category as (typeof REPORT_CATEGORIES)[number] | undefined,
      ruleIds: p.rule_ids,
      forward: p.forward ?? false,
      forwardToDomains: p.forward_to_domains,
    });
    const target = await services.db
      .selectFrom("accounts")
      .selectAll()
      .where("id", "=", report.target_account_id)
      .executeTakeFirstOrThrow();
    return c.json(serializeReport(report, target, services.config));
  });

  return app;
}
