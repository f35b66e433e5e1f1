// Web Push (src/push/deliver.ts): each new notification becomes one delivery job per
// subscription of its recipient that wants it.
import type { Subscriber } from "../../src/events/types.ts";
import { queuePushes } from "../../src/push/deliver.ts";

export const pushSubscriber: Subscriber = {
  "notification.created": async (services, event) => {
    await queuePushes(services, event);
  },
};
