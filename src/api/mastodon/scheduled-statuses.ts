// /api/v1/scheduled_statuses: the user's posts waiting for their time (created by POST
// /api/v1/statuses with `scheduled_at`, see src/scheduled). PUT changes the time only.
import { Hono } from "hono";
import { currentAccount, requireAuth } from "../../auth/middleware.ts";
import { queryParams, readParams } from "../../http/body.ts";
import { pageParams, setLinkHeader } from "../../http/pagination.ts";
import type { AppEnv } from "../../http/types.ts";
import { serializeScheduled } from "../../scheduled/serializer.ts";
import {
  cancelScheduled,
  findScheduled,
  listScheduled,
  rescheduleStatus,
} from "../../scheduled/service.ts";

const READ = ["read", "read:statuses"] as const;
const WRITE = ["write", "write:statuses"] as const;

export function scheduledStatusRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/v1/scheduled_statuses", requireAuth(READ), async (c) => {
    const services = c.get("services");
    const page = pageParams(c);
    const rows = await listScheduled(services, currentAccount(c), page);
    setLinkHeader(c, { newest: rows[0]?.id, oldest: rows.at(-1)?.id }, services.config.publicUrl);
    return c.json(await serializeScheduled(services, rows));
  });

  app.get("/v1/scheduled_statuses/:id", requireAuth(READ), async (c) => {
    const services = c.get("services");
    const row = await findScheduled(services, currentAccount(c), c.req.param("id"));
    return c.json((await serializeScheduled(services, [row]))[0]);
  });

  app.put("/v1/scheduled_statuses/:id", requireAuth(WRITE), async (c) => {
    const services = c.get("services");
    const params = { ...queryParams(c), ...(await readParams(c)) };
    const row = await rescheduleStatus(
      services,
      currentAccount(c),
      c.req.param("id"),
      params.scheduled_at,
    );
    return c.json((await serializeScheduled(services, [row]))[0]);
  });

  app.delete("/v1/scheduled_statuses/:id", requireAuth(WRITE), async (c) => {
    await cancelScheduled(c.get("services"), currentAccount(c), c.req.param("id"));
    return c.json({});
  });

  return app;
}
