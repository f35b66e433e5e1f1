// Like, and emoji reactions (Misskey's Like with `content`/_misskey_reaction, Pleroma's
// EmojiReact): each counts as one favourite of a local post, since the Mastodon API has
// nothing else to show them as. The favourite's uri is the activity id, so a repeated
// delivery, or a Like after a reaction, changes nothing (one per account and post).
import type { InboxContext } from "@fedify/fedify";
import type { Activity, EmojiReact, Like } from "@fedify/vocab";
import { sql } from "kysely";
import type { AccountRow } from "../../src/auth/middleware.ts";
import { emitEvent } from "../../src/events/emit.ts";
import { newId } from "../../src/infra/ids.ts";
import { canView } from "../../src/statuses/visibility.ts";
import type { FederationContextData } from "../context.ts";
import { findStatusByUri } from "../objects/remote-status.ts";
import { contentSender } from "./sender.ts";

type Ctx = InboxContext<FederationContextData>;

export async function onLike(ctx: Ctx, like: Like): Promise<void> {
  await addFavourite(ctx, like);
}

/** One emoji, or one custom emoji's `:shortcode:`; anything else is not a reaction. */
export function isReactionContent(content: string): boolean {
  const text = content.trim();
  if (/^:[A-Za-z0-9_+-]{1,100}:$/.test(text)) return true;
  const graphemes = [...new Intl.Segmenter(undefined, { granularity: "grapheme" }).segment(text)];
  return graphemes.length === 1 && /\p{Extended_Pictographic}|\p{Regional_Indicator}/u.test(text);
}

export async function onEmojiReact(ctx: Ctx, react: EmojiReact): Promise<void> {
  const content = react.content?.toString() ?? "";
  if (!isReactionContent(content)) return;
  await addFavourite(ctx, react);
}

async function addFavourite(ctx: Ctx, activity: Activity): Promise<void> {
  const objectId = activity.objectId;
  if (!activity.id || !objectId) return;
  // Only our own posts: counting favourites of remote posts is their server's business.
  const status = await findStatusByUri(ctx.data, objectId.href);
  if (!status?.local || status.reblog_of_id) return;
  const sender = await contentSender(ctx, activity);
  if (!sender) return;
  // A post the sender may not see can't be favourited by it (and its existence isn't told).
  if (!(await canView(ctx.data.db, sender.id, status.id))) return;
  const favourite = await ctx.data.db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto("favourites")
      .values({
        id: newId(),
        account_id: sender.id,
        status_id: status.id,
        uri: activity.id?.href ?? null,
      })
      .onConflict((oc) => oc.columns(["account_id", "status_id"]).doNothing())
      .returning(["id"])
      .executeTakeFirst();
    if (!row) return null;
    await trx
      .updateTable("statuses")
      .set((eb) => ({ favourites_count: eb("favourites_count", "+", 1) }))
      .where("id", "=", status.id)
      .execute();
    return row;
  });
  if (favourite) {
    await emitEvent(ctx.data, "favourite.created", {
      favouriteId: favourite.id,
      accountId: sender.id,
      statusId: status.id,
    });
  }
}

/** Undo(Like) (the core Undo handler's delegate: the sender is verified and stored). */
export async function undoLike(ctx: Ctx, sender: AccountRow, like: Like): Promise<void> {
  if (like.id && (await undoFavouriteByUri(ctx, sender, like.id.href))) return;
  const objectId = like.objectId;
  if (!objectId) return;
  const status = await findStatusByUri(ctx.data, objectId.href);
  if (status) await removeFavourite(ctx, sender, { statusId: status.id });
}

/** Undo(EmojiReact): the same favourite. */
export async function undoEmojiReact(
  ctx: Ctx,
  sender: AccountRow,
  react: EmojiReact,
): Promise<void> {
  await undoLike(ctx, sender, react as unknown as Like);
}

/**
 * Undo of a stored Like or reaction by its id alone (Undo whose object is just an IRI,
 * which many servers don't serve). True when there was one.
 */
export async function undoFavouriteByUri(
  ctx: Ctx,
  sender: AccountRow,
  uri: string,
): Promise<boolean> {
  return await removeFavourite(ctx, sender, { uri });
}

async function removeFavourite(
  ctx: Ctx,
  sender: AccountRow,
  by: { uri: string } | { statusId: string },
): Promise<boolean> {
  const removed = await ctx.data.db.transaction().execute(async (trx) => {
    let query = trx.deleteFrom("favourites").where("account_id", "=", sender.id);
    query =
      "uri" in by ? query.where("uri", "=", by.uri) : query.where("status_id", "=", by.statusId);
    const row = await query.returning(["status_id", "uri"]).executeTakeFirst();
    if (!row) return null;
    await trx
      .updateTable("statuses")
      .set({ favourites_count: sql`greatest(favourites_count - 1, 0)` })
      .where("id", "=", row.status_id)
      .execute();
    return row;
  });
  if (!removed) return false;
  await emitEvent(ctx.data, "favourite.removed", {
    accountId: sender.id,
    statusId: removed.status_id,
    uri: removed.uri,
  });
  return true;
}
