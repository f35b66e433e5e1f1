// Add / Remove to an actor's `featured` collection: a remote account pinned or unpinned one
// of its posts. Stored as status_pins rows, so the account's statuses with `pinned=true`
// show them as they show local pins. Only the actor's own featured collection (the one its
// actor document names) and only the actor's own public or unlisted posts count; Adds to
// other collections (featured hashtags, Mastodon's `featuredTags`) are ignored. The same
// rules apply to the posts of the featured collection fetched when an account is first
// stored (federation/featured-fetch.ts), through pinFeaturedPost.
import type { Context, InboxContext } from "@fedify/fedify";
import type { Add, Object as APObject, Remove } from "@fedify/vocab";
import type { AccountRow } from "../../src/auth/middleware.ts";
import { newId } from "../../src/infra/ids.ts";
import type { FederationContextData } from "../context.ts";
import { findStatusByUri, type StatusRow, upsertRemoteStatus } from "../objects/remote-status.ts";
import { contentSender } from "./sender.ts";

type Ctx = InboxContext<FederationContextData>;

/** The sender, when `activity` targets the sender's own featured collection. */
export async function featuredOwner(ctx: Ctx, activity: Add | Remove): Promise<AccountRow | null> {
  const { actorId, targetId, objectId } = activity;
  if (!actorId || !targetId || !objectId) return null;
  if (targetId.origin !== actorId.origin || objectId.origin !== actorId.origin) return null;
  const account = await contentSender(ctx, activity);
  if (!account?.featured_url || account.featured_url !== targetId.href) return null;
  return account;
}

export async function onAdd(ctx: Ctx, add: Add): Promise<void> {
  const account = await featuredOwner(ctx, add);
  if (!account || !add.objectId) return;
  await pinFeaturedPost(ctx, account, add.objectId, () => add.getObject(ctx));
}

/**
 * Records the post `objectId` as pinned by `account`, storing it first when it is new here
 * (`load` gives its object: a post pinned before anyone here followed was never received).
 * Shared by the Add handler and the fetch of a new account's featured collection
 * (federation/featured-fetch.ts). True when the post is (now) pinned.
 */
export async function pinFeaturedPost(
  ctx: Context<FederationContextData>,
  account: AccountRow,
  objectId: URL,
  load: () => Promise<APObject | null>,
): Promise<boolean> {
  let status: StatusRow | undefined = await findStatusByUri(ctx.data, objectId.href);
  if (!status) {
    const object = await load().catch(() => null);
    if (object?.id?.href !== objectId.href) return false;
    status = await upsertRemoteStatus(ctx, ctx.data, object, { author: account });
  }
  if (!status || status.account_id !== account.id || status.reblog_of_id) return false;
  // Mastodon's rule for pins: never a followers-only or direct post.
  if (status.visibility !== "public" && status.visibility !== "unlisted") return false;
  // No count limit for remote pins (Mastodon limits local accounts only).
  await ctx.data.db
    .insertInto("status_pins")
    .values({ id: newId(), account_id: account.id, status_id: status.id, uri: null })
    .onConflict((oc) => oc.columns(["account_id", "status_id"]).doNothing())
    .execute();
  return true;
}
