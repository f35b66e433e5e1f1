// Announcements reach apps in real time: every local user's `user` stream hears a published
// (or changed) announcement, its withdrawal and reaction counts, as Mastodon streams them.
// The entity is rendered once, viewer-neutral (`read` and `me` false): one message for all.
import { serializeAnnouncements } from "../../src/announcements/render.ts";
import { reactionCount } from "../../src/announcements/store.ts";
import type { Subscriber } from "../../src/events/types.ts";
import { publishToAllUsers } from "../../src/streaming/broadcast.ts";

export const announcementsSubscriber: Subscriber = {
  "announcement.published": async (services, { announcementId }) => {
    const row = await services.db
      .selectFrom("announcements")
      .selectAll()
      .where("id", "=", announcementId)
      .executeTakeFirst();
    // Withdrawn or deleted before this job ran: its own event tells apps.
    if (!row?.published) return;
    const [entity] = await serializeAnnouncements(services, [row], null);
    await publishToAllUsers(services, "announcement", entity);
  },
  "announcement.deleted": async (services, { announcementId }) => {
    await publishToAllUsers(services, "announcement.delete", announcementId);
  },
  "announcement.reaction": async (services, { announcementId, name }) => {
    const count = await reactionCount(services.db, announcementId, name);
    await publishToAllUsers(services, "announcement.reaction", {
      name,
      count,
      announcement_id: announcementId,
    });
  },
};
