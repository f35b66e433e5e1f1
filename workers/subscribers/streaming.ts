// Streaming (src/streaming/events.ts): new, edited and deleted statuses as events for the
// user, list, public and hashtag streams. Recipients are computed here with fan-out's rules
// rather than read from home_feed, since this job may run before the timelines one.
// Notifications are streamed on `notification.created`, which the notifications subscriber
// emits once the row is stored; `filters.changed` becomes `filters_changed`.
import type { Subscriber } from "../../src/events/types.ts";
import {
  streamFiltersChanged,
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
  "filters.changed": streamFiltersChanged,
};
