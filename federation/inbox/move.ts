// Move: a remote account announces it moved to another account (account migration). It is
// believed only when the Move's actor is the account that moved (the object) and the
// target, fetched fresh rather than from any cache, names the origin in `alsoKnownAs`, so a
// stranger cannot redirect someone's followers. Then, as Mastodon does: the origin is marked
// moved (`moved` on the Account entity), and each local follower follows the target (a
// request when the target is locked or remote) and stops following the origin. Followers
// are not notified: Mastodon's `move` notification type is not in the API schema Roost
// serves (NotificationTypeEnum), so apps could not be relied on to accept it.
// Blocks and mutes follow the account too (Mastodon's carry_blocks_over!/carry_mutes_over!):
// each local account that blocked the origin blocks the target through the block service
// (so the Block is sent to the target's server, as Mastodon sends it), and each that muted
// it mutes the target with the same `hide_notifications` and the same expiry (an expired
// mute is not carried). As on Mastodon, nothing is carried to someone who already follows
// the target, and an existing block or mute of the target is left as it is. This runs
// before the followers are carried over, so the follows the move itself creates do not
// count as "already follows". Each carried block or mute leaves a private note on the target
// ("This user moved from @x, which you had blocked."), as Mastodon's does.
import type { InboxContext } from "@fedify/fedify";
import type { Move } from "@fedify/vocab";
import { sql } from "kysely";
import { acctOf } from "../../src/accounts/serializers.ts";
import type { AccountRow } from "../../src/auth/middleware.ts";
import { newId } from "../../src/infra/ids.ts";
import { log } from "../../src/infra/logging.ts";
import { blockAccount } from "../../src/relationships/block-mute-service.ts";
import { createFollow, unfollowAccount } from "../../src/relationships/follow-service.ts";
import type { Services } from "../../src/services.ts";
import type { FederationContextData } from "../context.ts";
import { lookupRemote } from "../lookup.ts";
import { findAccountByUri } from "../remote-accounts.ts";
import { contentSender } from "./sender.ts";

type Ctx = InboxContext<FederationContextData>;

const logger = log("federation");

export async function onMove(ctx: Ctx, move: Move): Promise<void> {
  const actorId = move.actorId;
  const objectId = move.objectId;
  const targetId = move.targetId;
  if (!actorId || !objectId || !targetId) return;
  // Only an account can move itself.
  if (objectId.href !== actorId.href || targetId.href === actorId.href) return;
  const origin = await contentSender(ctx, move);
  if (!origin) return;
  const target = await verifiedTarget(ctx, targetId, origin);
  if (!target) {
    logger.info("Move of {origin} to {target} not confirmed by the target", {
      origin: origin.uri,
      target: targetId.href,
    });
    return;
  }
  await migrateFollowers(ctx.data, origin, target);
}

/** The target account when its current document lists the origin among its aliases. */
async function verifiedTarget(
  ctx: Ctx,
  targetId: URL,
  origin: AccountRow,
): Promise<AccountRow | null> {
  const services = ctx.data;
  let target: AccountRow | undefined;
  if (targetId.origin === new URL(services.config.publicUrl).origin) {
    // A move to one of our own accounts: its aliases are what its owner set here.
    target = await findAccountByUri(services, targetId);
    if (!target || target.domain !== null) return null;
  } else {
    // Fetched now, signed and uncached: a stale copy could confirm an alias since removed.
    target = (await lookupRemote(services, targetId.href))?.account;
    if (!target || target.uri !== targetId.href) return null;
  }
  if (target.suspended_at || target.moved_to_account_id) return null;
  return target.also_known_as.includes(origin.uri) ? target : null;
}

/** Points the origin at the target and carries its local followers, blocks and mutes over. */
export async function migrateFollowers(
  services: FederationContextData,
  origin: AccountRow,
  target: AccountRow,
): Promise<void> {
  await services.db
    .updateTable("accounts")
    .set({ moved_to_account_id: target.id, updated_at: new Date() })
    .where("id", "=", origin.id)
    .execute();
  await carryBlocksOver(services, origin, target);
  await carryMutesOver(services, origin, target);
  const follows = await services.db
    .selectFrom("follows")
    .innerJoin("accounts", "accounts.id", "follows.account_id")
    .select(["follows.account_id", "follows.show_reblogs", "follows.notify", "follows.languages"])
    .where("follows.target_account_id", "=", origin.id)
    .where("accounts.domain", "is", null)
    .where("accounts.suspended_at", "is", null)
    .execute();
  const moved: string[] = [];
  for (const follow of follows) {
    // Follow the new account first, with the same options, so nothing is missed between.
    try {
      if (follow.account_id !== target.id) {
        await createFollow(services, follow.account_id, target.id, {
          reblogs: follow.show_reblogs,
          notify: follow.notify,
          languages: parseLanguages(follow.languages),
        });
      }
    } catch (error) {
      // A block between the follower and the target: that follower is only unfollowed.
      logger.debug("Move: {follower} cannot follow {target}: {error}", {
        follower: follow.account_id,
        target: target.uri,
        error,
      });
    }
    await unfollowAccount(services, follow.account_id, origin.id);
    moved.push(follow.account_id);
  }
  logger.info("{origin} moved to {target}; {count} local followers carried over", {
    origin: origin.uri,
    target: target.uri,
    count: moved.length,
  });
}

