// Home feed maintenance (src/timelines/fanout.ts): fan-out of new statuses, backfill on
// follow, removal on unfollow and block. Each handler is idempotent; jobs may be retried.
import type { Subscriber } from "../../src/events/types.ts";
import { backfillFollow, fanOutStatus, removeFromFeed } from "../../src/timelines/fanout.ts";

export const timelinesSubscriber: Subscriber = {
  "status.created": async ({ db }, { statusId }) => {
    await fanOutStatus(db, statusId);
  },
  "follow.created": async ({ db }, { accountId, targetAccountId }) => {
    await backfillFollow(db, accountId, targetAccountId);
  },
  "follow.removed": async ({ db }, { accountId, targetAccountId }) => {
    await removeFromFeed(db, accountId, targetAccountId);
  },
  "block.created": async ({ db }, { accountId, targetAccountId }) => {
    // Both ways: neither side should see the other's posts, nor boosts of the blocked one's.
    await removeFromFeed(db, accountId, targetAccountId, { withBoostsOf: true });
    await removeFromFeed(db, targetAccountId, accountId, { withBoostsOf: true });
  },
};
