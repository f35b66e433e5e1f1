// Move: a remote account announces it moved to another account (account migration). It is
// believed only when the Move's actor is the account that moved (the object) and the
// target, fetched fresh rather than from any cache, names the origin in `alsoKnownAs`, so a
// stranger cannot redirect someone's followers. Then, as Mastodon does: the origin is marked
// moved (`moved` on the Account entity), and each local follower follows the target (a
// request when the target is locked or remote) and stops following the origin. Followers
// are not notified: Mastodon's `move` notification type is not in the API schema Roost
// serves (NotificationTypeEnum), so apps could not be relied on to accept it.
import type { InboxContext } from "@fedify/fedify";
import type { Move } from "@fedify/vocab";
import type { AccountRow } from "../../src/auth/middleware.ts";
import { log } from "../../src/infra/logging.ts";
import { createFollow, unfollowAccount } from "../../src/relationships/follow-service.ts";
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

/** Points the origin at the target and carries its local followers over. */
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
