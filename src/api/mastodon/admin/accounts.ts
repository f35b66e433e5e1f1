// The admin accounts API (Mastodon's /api/v1/admin/accounts and /api/v2/admin/accounts).
// Listing and reading need manage_users; each action checks its own permission in
// src/moderation/account-actions.ts (a wrong role is a 403 there).
import { isIP } from "node:net";
import type { Context } from "hono";
import { Hono } from "hono";
import { z } from "zod";
import { requireAuth } from "../../../auth/middleware.ts";
import { parseRole, requirePermission } from "../../../auth/roles.ts";
import { queryParams, readParams } from "../../../http/body.ts";
import { ApiError } from "../../../http/errors.ts";
import { pageParams, setLinkHeader } from "../../../http/pagination.ts";
import type { AppEnv } from "../../../http/types.ts";
import type { Role } from "../../../infra/db/schema.ts";
import {
  ACTION_TYPES,
  approveAccount,
  deleteAccountData,
  performAccountAction,
  rejectAccount,
  type Staff,
  type UndoKind,
  undoAccountAction,
} from "../../../moderation/account-actions.ts";
import {
  type AccountFilter,
  adminAccountEntities,
  findAdminAccount,
  listAdminAccounts,
  serializeAdminAccount,
} from "../../../moderation/admin-accounts.ts";
import { parseParams, railsBoolean } from "../accounts-params.ts";

const READ = ["admin:read:accounts"];
const WRITE = ["admin:write:accounts"];
/** Mastodon's page size for admin lists. */
const PAGE = { defaultLimit: 100, maxLimit: 200 };

/** The signed-in staff member; requireAuth has made sure both rows exist. */
export function staffOf(c: Context<AppEnv>): Staff {
  const auth = c.get("auth");
  if (!auth?.account || !auth.user) throw ApiError.unauthorized();
  return { account: auth.account, user: auth.user };
}

function text(value: unknown): string | undefined {
  return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
}

function flag(value: unknown): boolean {
  return railsBoolean.safeParse(value ?? null).data === true;
}

function ipFilter(value: unknown): string | undefined {
  const ip = text(value);
  if (ip === undefined) return undefined;
  const [address, prefix, ...rest] = ip.split("/");
  const family = isIP(address ?? "");
  const max = family === 6 ? 128 : 32;
  const prefixOk = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= max);
  if (!family || !prefixOk || rest.length)
    throw ApiError.unprocessable("Validation failed: ip is invalid");
  return ip;
}

const V1_STATUSES = [
  "active",
  "pending",
  "disabled",
  "silenced",
  "suspended",
  "sensitized",
] as const;

/** v1's boolean filters, translated as Mastodon translates them to v2's. */
function v1Filter(q: Record<string, unknown>): AccountFilter {
  const filter: AccountFilter = {
    username: text(q.username),
    displayName: text(q.display_name),
    byDomain: text(q.by_domain),
    email: text(q.email),
    ip: ipFilter(q.ip),
  };
  if (flag(q.local)) filter.origin = "local";
  else if (flag(q.remote)) filter.origin = "remote";
  const status = V1_STATUSES.find((s) => flag(q[s]));
  if (status) filter.status = status;
  if (flag(q.staff)) filter.staff = true;
  return filter;
}

const ROLE_IDS: Record<string, Role> = {
  "-99": "user",
  "1": "moderator",
  "2": "admin",
  "3": "owner",
};

