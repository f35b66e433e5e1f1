// A local account's posts going out: Create/Update/Announce of a status, its deletion,
// pins (featured Add/Remove), a local poll's new totals and local votes on a remote poll.
import { type Activity, Add, Create, Delete, Note, Remove, Tombstone, Undo } from "@fedify/vocab";
import type { DomainEvents } from "../../src/events/types.ts";
import type { Services } from "../../src/services.ts";
import { announceOf, statusActivity } from "../collections.ts";
import { federationContext } from "../index.ts";
import { activityWithMedia } from "../objects/media-extensions.ts";
import { audienceOf, mentionedAccounts, statusToNote } from "../objects/note.ts";
import { toInstant } from "../util.ts";
import { accountsById, deliver, localAndRemote, remoteRecipients } from "./recipients.ts";

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
    activity = activityWithMedia("update", {
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
