// /api/v1/admin/settings: the instance settings (a Roost extension: Mastodon edits them in
// its web admin). GET shows the values in force; PATCH changes some of them (null resets
// one to the configured default). Needs manage_settings.
import { Hono } from "hono";
import { requireAuth } from "../../../auth/middleware.ts";
import { requirePermission } from "../../../auth/roles.ts";
import { readParams } from "../../../http/body.ts";
import type { AppEnv } from "../../../http/types.ts";
import { adminSettingsView, updateAdminSettings } from "../../../instance/admin-settings.ts";
import { getInstanceSettings } from "../../../instance/settings.ts";

const ALLOWED = requirePermission("manage_settings");

export function adminSettingsRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/v1/admin/settings", requireAuth(["admin:read"]), ALLOWED, async (c) => {
    const { db, config } = c.get("services");
    return c.json(adminSettingsView(await getInstanceSettings(db, config)));
  });

  app.patch("/v1/admin/settings", requireAuth(["admin:write"]), ALLOWED, async (c) => {
    const { db, config } = c.get("services");
    const params = await readParams(c);
    const settings = await updateAdminSettings(db, config, c.get("auth")!.account!.id, params);
    return c.json(adminSettingsView(settings));
  });

  return app;
}
