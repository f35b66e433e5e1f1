// /api/v1/domain_blocks: the domains the user has blocked. `domain` may come as JSON, a
// form or the query string (apps send DELETE with a query), as on Mastodon.
import { Hono } from "hono";
import { currentAccount, requireAuth } from "../../auth/middleware.ts";
import { blockDomain, listDomainBlocks, unblockDomain } from "../../domain-blocks/service.ts";
import { queryParams, readParams } from "../../http/body.ts";
import { pageParams, setLinkHeader } from "../../http/pagination.ts";
import type { AppEnv } from "../../http/types.ts";

const WRITE = ["write", "write:blocks", "follow"] as const;

export function domainBlockRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/v1/domain_blocks", requireAuth(["read", "read:blocks", "follow"]), async (c) => {
    const services = c.get("services");
    const page = pageParams(c, { defaultLimit: 100, maxLimit: 200 });
    const rows = await listDomainBlocks(services, currentAccount(c), page);
    setLinkHeader(c, { newest: rows[0]?.id, oldest: rows.at(-1)?.id }, services.config.publicUrl);
    return c.json(rows.map((r) => r.domain));
  });

  app.post("/v1/domain_blocks", requireAuth(WRITE), async (c) => {
    const params = { ...queryParams(c), ...(await readParams(c)) };
    await blockDomain(c.get("services"), currentAccount(c), params.domain);
    return c.json({});
  });

  app.delete("/v1/domain_blocks", requireAuth(WRITE), async (c) => {
    const params = { ...queryParams(c), ...(await readParams(c)) };
    await unblockDomain(c.get("services"), currentAccount(c), params.domain);
    return c.json({});
  });

  return app;
}
