// /api/v1/admin/email_domain_blocks: email domains that may not sign up (manage_blocks).
import { Hono } from "hono";
import { requireAuth } from "../../../auth/middleware.ts";
import { requirePermission } from "../../../auth/roles.ts";
import { readParams } from "../../../http/body.ts";
import type { AppEnv } from "../../../http/types.ts";
import {
  createEmailDomainBlock,
  deleteEmailDomainBlock,
  findEmailDomainBlock,
  serializeEmailDomainBlocks,
} from "../../../moderation/email-blocks.ts";
import { adminPage, formBool } from "./domain-blocks.ts";

const READ = requireAuth(["admin:read", "admin:read:email_domain_blocks"]);
const WRITE = requireAuth(["admin:write", "admin:write:email_domain_blocks"]);
const ALLOWED = requirePermission("manage_blocks");

export function adminEmailDomainBlockRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/v1/admin/email_domain_blocks", READ, ALLOWED, async (c) => {
    const rows = await adminPage(c, "email_domain_blocks");
    return c.json(await serializeEmailDomainBlocks(c.get("services").db, rows));
  });

  app.get("/v1/admin/email_domain_blocks/:id", READ, ALLOWED, async (c) => {
    const { db } = c.get("services");
    const row = await findEmailDomainBlock(db, c.req.param("id"));
    return c.json((await serializeEmailDomainBlocks(db, [row]))[0]);
  });

  app.post("/v1/admin/email_domain_blocks", WRITE, ALLOWED, async (c) => {
    const { db } = c.get("services");
    const params = await readParams(c);
    const approval = formBool.safeParse(params.allow_with_approval ?? false);
    const row = await createEmailDomainBlock(
      db,
      c.get("auth")!.account!.id,
      params.domain,
      approval.success && approval.data,
    );
    return c.json((await serializeEmailDomainBlocks(db, [row]))[0]);
  });

  app.delete("/v1/admin/email_domain_blocks/:id", WRITE, ALLOWED, async (c) => {
    await deleteEmailDomainBlock(
      c.get("services").db,
      c.get("auth")!.account!.id,
      c.req.param("id"),
    );
    return c.json({});
  });

  return app;
}
