// GET /api/v2/search. Anonymous search is allowed (accounts and hashtags only), but not
// paging with offset nor resolving remote resources, as in Mastodon. The v1 endpoint was
// removed in Mastodon 3.0 and answers 404 there too, so it is not served.
import type { Context } from "hono";
import { Hono } from "hono";
import { serializeAccount } from "../../accounts/serializers.ts";
import { type AccountRow, checkAuth } from "../../auth/middleware.ts";
import { ApiError } from "../../http/errors.ts";
import type { AppEnv } from "../../http/types.ts";
import { limitParam, offsetParam } from "../../search/paging.ts";
import { search } from "../../search/search.ts";
import { serializeStatuses } from "../../statuses/serializer.ts";
import { serializeTags } from "../../tags/tags.ts";

const ID = /^\d{1,20}$/;

/**
 * The signed-in account for endpoints that also serve anonymous requests: a token, when
 * sent, must carry one of `scopes`; an app-only token reads as anonymous.
 */
export function optionalViewer(c: Context<AppEnv>, scopes: readonly string[]): AccountRow | null {
  const auth = c.get("auth");
  if (!auth) return null;
  checkAuth(auth, scopes, { user: false });
  return auth.account ?? null;
}

/** Rails' boolean cast: absent or empty is unset; "0", "f", "false", "off" are false. */
export function truthyParam(value: string | undefined): boolean {
  if (value === undefined || value === "") return false;
  return !["0", "f", "false", "off", "no", "n"].includes(value.toLowerCase());
}

export function searchRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/v2/search", async (c) => {
    const viewer = optionalViewer(c, ["read:search"]);
    const services = c.get("services");
    const q = c.req.query("q");
    if (q === undefined || q.trim() === "") {
      throw ApiError.badRequest("param is missing or the value is empty: q");
    }
    const resolve = truthyParam(c.req.query("resolve"));
    const rawOffset = c.req.query("offset");
    if (!viewer && rawOffset !== undefined && rawOffset !== "") {
      throw ApiError.unauthorized(
        "Search queries pagination is not supported without authentication",
      );
    }
    if (!viewer && resolve) {
      throw ApiError.unauthorized(
        "Search queries that resolve remote resources are not supported without authentication",
      );
    }
    const offset = offsetParam(rawOffset);
    if (offset === undefined) throw ApiError.badRequest("offset must be a non-negative number");
    const limit = limitParam(c.req.query("limit"), 20, 40);
    if (limit === undefined) throw ApiError.badRequest("limit must be a number");
    const cursor = (name: string) => {
      const v = c.req.query(name);
      return v && ID.test(v) ? v : undefined;
    };
    const accountId = c.req.query("account_id");

    const results = await search(services, viewer, {
      q,
      type: c.req.query("type") || undefined,
      resolve,
      following: truthyParam(c.req.query("following")),
      // An id that is not a number matches no account, rather than being ignored.
      accountId: accountId ? (ID.test(accountId) ? accountId : "0") : undefined,
      maxId: cursor("max_id"),
      minId: cursor("min_id"),
      offset,
      limit,
    });
    const { config, db } = services;
    const [statuses, hashtags] = await Promise.all([
      serializeStatuses(services, viewer, results.statuses),
      serializeTags(db, config, viewer, results.hashtags),
    ]);
    return c.json({
      accounts: results.accounts.map((a) => serializeAccount(a, config)),
      statuses,
      hashtags,
    });
  });

  return app;
}
