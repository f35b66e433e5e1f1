// Account reads (by id, lookup, search, followers, following, and the per-account lists
// apps ask for on a profile) and PATCH update_credentials. Relationship actions live in
// accounts-relationships.ts; verify_credentials in credentials.ts.
import { Hono } from "hono";
import {
  countFollowRequests,
  getAccount,
  lookupAccount,
  searchAccounts,
  updateProfile,
} from "../../accounts/account-service.ts";
import {
  loadMovedAccount,
  serializeAccount,
  serializeCredentialAccount,
} from "../../accounts/serializers.ts";
import { currentAccount, requireAuth } from "../../auth/middleware.ts";
import { listFeaturedTags } from "../../featured-tags/service.ts";
import { queryParams, readParams } from "../../http/body.ts";
import { ApiError } from "../../http/errors.ts";
import { pageParams, setLinkHeader } from "../../http/pagination.ts";
import type { AppEnv } from "../../http/types.ts";
import { listsContaining, serializeList } from "../../lists/queries.ts";
import { listRelatedAccounts } from "../../relationships/account-lists.ts";
import {
  authorizeIfToken,
  idList,
  parseParams,
  railsBoolean,
  viewerId,
} from "./accounts-params.ts";
import { parseProfileChanges } from "./accounts-profile.ts";

const READ_ACCOUNTS = ["read:accounts"];

export function accountRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  // Fixed paths first: `/v1/accounts/:id` below would otherwise take them.
  app.get("/v1/accounts/lookup", authorizeIfToken(READ_ACCOUNTS), async (c) => {
    const services = c.get("services");
    const acct = c.req.query("acct");
    if (!acct) throw ApiError.badRequest("Missing acct parameter");
    const account = await lookupAccount(services, acct);
    const moved = await loadMovedAccount(services.db, account);
    return c.json(serializeAccount(account, services.config, { moved }));
  });

  app.get("/v1/accounts/search", requireAuth(READ_ACCOUNTS), async (c) => {
    const services = c.get("services");
    const viewer = currentAccount(c);
    const limit = intParam(c.req.query("limit"), 40, 1, 80);
    const offset = intParam(c.req.query("offset"), 0, 0, 10_000);
    const accounts = await searchAccounts(services, viewer, {
      q: c.req.query("q") ?? "",
      limit,
      offset,
      resolve: parseParams(railsBoolean.optional(), c.req.query("resolve")) ?? false,
      following: parseParams(railsBoolean.optional(), c.req.query("following")) ?? false,
    });
    return c.json(accounts.map((a) => serializeAccount(a, services.config)));
  });

  app.patch("/v1/accounts/update_credentials", requireAuth(["write:accounts"]), async (c) => {
    const services = c.get("services");
    const viewer = currentAccount(c);
    const changes = parseProfileChanges(await readParams(c));
    const { account, user } = await updateProfile(services, viewer.id, changes);
    const [moved, followRequestsCount] = await Promise.all([
      loadMovedAccount(services.db, account),
      countFollowRequests(services.db, account.id),
    ]);
    return c.json(
      serializeCredentialAccount(account, user, services.config, { moved, followRequestsCount }),
    );
  });

  // Several accounts at once (Mastodon 4.3): unknown ids are skipped, order is kept.
  app.get("/v1/accounts", authorizeIfToken(READ_ACCOUNTS), async (c) => {
    const { db, config } = c.get("services");
    const ids = idList(queryParams(c).id, 40);
    const rows = ids.length
      ? await db
          .selectFrom("accounts")
          .selectAll()
          .where("id", "in", ids)
          // Local accounts still waiting for confirmation or approval are not shown (as GET :id).
          .where((eb) =>
            eb.not(
              eb.exists(
                eb
                  .selectFrom("users")
                  .select("users.id")
                  .whereRef("users.account_id", "=", "accounts.id")
                  .where((u) =>
                    u.or([u("users.confirmed_at", "is", null), u("users.approved", "=", false)]),
                  ),
              ),
            ),
          )
          .execute()
      : [];
    const byId = new Map(rows.map((a) => [a.id, a]));
    const accounts = ids.flatMap((id) => byId.get(id) ?? []);
    return c.json(accounts.map((a) => serializeAccount(a, config)));
  });

  app.get("/v1/accounts/:id", authorizeIfToken(READ_ACCOUNTS), async (c) => {
    const { db, config } = c.get("services");
    const account = await getAccount(db, c.req.param("id"));
    const [moved, user] = await Promise.all([
      loadMovedAccount(db, account),
      account.domain === null
        ? db.selectFrom("users").selectAll().where("account_id", "=", account.id).executeTakeFirst()
        : undefined,
    ]);
    return c.json(serializeAccount(account, config, { moved, user }));
  });

  for (const list of ["followers", "following"] as const) {
    app.get(`/v1/accounts/:id/${list}`, authorizeIfToken(READ_ACCOUNTS), async (c) => {
      const { db, config } = c.get("services");
      const account = await getAccount(db, c.req.param("id"));
      const page = pageParams(c, { defaultLimit: 40, maxLimit: 80 });
      if (await hidesCollections(c, account)) return c.json([]);
      const result = await listRelatedAccounts(db, list, account.id, page);
      setLinkHeader(c, result, config.publicUrl);
      return c.json(result.accounts.map((a) => serializeAccount(a, config)));
    });
  }

  // Featured hashtags (src/featured-tags); identity proofs are gone from Mastodon: none.
  app.get("/v1/accounts/:id/featured_tags", authorizeIfToken(READ_ACCOUNTS), async (c) => {
    const { db, config } = c.get("services");
    const account = await getAccount(db, c.req.param("id"));
    return c.json(await listFeaturedTags(db, config, account));
  });

  app.get("/v1/accounts/:id/identity_proofs", requireAuth(READ_ACCOUNTS), async (c) => {
    await getAccount(c.get("services").db, c.req.param("id"));
    return c.json([]);
  });

  // The viewer's lists that hold the account (none for a suspended account, as Mastodon).
  app.get("/v1/accounts/:id/lists", requireAuth(["read:lists"]), async (c) => {
    const db = c.get("services").db;
    const account = await getAccount(db, c.req.param("id"));
    if (account.suspended_at) return c.json([]);
    const lists = await listsContaining(db, currentAccount(c).id, account.id);
    return c.json(lists.map(serializeList));
  });

  return app;
}

/**
 * Mastodon hides an account's followers and following from everyone but the owner when
 * the owner asks (hide_collections), and from anyone the owner blocks.
 */
async function hidesCollections(
  c: Parameters<typeof viewerId>[0],
  account: { id: string; hide_collections: boolean },
): Promise<boolean> {
  const viewer = viewerId(c);
  if (viewer === account.id) return false;
  if (account.hide_collections) return true;
  if (viewer === null) return false;
  const block = await c
    .get("services")
    .db.selectFrom("blocks")
    .select("id")
    .where("account_id", "=", account.id)
    .where("target_account_id", "=", viewer)
    .executeTakeFirst();
  return block !== undefined;
}

function intParam(value: string | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined || value === "") return fallback;
  const n = Number.parseInt(value, 10);
  if (!Number.isFinite(n)) throw ApiError.badRequest("Invalid numeric parameter");
  return Math.min(Math.max(n, min), max);
}
