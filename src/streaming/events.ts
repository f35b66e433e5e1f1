// What the streaming subscriber does per domain event: decide who may hear it, render it
// for them as the REST API would, and publish (src/streaming/publish.ts). Status events run
// in the process that committed them (src/streaming/direct.ts), the rest in workers.
// A status event is one pub/sub message for all of its recipients (src/streaming/render.ts
// explains why one shared payload plus a few personal ones is exactly per-viewer rendering).
import type { DomainEvents } from "../events/types.ts";
import { listRecipientRows } from "../lists/recipients.ts";
import type { NotificationRow } from "../notifications/serializer.ts";
import { serializeNotifications } from "../notifications/serializer.ts";
import type { Services } from "../services.ts";
import type { MastodonStatus, StatusRow } from "../statuses/serializer.ts";
import type { PublicStreamName } from "./channels.ts";
import {
  publishAddressed,
  publishPublicDelete,
  publishStatus,
  publishToAccount,
} from "./publish.ts";
import { deleteRecipients, editRecipients, homeRecipients, stillVisibleTo } from "./recipients.ts";
import { loadRendering, renderForViewers, type StatusRendering } from "./render.ts";

async function loadStatus(services: Services, statusId: string) {
  return await services.db
    .selectFrom("statuses")
    .innerJoin("accounts", "accounts.id", "statuses.account_id")
    .selectAll("statuses")
    .select(["accounts.domain as author_domain"])
    .where("statuses.id", "=", statusId)
    .where("accounts.suspended_at", "is", null)
    .executeTakeFirst();
}

type LoadedStatus = NonNullable<Awaited<ReturnType<typeof loadStatus>>>;

/** The public streams a public original belongs on; `:media` ones when it has attachments. */
function publicStreamsFor(status: LoadedStatus, base: MastodonStatus): PublicStreamName[] {
  if (status.visibility !== "public" || status.reblog_of_id) return [];
  const streams: PublicStreamName[] = [
    "public",
    status.author_domain === null ? "public:local" : "public:remote",
  ];
  if (base.media_attachments.length) {
    streams.push(...streams.map((s) => `${s}:media` as PublicStreamName));
  }
  return streams;
}

/** [owner, list] pairs as the message carries them. */
const listPairs = (rows: { accountId: string; listId: string }[]): [string, string][] =>
  rows.map((r) => [r.accountId, r.listId]);

/**
 * One status event to its user-stream recipients and list streams (one message), and to the
 * public streams (one anonymous message per channel). Recipients must already be allowed.
 * `key` marks the messages of an event that may be published twice (src/streaming/direct.ts).
 */
async function publishStatusEvent(
  services: Services,
  status: LoadedStatus,
  rendering: StatusRendering,
  event: "update" | "status.update",
  recipients: string[],
  lists: [string, string][],
  key: string | undefined,
): Promise<void> {
  const { base } = rendering;
  if (!base) return;
  const viewers = new Set([...recipients, ...lists.map(([owner]) => owner)]);
  const { payload, payloads } = renderForViewers({ ...rendering, base }, viewers);
  const publicStreams = publicStreamsFor(status, base);
  await Promise.all([
    publishAddressed(services, {
      event,
      streams: ["user"],
      recipients,
      ...(lists.length ? { lists } : {}),
      payload,
      ...(Object.keys(payloads).length ? { payloads } : {}),
      filter: { context: "home", path: "" },
      ...(key ? { key } : {}),
    }),
    publicStreams.length
      ? publishStatus(services, {
          event,
          status: base,
          streams: publicStreams,
          tags: base.tags.map((t) => t.name),
          local: status.author_domain === null,
          accountIds: [status.account_id],
          ...(key ? { key } : {}),
        })
      : undefined,
  ]);
}

/** The status row as the serializer takes it. */
function rowOf(status: LoadedStatus): StatusRow {
  const { author_domain: _domain, ...row } = status;
  return row;
}

