// /api/v1/admin/rules: the server rules (a Roost extension: Mastodon edits rules only in
// its web admin). Listed publicly at /api/v1/instance/rules; manage_rules to change them.
import { type Context, Hono } from "hono";
import { z } from "zod";
import { requireAuth } from "../../../auth/middleware.ts";
import { requirePermission } from "../../../auth/roles.ts";
import { readParams } from "../../../http/body.ts";
import type { AppEnv } from "../../../http/types.ts";
import type { Db } from "../../../infra/db/index.ts";
import {
  activeRules,
  createRule,
  deleteRule,
  findRule,
  RULE_HINT_MAX,
  RULE_TEXT_MAX,
  type RuleRow,
  serializeRule,
  updateRule,
} from "../../../instance/rules.ts";
import { recordAction } from "../../../moderation/audit-log.ts";
import { parseWith } from "./domain-blocks.ts";

const READ = requireAuth(["admin:read"]);
const WRITE = requireAuth(["admin:write"]);
const ALLOWED = requirePermission("manage_rules");

const priority = z.preprocess(
  (v) => (typeof v === "string" && v !== "" ? Number(v) : v),
  z.number().int().min(-1000).max(1000),
);

const createParams = z.object({
  text: z.string().trim().min(1).max(RULE_TEXT_MAX),
  hint: z.string().max(RULE_HINT_MAX).optional(),
  priority: priority.optional(),
});
const updateParams = createParams.partial();

/** Makes a rule change and records it in the audit log, in one transaction. */
function auditedChange(
  c: Context<AppEnv>,
  action: "create" | "update" | "destroy",
  change: (trx: Db) => Promise<RuleRow>,
): Promise<RuleRow> {
  const actor = c.get("auth")!.account!.id;
  return c
    .get("services")
    .db.transaction()
    .execute(async (trx) => {
      const row = await change(trx);
      await recordAction(trx, {
        accountId: actor,
        action,
        targetType: "Rule",
        targetId: row.id,
        humanIdentifier: row.text.slice(0, 100),
      });
      return row;
    });
}

export function adminRuleRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/v1/admin/rules", READ, ALLOWED, async (c) => {
    return c.json((await activeRules(c.get("services").db)) ?? []);
  });

  app.get("/v1/admin/rules/:id", READ, ALLOWED, async (c) => {
    return c.json(serializeRule(await findRule(c.get("services").db, c.req.param("id"))));
  });

  app.post("/v1/admin/rules", WRITE, ALLOWED, async (c) => {
    const input = parseWith(createParams, await readParams(c));
    const row = await auditedChange(c, "create", (trx) => createRule(trx, input));
    return c.json(serializeRule(row));
  });

  app.put("/v1/admin/rules/:id", WRITE, ALLOWED, async (c) => {
    const input = parseWith(updateParams, await readParams(c));
    const row = await auditedChange(c, "update", (trx) =>
      updateRule(trx, c.req.param("id"), input),
    );
    return c.json(serializeRule(row));
  });

  app.delete("/v1/admin/rules/:id", WRITE, ALLOWED, async (c) => {
    await auditedChange(c, "destroy", (trx) => deleteRule(trx, c.req.param("id")));
    return c.json({});
  });

  return app;
}
