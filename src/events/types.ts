// Domain events: what happened, emitted by services after their transaction commits.
// Each subscriber (timelines, notifications, streaming, federation, ...) receives every
// event as its own job, so one failing subscriber is retried without re-running the others.
// Payloads carry ids, plus whatever a subscriber needs once the row may be gone (deletes).
import type { Visibility } from "../infra/db/schema.ts";

export interface DomainEvents {
  /** A status (or a boost: reblog_of_id set) was created, locally or received. */
  "status.created": { statusId: string };
  "status.updated": { statusId: string };
  "status.deleted": {
    statusId: string;
    accountId: string;
    uri: string;
    local: boolean;
    visibility: Visibility;
    reblogOfId: string | null;
    mentionedAccountIds: string[];
  };
  "favourite.created": { favouriteId: string; accountId: string; statusId: string };
  "favourite.removed": { accountId: string; statusId: string; uri: string | null };
  "follow.created": { followId: string; accountId: string; targetAccountId: string };
  "follow.removed": { accountId: string; targetAccountId: string; uri: string | null };
  "follow_request.created": { requestId: string; accountId: string; targetAccountId: string };
  "follow_request.authorized": { accountId: string; targetAccountId: string; uri: string | null };
  "follow_request.rejected": { accountId: string; targetAccountId: string; uri: string | null };
  "block.created": { accountId: string; targetAccountId: string; uri: string | null };
  "block.removed": { accountId: string; targetAccountId: string; uri: string | null };
  /** A local account pinned or unpinned its own status (federation: Add/Remove to featured). */
  "status.pinned": { accountId: string; statusId: string; uri: string };
  "status.unpinned": { accountId: string; statusId: string; uri: string };
  "account.updated": { accountId: string };
  /** A local account voted on a remote poll (federation sends the votes to its author). */
  "poll.voted": { pollId: string; accountId: string; voteIds: string[] };
  "account.deleted": { accountId: string; uri: string; local: boolean };
  /** A local or remote account was suspended by staff (local: the actor Delete goes out). */
  "account.suspended": { accountId: string };
  /** A report was filed, by a local user or a remote server's Flag (staff are notified). */
  "report.created": { reportId: string };
  /** Someone signed up here (staff are notified; src/accounts/registration-service.ts). */
  "account.signed_up": { accountId: string };
  /** A report is forwarded to other servers as a Flag (src/moderation/reports.ts). */
  "report.forwarded": { reportId: string; domains: string[] };
  /** The account's custom filters (v1 or v2, keywords or statuses) were created, changed or removed. */
  "filters.changed": { accountId: string };
  /** Accounts joined one of the owner's lists (timelines back-fills the list feed). */
  "list.accounts_added": { listId: string; accountIds: string[] };
  /** A notification was stored for a local account (push, email and streaming react). */
  "notification.created": {
    notificationId: string;
    accountId: string;
    type: import("../infra/db/schema.ts").NotificationType;
  };
  /** Staff published an announcement, or changed a published one (streamed to every user). */
  "announcement.published": { announcementId: string };
  /** A published announcement was unpublished or deleted. */
  "announcement.deleted": { announcementId: string };
  /** A user added or removed a reaction `name` on an announcement. */
  "announcement.reaction": { announcementId: string; name: string };
}

export type EventName = keyof DomainEvents;

export type EventHandler<E extends EventName> = (
  services: import("../services.ts").Services,
  payload: DomainEvents[E],
) => Promise<void>;

/** What one subscriber does per event; events it doesn't list are ignored. */
export type Subscriber = { [E in EventName]?: EventHandler<E> };
