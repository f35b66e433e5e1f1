// /api/v1/admin/domain_blocks: limit or suspend a remote domain (manage_federation).
// Also the paging shared by the other admin block lists (newest first, Link header).

import type { Context } from "hono";
import { Hono } from "hono";
import type { Selectable } from "kysely";
import { z } from "zod";
import { requireAuth } from "../../../auth/middleware.ts";
import { requirePermission } from "../../../auth/roles.ts";
import { readParams } from "../../../http/body.ts";
import { ApiError } from "../../../http/errors.ts";
import { pageParams, setLinkHeader } from "../../../http/pagination.ts";
import type { AppEnv } from "../../../http/types.ts";
import type { Database } from "../../../infra/db/schema.ts";
import {
  createDomainBlock,
  type DomainBlockInput,
  deleteDomainBlock,
  findDomainBlock,
  serializeDomainBlock,
  updateDomainBlock,
} from "../../../moderation/domain-blocks.ts";

type AdminTable =
  | "domain_blocks"
  | "domain_allows"
  | "email_domain_blocks"
  | "canonical_email_blocks"
  | "ip_blocks";

/** One page of an admin list, newest first, with Mastodon's id paging and Link header. */
export async function adminPage<T extends AdminTable>(
  c: Context<AppEnv>,
  table: T,
): Promise<Selectable<Database[T]>[]> {
  const page = pageParams(c, { defaultLimit: 100, maxLimit: 200 });
  const { db, config } = c.get("services");
  // The five tables share `id`; Kysely can't see that through the generic name.
  let query = db.selectFrom(table as "domain_allows").selectAll();
  if (page.maxId) query = query.where("id", "<", page.maxId);
  if (page.sinceId) query = query.where("id", ">", page.sinceId);
  let rows: { id: string }[];
  if (page.minId) {
    rows = (
      await query.where("id", ">", page.minId).orderBy("id", "asc").limit(page.limit).execute()
    ).reverse();
  } else {
    rows = await query.orderBy("id", "desc").limit(page.limit).execute();
  }
  setLinkHeader(c, { newest: rows[0]?.id, oldest: rows.at(-1)?.id }, config.publicUrl);
  return rows as Selectable<Database[T]>[];
}

/** Rails-style booleans: forms send "true"/"1"/"on". */
export const formBool = z.preprocess((v) => {
  if (typeof v === "boolean") return v;
  if (v === "true" || v === "1" || v === "on" || v === 1) return true;
  if (v === "false" || v === "0" || v === "off" || v === "" || v === 0) return false;
  return v;
}, z.boolean());

const blockParams = z.object({
  severity: z.enum(["silence", "suspend", "noop"]).optional(),
  reject_media: formBool.optional(),
  reject_reports: formBool.optional(),
  private_comment: z.string().max(1000).nullable().optional(),
  public_comment: z.string().max(1000).nullable().optional(),
  obfuscate: formBool.optional(),
});

/** Parses params with a zod schema; a mismatch is a 422 naming the field. */
export function parseWith<S extends z.ZodType>(schema: S, params: unknown): z.output<S> {
  const result = schema.safeParse(params);
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = issue?.path.join(".") || "params";
    throw ApiError.unprocessable(`Validation failed: ${field} ${issue?.message ?? "is invalid"}`);
  }
  return result.data;
}

const READ = requireAuth(["admin:read", "admin:read:domain_blocks"]);
const WRITE = requireAuth(["admin:write", "admin:write:domain_blocks"]);
const ALLOWED = requirePermission("manage_federation");

export function adminDomainBlockRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/v1/admin/domain_blocks", READ, ALLOWED, async (c) => {
    const rows = await adminPage(c, "domain_blocks");
    return c.json(rows.map(serializeDomainBlock));
  });

  app.get("/v1/admin/domain_blocks/:id", READ, ALLOWED, async (c) => {
    const row = await findDomainBlock(c.get("services").db, c.req.param("id"));
    return c.json(serializeDomainBlock(row));
  });

  app.post("/v1/admin/domain_blocks", WRITE, ALLOWED, async (c) => {
    const params = await readParams(c);
    const input: DomainBlockInput = parseWith(blockParams, params);
    const actor = c.get("auth")!.account!.id;
    const row = await createDomainBlock(c.get("services"), actor, params.domain, input);
    return c.json(serializeDomainBlock(row));
  });

  app.put("/v1/admin/domain_blocks/:id", WRITE, ALLOWED, async (c) => {
    const input: DomainBlockInput = parseWith(blockParams, await readParams(c));
    const actor = c.get("auth")!.account!.id;
    const row = await updateDomainBlock(c.get("services"), actor, c.req.param("id"), input);
    return c.json(serializeDomainBlock(row));
  });

  app.delete("/v1/admin/domain_blocks/:id", WRITE, ALLOWED, async (c) => {
    const actor = c.get("auth")!.account!.id;
    await deleteDomainBlock(c.get("services"), actor, c.req.param("id"));
    return c.json({});
  });

  return app;
}
