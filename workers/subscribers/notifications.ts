// Notifications (src/notifications/create.ts) for the events that cause them, and their
// withdrawal when the cause is undone. Each handler is idempotent; jobs may be retried.
import { emitEvent } from "../../src/events/emit.ts";
import type { Subscriber } from "../../src/events/types.ts";
import {
  type CreatedNotification,
  clearNotificationsFrom,
  notifyFavourite,
  notifyFollow,
  notifyStatusCreated,
  notifyStatusUpdated,
  withdrawNotifications,
} from "../../src/notifications/create.ts";
import { notifyStaffOfReport, notifyStaffOfSignUp } from "../../src/notifications/staff.ts";
import type { Services } from "../../src/services.ts";

/** Announces new notifications, so push, email and streaming each handle them as a job. */
async function announce(services: Services, created: CreatedNotification[]): Promise<void> {
  for (const n of created) {
    await emitEvent(services, "notification.created", {
      notificationId: n.id,
      accountId: n.account_id,
      type: n.type,
    });
  }
}

export const notificationsSubscriber: Subscriber = {
  "status.created": async (services, { statusId }) => {
    await announce(services, await notifyStatusCreated(services.db, statusId));
  },
  "status.updated": async (services, { statusId }) => {
    await announce(services, await notifyStatusUpdated(services.db, statusId));
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
  "favourite.created": async (services, { favouriteId, accountId, statusId }) => {
    await announce(services, await notifyFavourite(services.db, favouriteId, accountId, statusId));
  },
  "favourite.removed": async ({ db }, { accountId, statusId }) => {
    await withdrawNotifications(db, { type: "favourite", fromAccountId: accountId, statusId });
  },
  "follow.created": async (services, { followId, accountId, targetAccountId }) => {
    await announce(
      services,
      await notifyFollow(services.db, "follow", followId, accountId, targetAccountId),
    );
  },
  "follow_request.created": async (services, { requestId, accountId, targetAccountId }) => {
    await announce(
      services,
      await notifyFollow(services.db, "follow_request", requestId, accountId, targetAccountId),
    );
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
  "report.created": async (services, { reportId }) => {
    await announce(services, await notifyStaffOfReport(services.db, reportId));
  },
  "account.signed_up": async (services, { accountId }) => {
    await announce(services, await notifyStaffOfSignUp(services.db, accountId));
  },
  "block.created": async ({ db }, { accountId, targetAccountId }) => {
    await clearNotificationsFrom(db, accountId, targetAccountId);
  },
};
