// /api/v1/admin/canonical_email_blocks: single addresses (in every spelling) that may not
// sign up, stored as hashes (manage_blocks).
import { Hono } from "hono";
import { requireAuth } from "../../../auth/middleware.ts";
import { requirePermission } from "../../../auth/roles.ts";
import { readParams } from "../../../http/body.ts";
import { ApiError } from "../../../http/errors.ts";
import type { AppEnv } from "../../../http/types.ts";
import {
  canonicalEmailBlocksFor,
  createCanonicalEmailBlock,
  deleteCanonicalEmailBlock,
  findCanonicalEmailBlock,
  serializeCanonicalEmailBlock,
} from "../../../moderation/email-blocks.ts";
import { adminPage } from "./domain-blocks.ts";

const READ = requireAuth(["admin:read", "admin:read:canonical_email_blocks"]);
const WRITE = requireAuth(["admin:write", "admin:write:canonical_email_blocks"]);
const ALLOWED = requirePermission("manage_blocks");

export function adminCanonicalEmailBlockRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/v1/admin/canonical_email_blocks", READ, ALLOWED, async (c) => {
    const rows = await adminPage(c, "canonical_email_blocks");
    return c.json(rows.map(serializeCanonicalEmailBlock));
  });

  // Before `/:id`: which blocks match this address? (a POST, so the address is not logged)
  app.post("/v1/admin/canonical_email_blocks/test", READ, ALLOWED, async (c) => {
    const params = await readParams(c);
    if (typeof params.email !== "string" || !params.email.includes("@")) {
      throw ApiError.badRequest("email is missing or invalid");
    }
    const rows = await canonicalEmailBlocksFor(c.get("services").db, params.email);
    return c.json(rows.map(serializeCanonicalEmailBlock));
  });

  app.get("/v1/admin/canonical_email_blocks/:id", READ, ALLOWED, async (c) => {
    const row = await findCanonicalEmailBlock(c.get("services").db, c.req.param("id"));
    return c.json(serializeCanonicalEmailBlock(row));
  });

  app.post("/v1/admin/canonical_email_blocks", WRITE, ALLOWED, async (c) => {
    const params = await readParams(c);
    const row = await createCanonicalEmailBlock(c.get("services").db, c.get("auth")!.account!.id, {
      email: params.email,
      canonical_email_hash: params.canonical_email_hash,
    });
    return c.json(serializeCanonicalEmailBlock(row));
  });

  app.delete("/v1/admin/canonical_email_blocks/:id", WRITE, ALLOWED, async (c) => {
    await deleteCanonicalEmailBlock(
      c.get("services").db,
      c.get("auth")!.account!.id,
      c.req.param("id"),
    );
    return c.json({});
  });

  return app;
}
