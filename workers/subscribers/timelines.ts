// Home and list feed maintenance (src/timelines/fanout.ts, src/lists/feed.ts): fan-out of
// new statuses, backfill on follow and on joining a list, removal on unfollow and block.
// Each handler is idempotent; jobs may be retried.
import type { Subscriber } from "../../src/events/types.ts";
import {
  backfillListMembers,
  fanOutToLists,
  removeUnfollowedFromLists,
} from "../../src/lists/feed.ts";
import { backfillFollow, fanOutStatus, removeFromFeed } from "../../src/timelines/fanout.ts";

export const timelinesSubscriber: Subscriber = {
  "status.created": async ({ db }, { statusId }) => {
    await fanOutStatus(db, statusId);
    await fanOutToLists(db, statusId);
  },
  "follow.created": async ({ db }, { accountId, targetAccountId }) => {
    await backfillFollow(db, accountId, targetAccountId);
  },
  "follow.removed": async ({ db }, { accountId, targetAccountId }) => {
    await removeFromFeed(db, accountId, targetAccountId);
    // The list memberships went with the follow (foreign key); their feed entries go here.
    await removeUnfollowedFromLists(db, accountId, targetAccountId);
  },
  "list.accounts_added": async ({ db }, { listId, accountIds }) => {
    await backfillListMembers(db, listId, accountIds);
  },
  "block.created": async ({ db }, { accountId, targetAccountId }) => {
    // Both ways: neither side should see the other's posts, nor boosts of the blocked one's.
    await removeFromFeed(db, accountId, targetAccountId, { withBoostsOf: true });
    await removeFromFeed(db, targetAccountId, accountId, { withBoostsOf: true });
  },
};