export async function streamStatusCreated(
  services: Services,
  { statusId }: DomainEvents["status.created"],
  key?: string,
): Promise<void> {
  const status = await loadStatus(services, statusId);
  if (!status) return;
  // Who hears it and what they hear are independent: one round of queries for both.
  const [recipients, listRows, rendering] = await Promise.all([
    homeRecipients(services.db, statusId),
    listRecipientRows(services, statusId),
    loadRendering(services, rowOf(status)),
  ]);
  await publishStatusEvent(
    services,
    status,
    rendering,
    "update",
    recipients,
    listPairs(listRows),
    key,
  );
}

export async function streamStatusUpdated(
  services: Services,
  { statusId }: DomainEvents["status.updated"],
  key?: string,
): Promise<void> {
  const status = await loadStatus(services, statusId);
  if (!status) return;
  const [candidates, listRows, rendering] = await Promise.all([
    editRecipients(services.db, statusId),
    listRecipientRows(services, statusId),
    loadRendering(services, rowOf(status)),
  ]);
  // Visibility may have been narrowed by the edit, and relationships change: check again,
  // for list owners too.
  const owners = listRows.map((r) => r.accountId);
  const allowed = new Set(
    await stillVisibleTo(services.db, statusId, [...new Set([...candidates, ...owners])]),
  );
  await publishStatusEvent(
    services,
    status,
    rendering,
    "status.update",
    candidates.filter((id) => allowed.has(id)),
    listPairs(listRows.filter((r) => allowed.has(r.accountId))),
    key,
  );
}

export async function streamStatusDeleted(
  services: Services,
  e: DomainEvents["status.deleted"],
  key?: string,
): Promise<void> {
  const recipients = await deleteRecipients(services.db, e);
  // The lists that held it can't be computed once the row is gone; a list only holds
  // statuses of accounts its owner follows, so every list stream of a recipient hears the
  // bare id (clients drop ids they don't hold).
  await publishAddressed(services, {
    event: "delete",
    streams: ["user"],
    recipients,
    allLists: true,
    payload: e.statusId,
    ...(key ? { key } : {}),
  });
  if (e.visibility === "public" && !e.reblogOfId) {
    await publishPublicDelete(services, e.statusId, [e.accountId], key);
  }
}

/**
 * New notifications (just inserted and committed) as `notification` events on the
 * recipient's user and user:notification streams, rendered for the recipient. The
 * recipient's filters (context notifications) are applied per connection by the hub.
 */
export async function streamNotifications(
  services: Services,
  rows: NotificationRow[],
): Promise<void> {
  if (rows.length === 0) return;
  const byAccount = new Map<string, NotificationRow[]>();
  for (const row of rows) {
    const list = byAccount.get(row.account_id);
    if (list) list.push(row);
    else byAccount.set(row.account_id, [row]);
  }
  const viewers = await services.db
    .selectFrom("accounts")
    .selectAll()
    .where("id", "in", [...byAccount.keys()])
    .where("domain", "is", null)
    .execute();
  await Promise.all(
    viewers.map(async (viewer) => {
      const entities = await serializeNotifications(
        services,
        viewer,
        byAccount.get(viewer.id) ?? [],
      );
      for (const entity of entities) {
        await publishToAccount(
          services,
          viewer.id,
          ["user", "user:notification"],
          "notification",
          entity,
          { context: "notifications", path: "status" },
        );
      }
    }),
  );
}

/** `notification.created` (emitted by the notifications subscriber once the row is stored). */
export async function streamNotificationCreated(
  services: Services,
  { notificationId }: { notificationId: string },
): Promise<void> {
  const row = await services.db
    .selectFrom("notifications")
    .selectAll()
    .where("id", "=", notificationId)
    .executeTakeFirst();
  // Withdrawn (unfavourite, block) before this job ran: nothing to tell.
  if (row) await streamNotifications(services, [row]);
}

/** `filters.changed`: the user's streams hear `filters_changed`; hubs drop cached filters. */
export async function streamFiltersChanged(
  services: Services,
  { accountId }: DomainEvents["filters.changed"],
): Promise<void> {
  await publishAddressed(services, {
    event: "filters_changed",
    streams: ["user"],
    recipients: [accountId],
    payload: "",
  });
}
