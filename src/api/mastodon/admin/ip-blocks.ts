// /api/v1/admin/ip_blocks: address ranges held for approval, refused at sign-up, or shut
// out entirely (manage_blocks).
import { Hono } from "hono";
import { z } from "zod";
import { requireAuth } from "../../../auth/middleware.ts";
import { requirePermission } from "../../../auth/roles.ts";
import { readParams } from "../../../http/body.ts";
import type { AppEnv } from "../../../http/types.ts";
import {
  createIpBlock,
  deleteIpBlock,
  findIpBlock,
  type IpBlockInput,
  serializeIpBlock,
  updateIpBlock,
} from "../../../moderation/ip-blocks.ts";
import { adminPage, parseWith } from "./domain-blocks.ts";

const READ = requireAuth(["admin:read", "admin:read:ip_blocks"]);
const WRITE = requireAuth(["admin:write", "admin:write:ip_blocks"]);
const ALLOWED = requirePermission("manage_blocks");

// Forms send numbers as strings and "" for "no expiry".
const seconds = z.preprocess(
  (v) => (v === "" || v === null ? null : typeof v === "string" ? Number(v) : v),
  z
    .number()
    .int()
    .min(1)
    .max(10 * 365 * 86_400)
    .nullable(),
);

const blockParams = z.object({
  ip: z.string().optional(),
  severity: z.enum(["sign_up_requires_approval", "sign_up_block", "no_access"]).optional(),
  comment: z.string().max(1000).optional(),
  expires_in: seconds.optional(),
});

function toInput(params: z.output<typeof blockParams>): IpBlockInput {
  return {
    ip: params.ip,
    severity: params.severity,
    comment: params.comment,
    expiresIn: params.expires_in,
  };
}

export function adminIpBlockRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/v1/admin/ip_blocks", READ, ALLOWED, async (c) => {
    const rows = await adminPage(c, "ip_blocks");
    return c.json(rows.map(serializeIpBlock));
  });

  app.get("/v1/admin/ip_blocks/:id", READ, ALLOWED, async (c) => {
    return c.json(serializeIpBlock(await findIpBlock(c.get("services").db, c.req.param("id"))));
  });

  app.post("/v1/admin/ip_blocks", WRITE, ALLOWED, async (c) => {
    const input = toInput(parseWith(blockParams, await readParams(c)));
    const row = await createIpBlock(c.get("services").db, c.get("auth")!.account!.id, input);
    return c.json(serializeIpBlock(row));
  });

  app.put("/v1/admin/ip_blocks/:id", WRITE, ALLOWED, async (c) => {
    const input = toInput(parseWith(blockParams, await readParams(c)));
    const row = await updateIpBlock(
      c.get("services").db,
      c.get("auth")!.account!.id,
      c.req.param("id"),
      input,
    );
    return c.json(serializeIpBlock(row));
  });

  app.delete("/v1/admin/ip_blocks/:id", WRITE, ALLOWED, async (c) => {
    await deleteIpBlock(c.get("services").db, c.get("auth")!.account!.id, c.req.param("id"));
    return c.json({});
  });

  return app;
}
