// What each local action sends, and to whom (called by workers/subscribers/federation.ts).
// Followers are reached through shared inboxes; mentioned and addressed actors directly;
// followers-only posts reach no one else and direct posts only the mentioned actors.
// Remote accounts in a block with the sender (either way) receive nothing.
//
// This file is the one public entry of the outbox (the only code that sends); the
// activities live in federation/outbox/ by concern.

export type { StatusRow } from "./objects/note.ts";
export { sendActorDeletion, sendProfileUpdate, sendReportFlag } from "./outbox/actor.ts";
export {
  sendBlock,
  sendFollow,
  sendFollowAnswer,
  sendLike,
  sendUndoFollow,
} from "./outbox/interactions.ts";
export {
  sendFeaturedChange,
  sendPollUpdate,
  sendPollVotes,
  sendStatus,
  sendStatusDeletion,
} from "./outbox/statuses.ts";
