// Who a local action's activity goes to: the local/remote pair of a one-to-one activity,
// the remote accounts among some ids that are in no block with the sender, and the
// followers-plus-direct delivery shared by every public-facing activity.
import type { Context } from "@fedify/fedify";
import type { Activity, Recipient } from "@fedify/vocab";
import type { AccountRow } from "../../src/auth/middleware.ts";
import type { Services } from "../../src/services.ts";
import type { FederationContextData } from "../context.ts";
import { mediaExtrasOf } from "../objects/media-extensions.ts";
import { recipientOf } from "../util.ts";

export type Ctx = Context<FederationContextData>;

export async function accountsById(
  services: Services,
  ids: string[],
): Promise<Map<string, AccountRow>> {
  if (ids.length === 0) return new Map();
  const rows = await services.db
    .selectFrom("accounts")
    .selectAll()
    .where("id", "in", ids)
    .execute();
  return new Map(rows.map((r) => [r.id, r]));
}

/** The pair when `localId` is a local account and `remoteId` a remote one. */
export async function localAndRemote(services: Services, localId: string, remoteId: string) {
  const map = await accountsById(services, [localId, remoteId]);
  const local = map.get(localId);
  const remote = map.get(remoteId);
  if (!local || local.domain !== null || local.suspended_at) return null;
  if (!remote || remote.domain === null || !remote.inbox_url) return null;
  return { local, remote };
}

/** Remote accounts among `ids` that are in no block with `senderId`. */
export async function remoteRecipients(
  services: Services,
  senderId: string,
  ids: string[],
): Promise<Recipient[]> {
  if (ids.length === 0) return [];
  const rows = await services.db
    .selectFrom("accounts")
    .selectAll()
    .where("id", "in", ids)
    .where("domain", "is not", null)
    .where("inbox_url", "is not", null)
    .where((eb) =>
      eb.not(
        eb.exists(
          eb
            .selectFrom("blocks")
            .select("blocks.id")
            .where((b) =>
              b.or([
                b.and([
                  b("blocks.account_id", "=", senderId),
                  b.eb("blocks.target_account_id", "=", b.ref("accounts.id")),
                ]),
                b.and([
                  b("blocks.target_account_id", "=", senderId),
                  b.eb("blocks.account_id", "=", b.ref("accounts.id")),
                ]),
              ]),
            ),
        ),
      ),
    )
    .execute();
  return rows.map(recipientOf);
}

/** Whether any follower of `accountId` lives on another server. */
export async function hasRemoteFollowers(services: Services, accountId: string): Promise<boolean> {
  const row = await services.db
    .selectFrom("follows")
    .innerJoin("accounts", "accounts.id", "follows.account_id")
    .select("follows.id")
    .where("follows.target_account_id", "=", accountId)
    .where("accounts.domain", "is not", null)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * Sends to the sender's followers (unless `followers` is false) and to `direct` recipients.
 * Followers are skipped when none is remote: Fedify signs an activity before it looks for
 * inboxes, and for an account followed only locally that is seconds of CPU for no one.
 */
export async function deliver(
  ctx: Ctx,
  sender: AccountRow,
  activity: Activity,
  options: { followers: boolean; direct: Recipient[]; orderingKey?: string },
): Promise<void> {
  const common = {
    preferSharedInbox: true,
    // Local followers see local posts through fan-out, not through our own inbox.
    excludeBaseUris: [new URL(ctx.data.config.publicUrl)],
    orderingKey: options.orderingKey,
    // Fedify's fan-out queue re-parses the activity into plain vocabulary objects, which
    // would drop the attachments' blurhash and focalPoint (objects/media-extensions.ts).
    ...(mediaExtrasOf(activity) ? { fanout: "skip" as const } : {}),
  };
  if (options.followers && (await hasRemoteFollowers(ctx.data, sender.id))) {
    await ctx.sendActivity({ identifier: sender.username }, "followers", activity, common);
  }
  if (options.direct.length > 0) {
    await ctx.sendActivity({ identifier: sender.username }, options.direct, activity, common);
  }
}
