// Announce: the sender boosts a post, ours or a remote one (fetched if unknown). The boost
// is a status row of its own (reblog_of_id) whose uri is the activity id, so a repeated
// delivery stores nothing new. An embedded copy of a post from another origin is never
// believed: Fedify fetches it again from its own id.
import type { InboxContext } from "@fedify/fedify";
import type { Announce } from "@fedify/vocab";
import type { AccountRow } from "../../src/auth/middleware.ts";
import { emitEvent } from "../../src/events/emit.ts";
import { newId } from "../../src/infra/ids.ts";
import type { FederationContextData } from "../context.ts";
import { visibilityOf } from "../objects/remote-content.ts";
import {
  findStatusByUri,
  isLocalUri,
  type StatusRow,
  upsertRemoteStatus,
} from "../objects/remote-status.ts";
import { deleteStatusRow } from "./delete.ts";
import { contentSender } from "./sender.ts";

type Ctx = InboxContext<FederationContextData>;

export async function onAnnounce(ctx: Ctx, announce: Announce): Promise<void> {
  const actorId = announce.actorId;
  const objectId = announce.objectId;
  if (!announce.id || !actorId || !objectId) return;
  // The boost itself is the sender's: its id must be on the sender's server.
  if (announce.id.origin !== actorId.origin) return;
  if (await findStatusByUri(ctx.data, announce.id.href)) return;
  const sender = await contentSender(ctx, announce);
  if (!sender) return;
  const target = await boostedStatus(ctx, announce, objectId);
  if (!target || target.reblog_of_id) return;
  // Followers-only and direct posts can't be shared, except by their author.
  const shareable = target.visibility === "public" || target.visibility === "unlisted";
  if (!shareable && target.account_id !== sender.id) return;
  const visibility = visibilityOf({ to: announce.toIds, cc: announce.ccIds }, sender.followers_url);
  if (visibility === "direct") return;
  const publishedMs = announce.published?.epochMilliseconds ?? Date.now();
  const published = new Date(Math.min(publishedMs, Date.now()));
  const boost = await ctx.data.db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto("statuses")
      .values({
        id: newId(published),
        uri: announce.id?.href ?? "",
        url: null,
        account_id: sender.id,
        local: false,
        reblog_of_id: target.id,
        in_reply_to_id: null,
        in_reply_to_account_id: null,
        in_reply_to_uri: null,
        conversation_id: null,
        application_id: null,
        visibility,
        language: null,
        edited_at: null,
        created_at: published,
      })
      .onConflict((oc) => oc.column("uri").doNothing())
      .returningAll()
      .executeTakeFirst();
    if (!row) return null;
    await trx
      .updateTable("statuses")
      .set((eb) => ({ reblogs_count: eb("reblogs_count", "+", 1) }))
      .where("id", "=", target.id)
      .execute();
    await trx
      .updateTable("accounts")
      .set((eb) => ({
        statuses_count: eb("statuses_count", "+", 1),
        last_status_at: eb.fn("greatest", ["last_status_at", eb.val(published)]),
      }))
      .where("id", "=", sender.id)
      .execute();
    return row;
  });
  if (boost) await emitEvent(ctx.data, "status.created", { statusId: boost.id });
}

async function boostedStatus(
  ctx: Ctx,
  announce: Announce,
  objectId: URL,
): Promise<StatusRow | undefined> {
  const known = await findStatusByUri(ctx.data, objectId.href);
  if (known || isLocalUri(ctx.data, objectId)) return known;
  const object = await announce.getObject(ctx).catch(() => null);
  if (!object?.id || object.id.href !== objectId.href) return undefined;
  return await upsertRemoteStatus(ctx, ctx.data, object);
}

/** Undo(Announce) (the core Undo handler's delegate: the sender is verified and stored). */
export async function undoAnnounce(
  ctx: Ctx,
  sender: AccountRow,
  announce: Announce,
): Promise<void> {
  if (announce.id) await undoAnnounceByUri(ctx, sender, announce.id.href);
}

/** Undo of a stored boost by its activity id alone. True when there was one. */
export async function undoAnnounceByUri(
  ctx: Ctx,
  sender: AccountRow,
  uri: string,
): Promise<boolean> {
  const boost = await findStatusByUri(ctx.data, uri);
  if (!boost?.reblog_of_id || boost.account_id !== sender.id || boost.local) return false;
  return await deleteStatusRow(ctx.data, boost);
}
