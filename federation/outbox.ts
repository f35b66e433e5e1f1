// What each local action sends, and to whom (called by workers/subscribers/federation.ts).
// Followers are reached through shared inboxes; mentioned and addressed actors directly;
// followers-only posts reach no one else and direct posts only the mentioned actors.
// Remote accounts in a block with the sender (either way) receive nothing.
import type { Context } from "@fedify/fedify";
import {
  Accept,
  type Activity,
  Block,
  Delete,
  Follow,
  Like,
  type Recipient,
  Reject,
  Tombstone,
  Undo,
  Update,
} from "@fedify/vocab";
import type { AccountRow } from "../src/auth/middleware.ts";
import type { DomainEvents } from "../src/events/types.ts";
import type { Services } from "../src/services.ts";
import { personOf } from "./actors.ts";
import { announceOf, statusActivity } from "./collections.ts";
import type { FederationContextData } from "./context.ts";
import { federationContext } from "./index.ts";
import { audienceOf, mentionedAccounts, type StatusRow, statusToNote } from "./objects/note.ts";
import { recipientOf, toInstant } from "./util.ts";

type Ctx = Context<FederationContextData>;

async function accountsById(services: Services, ids: string[]): Promise<Map<string, AccountRow>> {
  if (ids.length === 0) return new Map();
  const rows = await services.db
    .selectFrom("accounts")
    .selectAll()
    .where("id", "in", ids)
    .execute();
  return new Map(rows.map((r) => [r.id, r]));
}

/** The pair when `localId` is a local account and `remoteId` a remote one. */
async function localAndRemote(services: Services, localId: string, remoteId: string) {
  const map = await accountsById(services, [localId, remoteId]);
  const local = map.get(localId);
  const remote = map.get(remoteId);
  if (!local || local.domain !== null || local.suspended_at) return null;
  if (!remote || remote.domain === null || !remote.inbox_url) return null;
  return { local, remote };
}

/** Remote accounts among `ids` that are in no block with `senderId`. */
async function remoteRecipients(
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

/** Sends to the sender's followers (unless `followers` is false) and to `direct` recipients. */
async function deliver(
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
  };
  if (options.followers) {
    await ctx.sendActivity({ identifier: sender.username }, "followers", activity, common);
  }
  if (options.direct.length > 0) {
    await ctx.sendActivity({ identifier: sender.username }, options.direct, activity, common);
  }
}

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

export async function sendProfileUpdate(services: Services, accountId: string): Promise<void> {
  const [account] = (await accountsById(services, [accountId])).values();
  if (!account || account.domain !== null || account.suspended_at) return;
  const ctx = federationContext(services);
  const person = await personOf(ctx, account);
  const actor = ctx.getActorUri(account.username);
  const update = new Update({
    id: new URL(`${actor.href}#updates/${Date.now()}`),
    actor,
    object: person,
    to: new URL("https://www.w3.org/ns/activitystreams#Public"),
    cc: ctx.getFollowersUri(account.username),
  });
  await deliver(ctx, account, update, { followers: true, direct: [] });
}

async function localStatusWithAuthor(services: Services, statusId: string) {
  const status = await services.db
    .selectFrom("statuses")
    .selectAll()
    .where("id", "=", statusId)
    .executeTakeFirst();
  if (!status?.local) return null;
  const [author] = (await accountsById(services, [status.account_id])).values();
  if (!author || author.domain !== null || author.suspended_at) return null;
  return { status, author };
}

export async function sendStatus(
  services: Services,
  statusId: string,
  kind: "create" | "update",
): Promise<void> {
  const found = await localStatusWithAuthor(services, statusId);
  if (!found) return;
  const { status, author } = found;
  const ctx = federationContext(services);
  if (status.reblog_of_id) {
    if (kind === "update") return;
    const announce = await announceOf(ctx, status, author);
    const original = await services.db
      .selectFrom("statuses")
      .select("account_id")
      .where("id", "=", status.reblog_of_id)
      .executeTakeFirst();
    const direct = await remoteRecipients(
      services,
      author.id,
      original ? [original.account_id] : [],
    );
    await deliver(ctx, author, announce, { followers: true, direct, orderingKey: status.uri });
    return;
  }
  const mentioned = await mentionedAccounts(services, status.id);
  const direct = await remoteRecipients(services, author.id, [
    ...mentioned.map((m) => m.id),
    // The replied-to author hears about the reply even when not mentioned (public posts).
    ...(status.in_reply_to_account_id && status.visibility !== "direct"
      ? [status.in_reply_to_account_id]
      : []),
  ]);
  let activity: Activity;
  if (kind === "create") {
    activity = await statusActivity(ctx, status);
  } else {
    const note = await statusToNote(ctx, services, status);
    activity = new Update({
      id: new URL(`${status.uri}#updates/${(status.edited_at ?? new Date()).getTime()}`),
      actor: new URL(author.uri),
      tos: note.toIds,
      ccs: note.ccIds,
      object: note,
      updated: toInstant(status.edited_at ?? new Date()),
    });
  }
  await deliver(ctx, author, activity, {
    followers: status.visibility !== "direct",
    direct,
    orderingKey: status.uri,
  });
}

export async function sendStatusDeletion(
  services: Services,
  event: DomainEvents["status.deleted"],
): Promise<void> {
  if (!event.local) return;
  const [author] = (await accountsById(services, [event.accountId])).values();
  if (!author || author.domain !== null) return;
  const ctx = federationContext(services);
  const actor = ctx.getActorUri(author.username);
  const direct = await remoteRecipients(services, author.id, event.mentionedAccountIds);
  const followers = event.visibility !== "direct";
  if (event.reblogOfId) {
    const undo = new Undo({
      id: new URL(`${event.uri}#undo`),
      actor,
      object: new URL(event.uri),
      to: new URL("https://www.w3.org/ns/activitystreams#Public"),
    });
    await deliver(ctx, author, undo, { followers, direct, orderingKey: event.uri });
    return;
  }
  const { tos, ccs } = audienceOf(
    event.visibility,
    ctx.getFollowersUri(author.username),
    direct.flatMap((r) => (r.id ? [r.id] : [])),
  );
  const del = new Delete({
    id: new URL(`${event.uri}#delete`),
    actor,
    tos,
    ccs,
    object: new Tombstone({ id: new URL(event.uri) }),
  });
  await deliver(ctx, author, del, { followers, direct, orderingKey: event.uri });
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

export type { StatusRow };
