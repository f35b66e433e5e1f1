// The signed-in user's lists: bookmarks, favourites, blocks, mutes, endorsements. Each
// pages by the relation's id in the Link header, as Mastodon does.
import type { Context } from "hono";
import { Hono } from "hono";
import { serializeAccount } from "../../accounts/serializers.ts";
import { currentAccount, requireAuth } from "../../auth/middleware.ts";
import { pageParams, setLinkHeader } from "../../http/pagination.ts";
import type { AppEnv } from "../../http/types.ts";
import { relatedAccountsPage, savedStatusesPage } from "../../search/saved-lists.ts";
import { serializeStatuses } from "../../statuses/serializer.ts";

function link(c: Context<AppEnv>, rows: { cursor: string }[]): void {
  const { config } = c.get("services");
  setLinkHeader(c, { newest: rows[0]?.cursor, oldest: rows.at(-1)?.cursor }, config.publicUrl);
}

export function listsOfThingsRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  for (const [path, table, scope] of [
    ["/v1/bookmarks", "bookmarks", "read:bookmarks"],
    ["/v1/favourites", "favourites", "read:favourites"],
  ] as const) {
    app.get(path, requireAuth(scope), async (c) => {
      const services = c.get("services");
      const viewer = currentAccount(c);
      const rows = await savedStatusesPage(services.db, viewer, table, pageParams(c));
      link(c, rows);
      return c.json(
        await serializeStatuses(
          services,
          viewer,
          rows.map((r) => r.item),
        ),
      );
    });
  }

  for (const [path, table, scope] of [
    ["/v1/blocks", "blocks", "read:blocks"],
    ["/v1/mutes", "mutes", "read:mutes"],
    ["/v1/endorsements", "endorsements", "read:accounts"],
  ] as const) {
    app.get(path, requireAuth(scope), async (c) => {
      const { db, config } = c.get("services");
      const viewer = currentAccount(c);
      const page = pageParams(c, { defaultLimit: 40, maxLimit: 80 });
      const rows = await relatedAccountsPage(db, viewer, table, page);
      link(c, rows);
      return c.json(
        rows.map(({ item }) => {
          const entity = serializeAccount(item.account, config);
          // Mastodon 4.3+ tells muting apps when each mute ends.
          return table === "mutes"
            ? {
                ...entity,
                mute_expires_at: item.expiresAt ? new Date(item.expiresAt).toISOString() : null,
              }
            : entity;
        }),
      );
    });
  }

  return app;
}