/**
 * The local, unsuspended accounts holding a row of `table` against the origin, less those
 * that already hold one against the target or follow the target (and the target itself).
 */
async function localRelationsToCarry(
  services: Services,
  table: "blocks" | "mutes",
  origin: AccountRow,
  target: AccountRow,
) {
  return await services.db
    .selectFrom(`${table} as r`)
    .innerJoin("accounts as a", "a.id", "r.account_id")
    .select(["r.account_id", "r.hide_notifications", "r.expires_at"])
    .where("r.target_account_id", "=", origin.id)
    .where("r.account_id", "!=", target.id)
    .where("a.domain", "is", null)
    .where("a.suspended_at", "is", null)
    .where(({ exists, not, selectFrom }) =>
      not(
        exists(
          selectFrom(`${table} as t`)
            .select("t.id")
            .whereRef("t.account_id", "=", "r.account_id")
            .where("t.target_account_id", "=", target.id),
        ),
      ),
    )
    .where(({ exists, not, selectFrom }) =>
      not(
        exists(
          selectFrom("follows as f")
            .select("f.id")
            .whereRef("f.account_id", "=", "r.account_id")
            .where("f.target_account_id", "=", target.id),
        ),
      ),
    )
    .where((eb) => eb.or([eb("r.expires_at", "is", null), eb("r.expires_at", ">", new Date())]))
    .execute();
}

async function carryBlocksOver(services: Services, origin: AccountRow, target: AccountRow) {
  const blockers = await localRelationsToCarry(services, "blocks", origin, target);
  for (const { account_id } of blockers) {
    // The block service also severs follows both ways and sends the Block to a remote target.
    try {
      await blockAccount(services, account_id, target.id);
      await noteCarriedOver(services, account_id, origin, target, "blocked");
    } catch (error) {
      logger.warn("Move: {account} could not block {target}: {error}", {
        account: account_id,
        target: target.uri,
        error,
      });
    }
  }
}

async function carryMutesOver(services: Services, origin: AccountRow, target: AccountRow) {
  const muters = await localRelationsToCarry(services, "mutes", origin, target);
  // Inserted here rather than through muteAccount: that takes a duration from now and
  // replaces an existing mute, where the carried mute keeps its own expiry and an existing
  // one stays untouched. A mute has no side effects to trigger.
  for (const mute of muters) {
    await services.db
      .insertInto("mutes")
      .values({
        id: newId(),
        account_id: mute.account_id,
        target_account_id: target.id,
        uri: null,
        hide_notifications: mute.hide_notifications,
        expires_at: mute.expires_at,
      })
      .onConflict((oc) => oc.columns(["account_id", "target_account_id"]).doNothing())
      .execute();
    await noteCarriedOver(services, mute.account_id, origin, target, "muted");
  }
}

/**
 * As Mastodon does, a private note on the new account tells its owner why it is blocked or
 * muted without their asking: appended to a note they already keep on it.
 */
async function noteCarriedOver(
  services: Services,
  accountId: string,
  origin: AccountRow,
  target: AccountRow,
  what: "blocked" | "muted",
) {
  const comment = `This user moved from @${acctOf(origin)}, which you had ${what}.`;
  await services.db
    .insertInto("account_notes")
    .values({ id: newId(), account_id: accountId, target_account_id: target.id, comment })
    .onConflict((oc) =>
      oc.columns(["account_id", "target_account_id"]).doUpdateSet({
        comment: sql<string>`case when account_notes.comment = '' then excluded.comment
          else account_notes.comment || ${"\n\n"} || excluded.comment end`,
        updated_at: new Date(),
      }),
    )
    .execute();
}

function parseLanguages(value: unknown): string[] | null {
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === "string");
  if (typeof value !== "string" || value === "") return null;
  try {
    const parsed: unknown = JSON.parse(value);
    return Array.isArray(parsed) ? parsed.filter((v): v is string => typeof v === "string") : null;
  } catch {
    return value.split(",").filter(Boolean);
  }
}
