// Outbound federation: turns domain events into activities and hands them to Fedify, which
// signs and queues one delivery per inbox (outbox queue: 16 tries over ~2.5 days, and a
// per-host circuit breaker). Only local actors send; remote-origin changes are never echoed.
import type { Subscriber } from "../../src/events/types.ts";

// Loaded on first use: the federation imports services that emit events, whose table
// imports this file.
const outbox = () => import("../../federation/outbox.ts");

export const federationSubscriber: Subscriber = {
  "follow_request.created": async (s, e) => (await outbox()).sendFollow(s, e.requestId),
  "follow.removed": async (s, e) =>
    (await outbox()).sendUndoFollow(s, e.accountId, e.targetAccountId, e.uri),
  "follow_request.authorized": async (s, e) =>
    (await outbox()).sendFollowAnswer(s, "accept", e.accountId, e.targetAccountId, e.uri),
  "follow_request.rejected": async (s, e) =>
    (await outbox()).sendFollowAnswer(s, "reject", e.accountId, e.targetAccountId, e.uri),
  "block.created": async (s, e) =>
    (await outbox()).sendBlock(s, false, e.accountId, e.targetAccountId, e.uri),
  "block.removed": async (s, e) =>
    (await outbox()).sendBlock(s, true, e.accountId, e.targetAccountId, e.uri),
  "account.updated": async (s, e) => (await outbox()).sendProfileUpdate(s, e.accountId),
  "account.suspended": async (s, e) => (await outbox()).sendActorDeletion(s, e.accountId),
  "report.forwarded": async (s, e) => (await outbox()).sendReportFlag(s, e.reportId, e.domains),
  "status.created": async (s, e) => (await outbox()).sendStatus(s, e.statusId, "create"),
  "status.updated": async (s, e) => (await outbox()).sendStatus(s, e.statusId, "update"),
  "status.deleted": async (s, e) => (await outbox()).sendStatusDeletion(s, e),
  "poll.voted": async (s, e) => (await outbox()).sendPollVotes(s, e.pollId, e.accountId, e.voteIds),
  "status.pinned": async (s, e) =>
    (await outbox()).sendFeaturedChange(s, "add", e.accountId, e.uri),
  "status.unpinned": async (s, e) =>
    (await outbox()).sendFeaturedChange(s, "remove", e.accountId, e.uri),
  "favourite.created": async (s, e) =>
    (await outbox()).sendLike(s, e.accountId, e.statusId, e.favouriteId, null),
  "favourite.removed": async (s, e) =>
    (await outbox()).sendLike(s, e.accountId, e.statusId, null, e.uri),
};
