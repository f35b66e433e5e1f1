// Follow requests waiting for the signed-in (locked) account: list, authorize, reject.
// As in Mastodon, `:id` is the requesting account's id, not the request's.
import { Hono } from "hono";
import { getAccount } from "../../accounts/account-service.ts";
import { serializeAccount } from "../../accounts/serializers.ts";
import { currentAccount, requireAuth } from "../../auth/middleware.ts";
import { pageParams, setLinkHeader } from "../../http/pagination.ts";
import type { AppEnv } from "../../http/types.ts";
import { listRelatedAccounts } from "../../relationships/account-lists.ts";
import { acceptFollowRequest, rejectFollowRequest } from "../../relationships/follow-service.ts";
import { relationshipFor } from "../../relationships/relationship-service.ts";

export function followRequestRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/v1/follow_requests", requireAuth(["read:follows"]), async (c) => {
    const { db, config } = c.get("services");
    const viewer = currentAccount(c);
    const page = pageParams(c, { defaultLimit: 40, maxLimit: 80 });
    const result = await listRelatedAccounts(db, "follow_requests", viewer.id, page);
    setLinkHeader(c, result, config.publicUrl);
    return c.json(result.accounts.map((a) => serializeAccount(a, config)));
  });

  for (const [action, apply] of [
    ["authorize", acceptFollowRequest],
    ["reject", rejectFollowRequest],
  ] as const) {
    app.post(`/v1/follow_requests/:id/${action}`, requireAuth(["write:follows"]), async (c) => {
      const services = c.get("services");
      const viewer = currentAccount(c);
      const requester = await getAccount(services.db, c.req.param("id"));
      await apply(services, requester.id, viewer.id);
      return c.json(await relationshipFor(services.db, viewer.id, requester.id));
    });
  }

  return app;
}
