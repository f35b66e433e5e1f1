// The table of event subscribers (see src/events/types.ts). Each feature's subscriber
// lives in its own file here and is listed once below.
import type { Subscriber } from "../../src/events/types.ts";
import { announcementsSubscriber } from "./announcements.ts";
import { conversationsSubscriber } from "./conversations.ts";
import { federationSubscriber } from "./federation.ts";
import { notificationEmailsSubscriber } from "./notification-emails.ts";
import { notificationsSubscriber } from "./notifications.ts";
import { pushSubscriber } from "./push.ts";
import { remoteMediaSubscriber } from "./remote-media.ts";
import { streamingSubscriber } from "./streaming.ts";
import { timelinesSubscriber } from "./timelines.ts";

export const subscribers: Record<string, Subscriber> = {
  timelines: timelinesSubscriber,
  notifications: notificationsSubscriber,
  federation: federationSubscriber,
  streaming: streamingSubscriber,
  conversations: conversationsSubscriber,
  push: pushSubscriber,
  notificationEmails: notificationEmailsSubscriber,
  remoteMedia: remoteMediaSubscriber,
  announcements: announcementsSubscriber,
};
