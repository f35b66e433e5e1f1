// Actions on a status (favourite, boost, bookmark, mute, pin and their undos) and the
// lists of who favourited or boosted it.
import { type Context, Hono } from "hono";
import { serializeAccount } from "../../accounts/serializers.ts";
import type { AccountRow } from "../../auth/middleware.ts";
import { currentAccount, requireAuth } from "../../auth/middleware.ts";
import { readParams } from "../../http/body.ts";
import { pageParams, setLinkHeader } from "../../http/pagination.ts";
import type { AppEnv } from "../../http/types.ts";
import type { Services } from "../../services.ts";
import * as actions from "../../statuses/interactions-service.ts";
import { findVisibleStatus } from "../../statuses/queries.ts";
import { type StatusRow, serializeStatus } from "../../statuses/serializer.ts";
import { visibleTo } from "../../statuses/visibility.ts";
import { applyPage } from "../../timelines/paging.ts";
import {
  defaultVisibility,
  optionalViewer,
  visibility,
  WRITE_STATUSES,
} from "./statuses-params.ts";

type Action = (services: Services, viewer: AccountRow, id: string) => Promise<StatusRow>;

// Scopes as Mastodon's docs list them for each action.
const SIMPLE: [path: string, scopes: readonly string[], action: Action][] = [
  ["favourite", ["write", "write:favourites"], actions.favourite],
  ["unfavourite", ["write", "write:favourites"], actions.unfavourite],
  ["unreblog", WRITE_STATUSES, actions.unreblog],
  ["bookmark", ["write", "write:bookmarks"], actions.bookmark],
  ["unbookmark", ["write", "write:bookmarks"], actions.unbookmark],
  ["mute", ["write", "write:mutes"], actions.muteConversation],
  ["unmute", ["write", "write:mutes"], actions.unmuteConversation],
  ["pin", ["write", "write:accounts"], actions.pin],
  ["unpin", ["write", "write:accounts"], actions.unpin],
];

export function statusActionRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  for (const [path, scopes, action] of SIMPLE) {
    app.post(`/v1/statuses/:id/${path}`, requireAuth(scopes), async (c) => {
      const services = c.get("services");
      const account = currentAccount(c);
      const row = await action(services, account, c.req.param("id"));
      return c.json(await serializeStatus(services, account, row));
    });
  }

  app.post("/v1/statuses/:id/reblog", requireAuth(WRITE_STATUSES), async (c) => {
    const services = c.get("services");
    const account = currentAccount(c);
    const params = await readParams(c);
    const requested = visibility(params.visibility) ?? null;
    const row = await actions.reblog(
      services,
      account,
      c.req.param("id"),
      requested,
      defaultVisibility(c.get("auth")?.user?.settings),
    );
    return c.json(await serializeStatus(services, account, row));
  });

  app.get("/v1/statuses/:id/favourited_by", async (c) => {
    const services = c.get("services");
    const viewer = optionalViewer(c);
    const status = await findVisibleStatus(services.db, viewer?.id ?? null, c.req.param("id"));
    const page = pageParams(c);
    const query = services.db
      .selectFrom("favourites")
      .innerJoin("accounts", "accounts.id", "favourites.account_id")
      .selectAll("accounts")
      .select("favourites.id as cursor")
      .where("favourites.status_id", "=", status.reblog_of_id ?? status.id)
      .where("accounts.suspended_at", "is", null);
    return accountList(c, applyPage(query, "favourites.id", page));
  });

  app.get("/v1/statuses/:id/reblogged_by", async (c) => {
    const services = c.get("services");
    const viewer = optionalViewer(c);
    const viewerId = viewer?.id ?? null;
    const status = await findVisibleStatus(services.db, viewerId, c.req.param("id"));
    const page = pageParams(c);
    // A boost is itself a status: followers-only boosts are listed only to who may see them.
    const query = services.db
      .selectFrom("statuses")
      .innerJoin("accounts", "accounts.id", "statuses.account_id")
      .selectAll("accounts")
      .select("statuses.id as cursor")
      .where("statuses.reblog_of_id", "=", status.reblog_of_id ?? status.id)
      .where("accounts.suspended_at", "is", null)
      .where(visibleTo(viewerId));
    return accountList(c, applyPage(query, "statuses.id", page));
  });

  return app;
}

/** Runs a paged query of accounts (each with its paging cursor) and answers the list. */
async function accountList(
  c: Context<AppEnv>,
  paged: { query: { execute(): Promise<(AccountRow & { cursor: string })[]> }; reverse: boolean },
): Promise<Response> {
  const { config } = c.get("services");
  const found = await paged.query.execute();
  const rows = paged.reverse ? found.reverse() : found;
  setLinkHeader(c, { newest: rows[0]?.cursor, oldest: rows.at(-1)?.cursor }, config.publicUrl);
  return c.json(rows.map(({ cursor: _, ...account }) => serializeAccount(account, config)));
}
