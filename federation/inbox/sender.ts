// The sender of a content activity (Create, Update, Like, Announce...) as an account row.
// Fedify has verified that the request's key belongs to `actor`; what's left is to have
// the actor stored, and to ignore suspended accounts altogether.
import type { InboxContext } from "@fedify/fedify";
import type { Activity } from "@fedify/vocab";
import type { AccountRow } from "../../src/auth/middleware.ts";
import type { FederationContextData } from "../context.ts";
import { hostSeen } from "../hosts.ts";
import { accountOfActor, findAccountByUri } from "../remote-accounts.ts";

type Ctx = InboxContext<FederationContextData>;

/** The remote, unsuspended account that sent `activity`, fetched if unknown or stale. */
export async function contentSender(ctx: Ctx, activity: Activity): Promise<AccountRow | null> {
  // A verified activity from a host shows it is alive (deliveries to it resume).
  hostSeen(ctx.data, activity.actorId);
  const account = await accountOfActor(
    ctx.data,
    activity.actorId,
    () => activity.getActor(ctx),
    ctx,
  ).catch(() => null);
  if (!account || account.domain === null || account.suspended_at) return null;
  return account;
}

/**
 * The sender when it is already known, without fetching: for removals (Delete, Undo),
 * where an unknown sender has nothing here to remove and a deleted actor can't be fetched.
 */
export async function knownSender(ctx: Ctx, actorId: URL | null): Promise<AccountRow | null> {
  if (!actorId) return null;
  hostSeen(ctx.data, actorId);
  const account = await findAccountByUri(ctx.data, actorId);
  return account && account.domain !== null ? account : null;
}
