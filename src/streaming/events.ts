// What the streaming subscriber does per domain event: decide who may hear it, render it
// for them as the REST API would, and publish (src/streaming/publish.ts). Runs in workers.
import type { DomainEvents } from "../events/types.ts";
import type { NotificationRow } from "../notifications/serializer.ts";
import { serializeNotifications } from "../notifications/serializer.ts";
import type { Services } from "../services.ts";
import { serializeStatuses } from "../statuses/serializer.ts";
import type { PublicStreamName } from "./channels.ts";
import { publishPublicDelete, publishStatus, publishToAccount } from "./publish.ts";
import { deleteRecipients, editRecipients, homeRecipients, stillVisibleTo } from "./recipients.ts";
import { renderForViewers } from "./render.ts";

/** Publishes in bounded batches: enough in flight to keep Redis busy, not a million promises. */
async function forEachBatch<T>(items: T[], fn: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += 500) {
    await Promise.all(items.slice(i, i + 500).map(fn));
  }
}

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

/** The public streams a public original belongs on; `:media` ones when it has attachments. */
async function publicStreamsFor(
  services: Services,
  status: { id: string; author_domain: string | null },
): Promise<PublicStreamName[]> {
  const streams: PublicStreamName[] = [
    "public",
    status.author_domain === null ? "public:local" : "public:remote",
  ];
  const media = await services.db
    .selectFrom("media_attachments")
    .select("id")
    .where("status_id", "=", status.id)
    .limit(1)
    .executeTakeFirst();
  if (media) streams.push(...streams.map((s) => `${s}:media` as PublicStreamName));
  return streams;
}

export async function streamStatusCreated(
  services: Services,
  { statusId }: DomainEvents["status.created"],
): Promise<void> {
  const status = await loadStatus(services, statusId);
  if (!status) return;
  const { author_domain: _domain, ...row } = status;
  const recipients = await homeRecipients(services.db, statusId);
  const rendered = await renderForViewers(services, row, recipients);
  await forEachBatch([...rendered], ([accountId, entity]) =>
    publishToAccount(services, accountId, ["user"], "update", entity),
  );
  await publishPublic(services, status, "update");
}

export async function streamStatusUpdated(
  services: Services,
  { statusId }: DomainEvents["status.updated"],
): Promise<void> {
  const status = await loadStatus(services, statusId);
  if (!status) return;
  const { author_domain: _domain, ...row } = status;
  const candidates = await editRecipients(services.db, statusId);
  // Visibility may have been narrowed by the edit, and relationships change: check again.
  const allowed = await stillVisibleTo(services.db, statusId, candidates);
  const rendered = await renderForViewers(services, row, allowed);
  await forEachBatch([...rendered], ([accountId, entity]) =>
    publishToAccount(services, accountId, ["user"], "status.update", entity),
  );
  await publishPublic(services, status, "status.update");
}

/** Public statuses go to the public and hashtag streams, rendered once, anonymously. */
async function publishPublic(
  services: Services,
  status: Awaited<ReturnType<typeof loadStatus>> & object,
  event: "update" | "status.update",
): Promise<void> {
  if (status.visibility !== "public" || status.reblog_of_id) return;
  const { author_domain: _domain, ...row } = status;
  const [anonymous] = await serializeStatuses(services, null, [row]);
  if (!anonymous) return;
  const streams = await publicStreamsFor(services, status);
  await publishStatus(services, {
    event,
    status: anonymous,
    streams,
    tags: anonymous.tags.map((t) => t.name),
    local: status.author_domain === null,
    accountIds: [status.account_id],
  });
}

export async function streamStatusDeleted(
  services: Services,
  e: DomainEvents["status.deleted"],
): Promise<void> {
  const recipients = await deleteRecipients(services.db, e);
  await forEachBatch(recipients, (accountId) =>
    publishToAccount(services, accountId, ["user"], "delete", e.statusId),
  );
  if (e.visibility === "public" && !e.reblogOfId) {
    await publishPublicDelete(services, e.statusId, [e.accountId]);
  }
}

/**
 * New notifications (just inserted and committed) as `notification` events on the
 * recipient's user and user:notification streams, rendered for the recipient.
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
  await forEachBatch(viewers, async (viewer) => {
    const entities = await serializeNotifications(services, viewer, byAccount.get(viewer.id) ?? []);
    for (const entity of entities) {
      await publishToAccount(
        services,
        viewer.id,
        ["user", "user:notification"],
        "notification",
        entity,
      );
    }
  });
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
