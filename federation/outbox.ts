// What each local action sends, and to whom (called by workers/subscribers/federation.ts).
// Followers are reached through shared inboxes; mentioned and addressed actors directly;
// followers-only posts reach no one else and direct posts only the mentioned actors.
// Remote accounts in a block with the sender (either way) receive nothing.
import type { Context } from "@fedify/fedify";
import {
  Accept,
  type Activity,
  Add,
  Block,
  Create,
  Delete,
  Flag,
  Follow,
  Like,
  Note,
  type Recipient,
  Reject,
  Remove,
  Tombstone,
  Undo,
  Update,
} from "@fedify/vocab";
import { sql } from "kysely";
import type { AccountRow } from "../src/auth/middleware.ts";
import type { DomainEvents } from "../src/events/types.ts";
import type { Services } from "../src/services.ts";
import { personOf } from "./actors.ts";
import { announceOf, statusActivity } from "./collections.ts";
import type { FederationContextData } from "./context.ts";
import { federationContext } from "./index.ts";
import { accountKeyPairs } from "./keys.ts";
import { audienceOf, mentionedAccounts, type StatusRow, statusToNote } from "./objects/note.ts";
import { INSTANCE_ACTOR, recipientOf, toInstant } from "./util.ts";

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
  kind: "create" | "update" | "poll",
): Promise<void> {
  const found = await localStatusWithAuthor(services, statusId);
  if (!found) return;
  const { status, author } = found;
  const ctx = federationContext(services);
  if (status.reblog_of_id) {
    if (kind !== "create") return;
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
    // New poll totals also reach remote voters who don't follow the author.
    ...(kind === "poll" ? await remotePollVoters(services, status.id) : []),
  ]);
  let activity: Activity;
  if (kind === "create") {
    activity = await statusActivity(ctx, status);
  } else {
    const note = await statusToNote(ctx, services, status);
    // A poll's new totals are not an edit: a fresh activity id (receivers drop repeated
    // ids) and the edit date unchanged, so no edit is recorded on the other side.
    const at = kind === "poll" ? new Date() : (status.edited_at ?? new Date());
    activity = new Update({
      id: new URL(`${status.uri}#updates/${kind === "poll" ? "poll-" : ""}${at.getTime()}`),
      actor: new URL(author.uri),
      tos: note.toIds,
      ccs: note.ccIds,
      object: note,
      updated:
        kind === "poll"
          ? status.edited_at
            ? toInstant(status.edited_at)
            : null
          : toInstant(status.edited_at ?? new Date()),
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

/**
 * Add (pin) or Remove (unpin) of a local post to the author's featured collection, sent to
 * followers so their servers show the pins. Only public and unlisted posts can be pinned.
 */
export async function sendFeaturedChange(
  services: Services,
  kind: "add" | "remove",
  accountId: string,
  statusUri: string,
): Promise<void> {
  const [account] = (await accountsById(services, [accountId])).values();
  if (!account || account.domain !== null || account.suspended_at) return;
  const status = await services.db
    .selectFrom("statuses")
    .select(["visibility", "local", "account_id"])
    .where("uri", "=", statusUri)
    .executeTakeFirst();
  // An unpin of a post since deleted still goes out (the Delete covers the rest).
  if (status && (!status.local || status.account_id !== account.id)) return;
  if (status && status.visibility !== "public" && status.visibility !== "unlisted") return;
  const ctx = federationContext(services);
  const actor = ctx.getActorUri(account.username);
  const values = {
    id: new URL(`${actor.href}#${kind}s/featured/${Date.now()}`),
    actor,
    object: new URL(statusUri),
    target: ctx.getFeaturedUri(account.username),
    to: new URL("https://www.w3.org/ns/activitystreams#Public"),
    cc: ctx.getFollowersUri(account.username),
  };
  const activity = kind === "add" ? new Add(values) : new Remove(values);
  await deliver(ctx, account, activity, { followers: true, direct: [] });
}

/**
 * Forwards a report to other servers as a Flag from the instance actor (which hides the
 * reporter, as Mastodon does): to the reported account's server and to `domains`' accounts
 * the reported posts replied to.
 */
export async function sendReportFlag(
  services: Services,
  reportId: string,
  domains: string[],
): Promise<void> {
  const report = await services.db
    .selectFrom("reports")
    .selectAll()
    .where("id", "=", reportId)
    .executeTakeFirst();
  if (!report?.uri) return;
  const [target] = (await accountsById(services, [report.target_account_id])).values();
  if (!target || target.domain === null) return;
  const statuses =
    report.status_ids.length > 0
      ? await services.db
          .selectFrom("statuses")
          .select(["uri", "in_reply_to_account_id"])
          .where("id", "in", report.status_ids)
          .execute()
      : [];
  const others = await accountsById(
    services,
    statuses.flatMap((s) => (s.in_reply_to_account_id ? [s.in_reply_to_account_id] : [])),
  );
  const wanted = new Set(domains.map((d) => d.toLowerCase()));
  const recipients = [target, ...others.values()].filter(
    (a) => a.domain !== null && a.inbox_url && wanted.has(a.domain.toLowerCase()),
  );
  if (recipients.length === 0) return;
  const ctx = federationContext(services);
  const flag = new Flag({
    id: new URL(report.uri),
    actor: ctx.getActorUri(INSTANCE_ACTOR),
    content: report.comment,
    objects: [new URL(target.uri), ...statuses.map((s) => new URL(s.uri))],
  });
  await ctx.sendActivity({ identifier: INSTANCE_ACTOR }, recipients.map(recipientOf), flag, {
    preferSharedInbox: true,
  });
}

/**
 * Tells every server we know of that a local actor is gone (suspension or deletion), so
 * they delete its content. Signed with the account's stored keys: a suspended account has
 * no key through the actor dispatcher. The keys travel inside the queued deliveries, so the
 * account may be deleted right after this returns.
 */
export async function sendActorDeletion(services: Services, accountId: string): Promise<void> {
  const [account] = (await accountsById(services, [accountId])).values();
  if (!account || account.domain !== null) return;
  const ctx = federationContext(services);
  const actor = ctx.getActorUri(account.username);
  const pairs = await accountKeyPairs(services.db, account.id);
  const keys = pairs.map((pair, i) => ({
    privateKey: pair.privateKey,
    keyId: new URL(i === 0 ? "#main-key" : `#key-${i + 1}`, actor),
  }));
  if (keys.length === 0) return;
  // One recipient per inbox (shared where there is one): followers and every other
  // remote account we have met, as Mastodon reaches everyone that may hold a copy.
  const inboxes = await services.db
    .selectFrom("accounts")
    .select(["uri", "inbox_url", "shared_inbox_url"])
    .distinctOn(sql`coalesce(shared_inbox_url, inbox_url)`)
    .where("domain", "is not", null)
    .where("inbox_url", "is not", null)
    .where("suspended_at", "is", null)
    .execute();
  if (inboxes.length === 0) return;
  const del = new Delete({
    id: new URL(`${actor.href}#delete`),
    actor,
    to: new URL("https://www.w3.org/ns/activitystreams#Public"),
    object: actor,
  });
  await ctx.sendActivity(keys, inboxes.map(recipientOf), del, {
    preferSharedInbox: true,
    excludeBaseUris: [new URL(ctx.data.config.publicUrl)],
  });
}

async function remotePollVoters(services: Services, statusId: string): Promise<string[]> {
  const rows = await services.db
    .selectFrom("poll_votes")
    .innerJoin("polls", "polls.id", "poll_votes.poll_id")
    .innerJoin("accounts", "accounts.id", "poll_votes.account_id")
    .select("accounts.id")
    .distinct()
    .where("polls.status_id", "=", statusId)
    .where("accounts.domain", "is not", null)
    .execute();
  return rows.map((r) => r.id);
}

/** A local poll's current totals, as an Update of its Question. */
export async function sendPollUpdate(services: Services, statusId: string): Promise<void> {
  await sendStatus(services, statusId, "poll");
}

/**
 * A local account's votes on a remote poll, as Mastodon sends them: one Create per chosen
 * option, of a Note named after the option, replying to the Question, for its author only.
 */
export async function sendPollVotes(
  services: Services,
  pollId: string,
  accountId: string,
  voteIds: string[],
): Promise<void> {
  const poll = await services.db
    .selectFrom("polls")
    .innerJoin("statuses", "statuses.id", "polls.status_id")
    .select(["polls.options", "statuses.uri", "statuses.account_id", "statuses.local"])
    .where("polls.id", "=", pollId)
    .executeTakeFirst();
  if (!poll || poll.local || voteIds.length === 0) return;
  const pair = await localAndRemote(services, accountId, poll.account_id);
  if (!pair) return;
  const [recipient] = await remoteRecipients(services, pair.local.id, [pair.remote.id]);
  if (!recipient) return;
  const votes = await services.db
    .selectFrom("poll_votes")
    .select(["id", "choice", "uri"])
    .where("id", "in", voteIds)
    .where("account_id", "=", accountId)
    .execute();
  const ctx = federationContext(services);
  const actor = ctx.getActorUri(pair.local.username);
  const author = new URL(pair.remote.uri);
  for (const vote of votes) {
    const name = poll.options[vote.choice];
    if (name === undefined) continue;
    const id = new URL(vote.uri ?? `${actor.href}#votes/${vote.id}`);
    const note = new Note({
      id,
      attribution: actor,
      name,
      replyTarget: new URL(poll.uri),
      to: author,
    });
    const create = new Create({
      id: new URL(`${id.href}/activity`),
      actor,
      object: note,
      to: author,
    });
    await ctx.sendActivity({ identifier: pair.local.username }, recipient, create);
  }
}

export type { StatusRow };
