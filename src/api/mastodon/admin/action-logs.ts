// GET /api/v1/admin/action_logs: the audit log of staff actions. A Roost extension (Mastodon
// shows its audit log only in the web admin); documented in docs/moderation.md. Needs the
// view_audit_log permission and an admin:read token.
import { Hono } from "hono";
import { requireAuth } from "../../../auth/middleware.ts";
import { requirePermission } from "../../../auth/roles.ts";
import { pageParams, setLinkHeader } from "../../../http/pagination.ts";
import type { AppEnv } from "../../../http/types.ts";
import { adminAccountEntities } from "../../../moderation/admin-accounts.ts";
import { type AuditRow, listActions } from "../../../moderation/audit-log.ts";

const ID = /^\d{1,19}$/;

export function adminActionLogRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get(
    "/v1/admin/action_logs",
    requireAuth(["admin:read"]),
    requirePermission("view_audit_log"),
    async (c) => {
      const page = pageParams(c, { defaultLimit: 40, maxLimit: 200 });
      const accountId = c.req.query("account_id");
      if (accountId && !ID.test(accountId)) return c.json([]);
      const { db, config } = c.get("services");
      const rows = await listActions(db, {
        ...page,
        accountId: accountId || undefined,
        action: c.req.query("action") || undefined,
        targetType: c.req.query("target_type") || undefined,
        targetId: c.req.query("target_id") || undefined,
      });
      const actors = await adminAccountEntities(db, config, [
        ...new Set(rows.flatMap((r) => (r.account_id ? [r.account_id] : []))),
      ]);
      const actorById = new Map(actors.map((a) => [a.id, a.account]));
      setLinkHeader(c, { newest: rows[0]?.id, oldest: rows.at(-1)?.id }, config.publicUrl);
      return c.json(
        rows.map((r: AuditRow) => ({
          id: r.id,
          action: r.action,
          target_type: r.target_type,
          target_id: r.target_id,
          human_identifier: r.human_identifier,
          details: r.details,
          created_at: r.created_at.toISOString(),
          account: r.account_id ? (actorById.get(r.account_id) ?? null) : null,
        })),
      );
    },
  );

  return app;
}
