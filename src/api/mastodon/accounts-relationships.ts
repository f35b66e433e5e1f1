// The signed-in user's relations to other accounts: follow, unfollow, remove_from_followers,
// block, mute, note, endorse, and the batched reads (relationships, familiar_followers).
// Every action answers with the new Relationship, as Mastodon does.
import { type Context, Hono } from "hono";
import { z } from "zod";
import { getAccount } from "../../accounts/account-service.ts";
import { serializeAccount } from "../../accounts/serializers.ts";
import { type AccountRow, currentAccount, requireAuth } from "../../auth/middleware.ts";
import { queryParams, readParams } from "../../http/body.ts";
import type { AppEnv } from "../../http/types.ts";
import { familiarFollowers } from "../../relationships/account-lists.ts";
import {
  blockAccount,
  endorseAccount,
  muteAccount,
  setAccountNote,
  unblockAccount,
  unendorseAccount,
  unmuteAccount,
} from "../../relationships/block-mute-service.ts";
import {
  followAccount,
  removeFromFollowers,
  unfollowAccount,
} from "../../relationships/follow-service.ts";
import { relationshipFor, relationshipsFor } from "../../relationships/relationship-service.ts";
import type { Services } from "../../services.ts";
import { idList, parseParams, railsBoolean } from "./accounts-params.ts";

const READ_FOLLOWS = ["read:follows"];
const WRITE_FOLLOWS = ["write:follows"];
const WRITE_BLOCKS = ["write:blocks"];
const WRITE_MUTES = ["write:mutes"];
const WRITE_ACCOUNTS = ["write:accounts"];

// Large enough for any page an app shows, small enough to bound the IN lists.
const MAX_IDS = 200;

const languages = z
  .union([z.array(z.string()), z.string(), z.null()])
  .transform((v) => (v === null ? null : (Array.isArray(v) ? v : [v]).filter((l) => l !== "")))
  .refine((v) => v === null || v.every((l) => /^[a-z]{2,3}$/i.test(l)), "must be language codes")
  .transform((v) => v?.map((l) => l.toLowerCase()) ?? null);

const followParams = z.object({
  reblogs: railsBoolean.optional(),
  notify: railsBoolean.optional(),
  languages: languages.optional(),
});

const muteParams = z.object({
  notifications: railsBoolean.optional(),
  duration: z
    .union([z.number(), z.string().regex(/^\s*\d*\s*$/, "must be a number of seconds"), z.null()])
    .transform((v) => (v === null || v === "" ? 0 : Number(v)))
    .refine((v) => Number.isSafeInteger(v) && v >= 0, "must be a number of seconds")
    .optional(),
});

const noteParams = z.object({
  comment: z
    .union([z.string(), z.null()])
    .transform((v) => v ?? "")
    .optional(),
});

/** What one POST /v1/accounts/:id/<action> does; the route then answers the Relationship. */
type Action = (
  services: Services,
  viewer: AccountRow,
  targetId: string,
  c: Context<AppEnv>,
) => Promise<unknown>;

interface ActionRoute {
  scopes: string[];
  run: Action;
}

const ENDORSE: ActionRoute = {
  scopes: WRITE_ACCOUNTS,
  run: (services, viewer, targetId) => endorseAccount(services, viewer.id, targetId),
};
const UNENDORSE: ActionRoute = {
  scopes: WRITE_ACCOUNTS,
  run: (services, viewer, targetId) => unendorseAccount(services, viewer.id, targetId),
};

// Each action with its scope. Only the ones that take parameters read the body.
const ACTIONS: Record<string, ActionRoute> = {
  follow: {
    scopes: WRITE_FOLLOWS,
    run: async (services, viewer, targetId, c) => {
      const params = parseParams(followParams, await readParams(c));
      await followAccount(services, viewer, targetId, {
        reblogs: params.reblogs,
        notify: params.notify,
        languages: params.languages,
      });
    },
  },
  unfollow: {
    scopes: WRITE_FOLLOWS,
    run: (services, viewer, targetId) => unfollowAccount(services, viewer.id, targetId),
  },
  remove_from_followers: {
    scopes: WRITE_FOLLOWS,
    run: (services, viewer, targetId) => removeFromFollowers(services, viewer.id, targetId),
  },
  block: {
    scopes: WRITE_BLOCKS,
    run: (services, viewer, targetId) => blockAccount(services, viewer.id, targetId),
  },
  unblock: {
    scopes: WRITE_BLOCKS,
    run: (services, viewer, targetId) => unblockAccount(services, viewer.id, targetId),
  },
  mute: {
    scopes: WRITE_MUTES,
    run: async (services, viewer, targetId, c) => {
      const params = parseParams(muteParams, await readParams(c));
      await muteAccount(services, viewer.id, targetId, {
        notifications: params.notifications,
        durationSeconds: params.duration,
      });
    },
  },
  unmute: {
    scopes: WRITE_MUTES,
    run: (services, viewer, targetId) => unmuteAccount(services, viewer.id, targetId),
  },
  note: {
    scopes: WRITE_ACCOUNTS,
    run: async (services, viewer, targetId, c) => {
      const params = parseParams(noteParams, await readParams(c));
      await setAccountNote(services, viewer.id, targetId, params.comment ?? "");
    },
  },
  // `pin`/`unpin` are the pre-4.4 names of endorse/unendorse; older apps still call them.
  endorse: ENDORSE,
  pin: ENDORSE,
  unendorse: UNENDORSE,
  unpin: UNENDORSE,
};

export function accountRelationshipRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  // Fixed paths first: a later `/v1/accounts/:id` route must not take them.
  app.get("/v1/accounts/relationships", requireAuth(READ_FOLLOWS), async (c) => {
    const { db } = c.get("services");
    const viewer = currentAccount(c);
    const query = queryParams(c);
    const ids = idList(query.id, MAX_IDS);
    if (ids.length === 0) return c.json([]);
    const withSuspended = parseParams(railsBoolean.optional(), query.with_suspended) ?? false;
    let accounts = db.selectFrom("accounts").select("id").where("id", "in", ids);
    if (!withSuspended) accounts = accounts.where("suspended_at", "is", null);
    const known = new Set((await accounts.execute()).map((a) => a.id));
    return c.json(
      await relationshipsFor(
        db,
        viewer.id,
        ids.filter((id) => known.has(id)),
      ),
    );
  });

  app.get("/v1/accounts/familiar_followers", requireAuth(READ_FOLLOWS), async (c) => {
    const { db, config } = c.get("services");
    const viewer = currentAccount(c);
    const ids = idList(queryParams(c).id, MAX_IDS);
    if (ids.length === 0) return c.json([]);
    const known = await db
      .selectFrom("accounts")
      .select("id")
      .where("id", "in", ids)
      .where("suspended_at", "is", null)
      .execute();
    const present = new Set(known.map((a) => a.id));
    const targets = ids.filter((id) => present.has(id));
    const familiar = await familiarFollowers(db, viewer.id, targets);
    return c.json(
      targets.map((id) => ({
        id,
        accounts: (familiar.get(id) ?? []).map((a) => serializeAccount(a, config)),
      })),
    );
  });

  // Registered in the table's order, after the fixed paths above.
  for (const [path, { scopes, run }] of Object.entries(ACTIONS)) {
    app.post(`/v1/accounts/:id/${path}`, requireAuth(scopes), async (c) => {
      const services = c.get("services");
      const viewer = currentAccount(c);
      const target = await getAccount(services.db, c.req.param("id"));
      await run(services, viewer, target.id, c);
      return c.json(await relationshipFor(services.db, viewer.id, target.id));
    });
  }

  return app;
}
