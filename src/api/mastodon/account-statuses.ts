// GET /api/v1/accounts/:id/statuses: an account's posts and boosts as the viewer may see
// them, with Mastodon's filters (only_media, exclude_replies, exclude_reblogs, pinned, tagged).
import { Hono } from "hono";
import { ApiError } from "../../http/errors.ts";
import { pageParams, setLinkHeader } from "../../http/pagination.ts";
import type { AppEnv } from "../../http/types.ts";
import { accountStatuses } from "../../statuses/queries.ts";
import { serializeStatuses } from "../../statuses/serializer.ts";
import { bool, optionalViewer } from "./statuses-params.ts";

export function accountStatusesRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/v1/accounts/:id/statuses", async (c) => {
    const services = c.get("services");
    const viewer = optionalViewer(c);
    const id = c.req.param("id");
    if (!/^\d{1,20}$/.test(id)) throw ApiError.notFound("Record not found");
    const account = await services.db
      .selectFrom("accounts")
      .selectAll()
      .where("id", "=", id)
      .executeTakeFirst();
    if (!account) throw ApiError.notFound("Record not found");
    // A suspended account shows nothing it wrote.
    if (account.suspended_at) return c.json([]);
    const page = pageParams(c);
    const q = (name: string) => c.req.query(name);
    const { rows, visible } = await accountStatuses(
      services.db,
      viewer,
      account,
      {
        onlyMedia: bool(q("only_media"), "only_media"),
        excludeReplies: bool(q("exclude_replies"), "exclude_replies"),
        excludeReblogs: bool(q("exclude_reblogs"), "exclude_reblogs"),
        pinned: bool(q("pinned"), "pinned"),
        tagged: q("tagged") || undefined,
      },
      page,
    );
    setLinkHeader(c, { newest: rows[0]?.id, oldest: rows.at(-1)?.id }, services.config.publicUrl);
    return c.json(await serializeStatuses(services, viewer, visible, { filterContext: "account" }));
  });

  return app;
}
