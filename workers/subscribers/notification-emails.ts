// Notification emails (src/notifications/email-batch.ts): a new notification of a kind the
// user wants by mail schedules one batched message, unless one is already scheduled.
import type { Subscriber } from "../../src/events/types.ts";
import { scheduleNotificationEmail } from "../../src/notifications/email-batch.ts";

export const notificationEmailsSubscriber: Subscriber = {
  "notification.created": async (services, event) => {
    await scheduleNotificationEmail(services, event);
  },
};
