// The signed-in user's relations to other accounts: follow, unfollow, remove_from_followers,
// block, mute, note, endorse, and the batched reads (relationships, familiar_followers).
// Every action answers with the new Relationship, as Mastodon does.
import { Hono } from "hono";
import { z } from "zod";
import { getAccount } from "../../accounts/account-service.ts";
import { serializeAccount } from "../../accounts/serializers.ts";
import { currentAccount, requireAuth } from "../../auth/middleware.ts";
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

  app.post("/v1/accounts/:id/follow", requireAuth(WRITE_FOLLOWS), async (c) => {
    const services = c.get("services");
    const viewer = currentAccount(c);
    const target = await getAccount(services.db, c.req.param("id"));
    const params = parseParams(followParams, await readParams(c));
    await followAccount(services, viewer, target.id, {
      reblogs: params.reblogs,
      notify: params.notify,
      languages: params.languages,
    });
    return c.json(await relationshipFor(services.db, viewer.id, target.id));
  });

  app.post("/v1/accounts/:id/unfollow", requireAuth(WRITE_FOLLOWS), async (c) => {
    const services = c.get("services");
    const viewer = currentAccount(c);
    const target = await getAccount(services.db, c.req.param("id"));
    await unfollowAccount(services, viewer.id, target.id);
    return c.json(await relationshipFor(services.db, viewer.id, target.id));
  });

  app.post("/v1/accounts/:id/remove_from_followers", requireAuth(WRITE_FOLLOWS), async (c) => {
    const services = c.get("services");
    const viewer = currentAccount(c);
    const target = await getAccount(services.db, c.req.param("id"));
    await removeFromFollowers(services, viewer.id, target.id);
    return c.json(await relationshipFor(services.db, viewer.id, target.id));
  });

  app.post("/v1/accounts/:id/block", requireAuth(WRITE_BLOCKS), async (c) => {
    const services = c.get("services");
    const viewer = currentAccount(c);
    const target = await getAccount(services.db, c.req.param("id"));
    await blockAccount(services, viewer.id, target.id);
    return c.json(await relationshipFor(services.db, viewer.id, target.id));
  });

  app.post("/v1/accounts/:id/unblock", requireAuth(WRITE_BLOCKS), async (c) => {
    const services = c.get("services");
    const viewer = currentAccount(c);
    const target = await getAccount(services.db, c.req.param("id"));
    await unblockAccount(services, viewer.id, target.id);
    return c.json(await relationshipFor(services.db, viewer.id, target.id));
  });

  app.post("/v1/accounts/:id/mute", requireAuth(WRITE_MUTES), async (c) => {
    const services = c.get("services");
    const viewer = currentAccount(c);
    const target = await getAccount(services.db, c.req.param("id"));
    const params = parseParams(muteParams, await readParams(c));
    await muteAccount(services, viewer.id, target.id, {
      notifications: params.notifications,
      durationSeconds: params.duration,
    });
    return c.json(await relationshipFor(services.db, viewer.id, target.id));
  });

  app.post("/v1/accounts/:id/unmute", requireAuth(WRITE_MUTES), async (c) => {
    const services = c.get("services");
    const viewer = currentAccount(c);
    const target = await getAccount(services.db, c.req.param("id"));
    await unmuteAccount(services, viewer.id, target.id);
    return c.json(await relationshipFor(services.db, viewer.id, target.id));
  });

  app.post("/v1/accounts/:id/note", requireAuth(WRITE_ACCOUNTS), async (c) => {
    const services = c.get("services");
    const viewer = currentAccount(c);
    const target = await getAccount(services.db, c.req.param("id"));
    const params = parseParams(noteParams, await readParams(c));
    await setAccountNote(services, viewer.id, target.id, params.comment ?? "");
    return c.json(await relationshipFor(services.db, viewer.id, target.id));
  });

  // `pin`/`unpin` are the pre-4.4 names of endorse/unendorse; older apps still call them.
  for (const [paths, action] of [
    [["endorse", "pin"], endorseAccount],
    [["unendorse", "unpin"], unendorseAccount],
  ] as const) {
    for (const path of paths) {
      app.post(`/v1/accounts/:id/${path}`, requireAuth(WRITE_ACCOUNTS), async (c) => {
        const services = c.get("services");
        const viewer = currentAccount(c);
        const target = await getAccount(services.db, c.req.param("id"));
        await action(services, viewer.id, target.id);
        return c.json(await relationshipFor(services.db, viewer.id, target.id));
      });
    }
  }

  return app;
}
