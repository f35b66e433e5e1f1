// Notifications (src/notifications/create.ts) for the events that cause them, and their
// withdrawal when the cause is undone. Each handler is idempotent; jobs may be retried.
import type { Subscriber } from "../../src/events/types.ts";
import {
  clearNotificationsFrom,
  notifyFavourite,
  notifyFollow,
  notifyStatusCreated,
  notifyStatusUpdated,
  withdrawNotifications,
} from "../../src/notifications/create.ts";

export const notificationsSubscriber: Subscriber = {
  "status.created": async ({ db }, { statusId }) => {
    await notifyStatusCreated(db, statusId);
  },
  "status.updated": async ({ db }, { statusId }) => {
    await notifyStatusUpdated(db, statusId);
  },
  "status.deleted": async ({ db }, { accountId, reblogOfId }) => {
    // An unboost withdraws its `reblog` notification; other notifications about a deleted
    // status went with it (foreign key cascade).
    if (!reblogOfId) return;
    await withdrawNotifications(db, {
      type: "reblog",
      fromAccountId: accountId,
      statusId: reblogOfId,
    });
  },
  "favourite.created": async ({ db }, { favouriteId, accountId, statusId }) => {
    await notifyFavourite(db, favouriteId, accountId, statusId);
  },
  "favourite.removed": async ({ db }, { accountId, statusId }) => {
    await withdrawNotifications(db, { type: "favourite", fromAccountId: accountId, statusId });
  },
  "follow.created": async ({ db }, { followId, accountId, targetAccountId }) => {
    await notifyFollow(db, "follow", followId, accountId, targetAccountId);
  },
  "follow_request.created": async ({ db }, { requestId, accountId, targetAccountId }) => {
    await notifyFollow(db, "follow_request", requestId, accountId, targetAccountId);
  },
  "follow_request.authorized": async ({ db }, { accountId, targetAccountId }) => {
    await withdrawNotifications(db, {
      type: "follow_request",
      fromAccountId: accountId,
      accountId: targetAccountId,
    });
  },
  "follow_request.rejected": async ({ db }, { accountId, targetAccountId }) => {
    await withdrawNotifications(db, {
      type: "follow_request",
      fromAccountId: accountId,
      accountId: targetAccountId,
    });
  },
  "block.created": async ({ db }, { accountId, targetAccountId }) => {
    await clearNotificationsFrom(db, accountId, targetAccountId);
  },
};