function v2Filter(q: Record<string, unknown>): AccountFilter {
  const origin = text(q.origin);
  const status = text(q.status);
  if (origin !== undefined && origin !== "local" && origin !== "remote") {
    throw ApiError.unprocessable("Validation failed: origin is invalid");
  }
  if (status !== undefined && !(V1_STATUSES as readonly string[]).includes(status)) {
    throw ApiError.unprocessable("Validation failed: status is invalid");
  }
  const filter: AccountFilter = {
    origin: origin as AccountFilter["origin"],
    status: status as AccountFilter["status"],
    username: text(q.username),
    displayName: text(q.display_name),
    byDomain: text(q.by_domain),
    email: text(q.email),
    ip: ipFilter(q.ip),
    invitedBy: text(q.invited_by),
  };
  if (text(q.permissions) === "staff") filter.staff = true;
  const roleIds = q.role_ids === undefined ? [] : [q.role_ids].flat();
  if (roleIds.length > 0) {
    filter.roles = roleIds.flatMap((id) => {
      const role = typeof id === "string" ? (ROLE_IDS[id] ?? parseRole(id)) : undefined;
      return role ? [role] : [];
    });
  }
  return filter;
}

const actionParams = z.object({
  type: z.enum(ACTION_TYPES),
  report_id: z.union([z.string(), z.number()]).transform(String).optional(),
  warning_preset_id: z.union([z.string(), z.number()]).transform(String).optional(),
  text: z.string().max(5000).optional(),
  send_email_notification: railsBoolean.optional(),
});

export function adminAccountRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const list = (version: "v1" | "v2") => async (c: Context<AppEnv>) => {
    const q = queryParams(c);
    const filter = version === "v1" ? v1Filter(q) : v2Filter(q);
    const page = pageParams(c, PAGE);
    const { db, config } = c.get("services");
    const ids = await listAdminAccounts(db, filter, page);
    setLinkHeader(c, { newest: ids[0], oldest: ids.at(-1) }, config.publicUrl);
    return c.json(await adminAccountEntities(db, config, ids));
  };
  app.get("/v1/admin/accounts", requireAuth(READ), requirePermission("manage_users"), list("v1"));
  app.get("/v2/admin/accounts", requireAuth(READ), requirePermission("manage_users"), list("v2"));

  const render = async (c: Context<AppEnv>, id: string) => {
    const { db, config } = c.get("services");
    const { account, user } = await findAdminAccount(db, id);
    return c.json(serializeAdminAccount(account, user, config));
  };

  app.get("/v1/admin/accounts/:id", requireAuth(READ), requirePermission("manage_users"), (c) =>
    render(c, c.req.param("id")),
  );

  app.post("/v1/admin/accounts/:id/approve", requireAuth(WRITE), async (c) => {
    await approveAccount(c.get("services"), staffOf(c), c.req.param("id"));
    return render(c, c.req.param("id"));
  });

  app.post("/v1/admin/accounts/:id/reject", requireAuth(WRITE), async (c) => {
    const { config } = c.get("services");
    const gone = await rejectAccount(c.get("services"), staffOf(c), c.req.param("id"));
    return c.json(serializeAdminAccount(gone.account, gone.user, config));
  });

  app.post("/v1/admin/accounts/:id/action", requireAuth(WRITE), async (c) => {
    const p = parseParams(actionParams, await readParams(c));
    await performAccountAction(c.get("services"), staffOf(c), c.req.param("id"), {
      type: p.type,
      reportId: p.report_id,
      warningPresetId: p.warning_preset_id,
      text: p.text,
      sendEmailNotification: p.send_email_notification,
    });
    return c.json({});
  });

  for (const kind of ["enable", "unsilence", "unsuspend", "unsensitive"] as UndoKind[]) {
    app.post(`/v1/admin/accounts/:id/${kind}`, requireAuth(WRITE), async (c) => {
      await undoAccountAction(c.get("services"), staffOf(c), c.req.param("id"), kind);
      return render(c, c.req.param("id"));
    });
  }

  app.delete("/v1/admin/accounts/:id", requireAuth(WRITE), async (c) => {
    const { config } = c.get("services");
    const gone = await deleteAccountData(c.get("services"), staffOf(c), c.req.param("id"));
    return c.json(serializeAdminAccount(gone.account, gone.user, config));
  });

  return app;
}
