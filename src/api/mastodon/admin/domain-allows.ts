// /api/v1/admin/domain_allows: the allowlist used under LIMITED_FEDERATION_MODE
// (manage_federation).
import { Hono } from "hono";
import { requireAuth } from "../../../auth/middleware.ts";
import { requirePermission } from "../../../auth/roles.ts";
import { readParams } from "../../../http/body.ts";
import type { AppEnv } from "../../../http/types.ts";
import {
  createDomainAllow,
  deleteDomainAllow,
  findDomainAllow,
  serializeDomainAllow,
} from "../../../moderation/domain-allows.ts";
import { adminPage } from "./domain-blocks.ts";

const READ = requireAuth(["admin:read", "admin:read:domain_allows"]);
const WRITE = requireAuth(["admin:write", "admin:write:domain_allows"]);
const ALLOWED = requirePermission("manage_federation");

export function adminDomainAllowRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/v1/admin/domain_allows", READ, ALLOWED, async (c) => {
    const rows = await adminPage(c, "domain_allows");
    return c.json(rows.map(serializeDomainAllow));
  });

  app.get("/v1/admin/domain_allows/:id", READ, ALLOWED, async (c) => {
    return c.json(
      serializeDomainAllow(await findDomainAllow(c.get("services").db, c.req.param("id"))),
    );
  });

  app.post("/v1/admin/domain_allows", WRITE, ALLOWED, async (c) => {
    const params = await readParams(c);
    const actor = c.get("auth")!.account!.id;
    const row = await createDomainAllow(c.get("services").db, actor, params.domain);
    return c.json(serializeDomainAllow(row));
  });

  app.delete("/v1/admin/domain_allows/:id", WRITE, ALLOWED, async (c) => {
    const actor = c.get("auth")!.account!.id;
    await deleteDomainAllow(c.get("services").db, actor, c.req.param("id"));
    return c.json({});
  });

  return app;
}
