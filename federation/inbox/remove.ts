// Remove from an actor's `featured` collection: the remote account unpinned one of its
// posts (see add.ts for which Adds and Removes count).
import type { InboxContext } from "@fedify/fedify";
import type { Remove } from "@fedify/vocab";
import type { FederationContextData } from "../context.ts";
import { findStatusByUri } from "../objects/remote-status.ts";
import { featuredOwner } from "./add.ts";

type Ctx = InboxContext<FederationContextData>;

export async function onRemove(ctx: Ctx, remove: Remove): Promise<void> {
  const account = await featuredOwner(ctx, remove);
  if (!account || !remove.objectId) return;
  // Only what we stored: an unknown post has no pin here to remove.
  const status = await findStatusByUri(ctx.data, remove.objectId.href);
  if (!status || status.account_id !== account.id) return;
  await ctx.data.db
    .deleteFrom("status_pins")
    .where("account_id", "=", account.id)
    .where("status_id", "=", status.id)
    .execute();
}
