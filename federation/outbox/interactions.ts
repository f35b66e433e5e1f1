// One-to-one activities between a local and a remote account: Follow and its Undo,
// Accept/Reject of a remote Follow, Block and its Undo, Like and its Undo.
import { Accept, Block, Follow, Like, Reject, Undo } from "@fedify/vocab";
import type { Services } from "../../src/services.ts";
import { federationContext } from "../index.ts";
import { recipientOf } from "../util.ts";
import { localAndRemote, remoteRecipients } from "./recipients.ts";

export async function sendFollow(services: Services, requestId: string): Promise<void> {
  const request = await services.db
    .selectFrom("follow_requests")
    .selectAll()
    .where("id", "=", requestId)
    .executeTakeFirst();
  if (!request?.uri) return;
  const pair = await localAndRemote(services, request.account_id, request.target_account_id);
  if (!pair) return;
  const ctx = federationContext(services);
  const follow = new Follow({
    id: new URL(request.uri),
    actor: ctx.getActorUri(pair.local.username),
    object: new URL(pair.remote.uri),
    to: new URL(pair.remote.uri),
  });
  await ctx.sendActivity({ identifier: pair.local.username }, recipientOf(pair.remote), follow);
}

export async function sendUndoFollow(
  services: Services,
  followerId: string,
  targetId: string,
  uri: string | null,
): Promise<void> {
  const pair = await localAndRemote(services, followerId, targetId);
  if (!pair || !uri) return;
  const ctx = federationContext(services);
  const actor = ctx.getActorUri(pair.local.username);
  const follow = new Follow({ id: new URL(uri), actor, object: new URL(pair.remote.uri) });
  const undo = new Undo({
    id: new URL(`${uri}#undo`),
    actor,
    object: follow,
    to: new URL(pair.remote.uri),
  });
  await ctx.sendActivity({ identifier: pair.local.username }, recipientOf(pair.remote), undo);
}

/** Accept or Reject a remote account's Follow of a local account. */
export async function sendFollowAnswer(
  services: Services,
  kind: "accept" | "reject",
  followerId: string,
  targetId: string,
  uri: string | null,
): Promise<void> {
  const pair = await localAndRemote(services, targetId, followerId);
  if (!pair || !uri) return;
  const ctx = federationContext(services);
  const actor = ctx.getActorUri(pair.local.username);
  const follow = new Follow({ id: new URL(uri), actor: new URL(pair.remote.uri), object: actor });
  const id = new URL(`${actor.href}#${kind}s/follows/${encodeURIComponent(uri)}`);
  const values = { id, actor, object: follow, to: new URL(pair.remote.uri) };
  const activity = kind === "accept" ? new Accept(values) : new Reject(values);
  await ctx.sendActivity({ identifier: pair.local.username }, recipientOf(pair.remote), activity);
}

export async function sendBlock(
  services: Services,
  undo: boolean,
  blockerId: string,
  targetId: string,
  uri: string | null,
): Promise<void> {
  const pair = await localAndRemote(services, blockerId, targetId);
  if (!pair) return;
  const ctx = federationContext(services);
  const actor = ctx.getActorUri(pair.local.username);
  const id = new URL(uri ?? `${actor.href}#blocks/${pair.remote.id}`);
  const block = new Block({
    id,
    actor,
    object: new URL(pair.remote.uri),
    to: new URL(pair.remote.uri),
  });
  const activity = undo
    ? new Undo({
        id: new URL(`${id.href}#undo`),
        actor,
        object: block,
        to: new URL(pair.remote.uri),
      })
    : block;
  // Sent even though the block cuts every other delivery: the blocked server must know.
  await ctx.sendActivity({ identifier: pair.local.username }, recipientOf(pair.remote), activity);
}

/** Like (favouriteId given) or Undo(Like) (uri given) to the remote author of a status. */
export async function sendLike(
  services: Services,
  accountId: string,
  statusId: string,
  favouriteId: string | null,
  uri: string | null,
): Promise<void> {
  const status = await services.db
    .selectFrom("statuses")
    .select(["uri", "account_id"])
    .where("id", "=", statusId)
    .executeTakeFirst();
  if (!status) return;
  const pair = await localAndRemote(services, accountId, status.account_id);
  if (!pair) return;
  const [recipient] = await remoteRecipients(services, pair.local.id, [pair.remote.id]);
  if (!recipient) return;
  const ctx = federationContext(services);
  const actor = ctx.getActorUri(pair.local.username);
  let likeUri = uri;
  if (favouriteId) {
    const row = await services.db
      .selectFrom("favourites")
      .select("uri")
      .where("id", "=", favouriteId)
      .executeTakeFirst();
    likeUri = row?.uri ?? null;
  }
  const id = new URL(likeUri ?? `${actor.href}#likes/${favouriteId ?? statusId}`);
  const like = new Like({ id, actor, object: new URL(status.uri), to: new URL(pair.remote.uri) });
  const activity = favouriteId
    ? like
    : new Undo({
        id: new URL(`${id.href}#undo`),
        actor,
        object: like,
        to: new URL(pair.remote.uri),
      });
  await ctx.sendActivity({ identifier: pair.local.username }, recipient, activity);
}
