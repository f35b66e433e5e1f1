// Conversations (src/conversations/maintain.ts): direct statuses join their participants'
// conversations and leave them when deleted. Each handler is idempotent.
import { addDirectStatus, removeDirectStatus } from "../../src/conversations/maintain.ts";
import type { Subscriber } from "../../src/events/types.ts";

export const conversationsSubscriber: Subscriber = {
  "status.created": async (services, { statusId }) => {
    await addDirectStatus(services, statusId);
  },
  "status.deleted": async (services, event) => {
    await removeDirectStatus(services, event);
  },
};
