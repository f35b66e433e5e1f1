// Streaming (src/streaming/events.ts): new, edited and deleted statuses as events for the
// user, list, public and hashtag streams. Recipients are computed with fan-out's rules
// rather than read from home_feed, since this may run before the timelines job.
// Status events are published directly by the process that emitted them
// (src/streaming/direct.ts); their jobs here are the delayed fallback, which publishes only
// if that did not happen. Notifications are streamed on `notification.created`, which the
// notifications subscriber emits once the row is stored; `filters.changed` becomes
// `filters_changed`.
import type { Subscriber } from "../../src/events/types.ts";
import { fallbackFor } from "../../src/streaming/direct.ts";
import { streamFiltersChanged, streamNotificationCreated } from "../../src/streaming/events.ts";

export const streamingSubscriber: Subscriber = {
  "status.created": fallbackFor("status.created"),
  "status.updated": fallbackFor("status.updated"),
  "status.deleted": fallbackFor("status.deleted"),
  "notification.created": streamNotificationCreated,
  "filters.changed": streamFiltersChanged,
};
