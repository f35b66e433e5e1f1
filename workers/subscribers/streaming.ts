// Streaming (src/streaming/events.ts): new, edited and deleted statuses as events for the
// user, public and hashtag streams. Recipients are computed here with fan-out's rules rather
// than read from home_feed, since this job may run before the timelines one. Notifications
// are streamed on `notification.created`, which the notifications subscriber emits once the
// row is stored.
import type { Subscriber } from "../../src/events/types.ts";
import {
  streamNotificationCreated,
  streamStatusCreated,
  streamStatusDeleted,
  streamStatusUpdated,
} from "../../src/streaming/events.ts";

export const streamingSubscriber: Subscriber = {
  "status.created": streamStatusCreated,
  "status.updated": streamStatusUpdated,
  "status.deleted": streamStatusDeleted,
  "notification.created": streamNotificationCreated,
};
