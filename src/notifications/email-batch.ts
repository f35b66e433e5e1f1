// Notification emails, batched: the first notification worth a mail schedules one job per
// user, delayed by NOTIFICATION_EMAIL_DELAY (`notification_email_state.pending_since` says
// one is scheduled); when it runs, everything that arrived since the last mail goes out as
// one message. A burst of mentions is one email, not twenty.
//
// Unlike Mastodon, which skips some mails while the user is using the web app, Roost mails
// whatever the user's preferences ask for, active or not: simpler, and predictable.
import { sql } from "kysely";
import { enqueueJob } from "../../workers/jobs.ts";
import { acctOf, serializeAccount } from "../accounts/serializers.ts";
import type { DomainEvents } from "../events/types.ts";
import { idAtTime } from "../infra/ids.ts";
import { getInstanceSettings } from "../instance/settings.ts";
import { queueMail } from "../mail/send.ts";
import { plainText } from "../push/payload.ts";
import type { Services } from "../services.ts";
import { EMAIL_TYPES, emailKindOf, emailPreferences } from "./email-preferences.ts";
import { type MailedNotification, notificationMail } from "./email-template.ts";

/** Listed in one mail at most; the rest are counted. */
const MAX_ITEMS = 20;
/** A batch still marked pending after this long lost its job; the next notification reclaims it. */
const STALE_AFTER_MS = 60 * 60_000;
/**
 * A mail only takes notifications whose ids are at least this old (capped at half the batch
 * delay). Ids are assigned before commit, so a younger one may still be uncommitted while a
 * newer one is visible; taking it later, rather than moving the watermark past it, means a
 * slow transaction can't make its notification skip the mail.
 */
const SETTLE_MS = 5_000;

async function recipient(services: Services, accountId: string) {
  return services.db
    .selectFrom("users")
    .innerJoin("accounts", "accounts.id", "users.account_id")
    .select(["users.email", "users.settings", "accounts.username"])
    .where("users.account_id", "=", accountId)
    .where("users.disabled", "=", false)
    .where("users.confirmed_at", "is not", null)
    .where("accounts.suspended_at", "is", null)
    .executeTakeFirst();
}

/** A new notification: schedule a mail if the user wants this kind and none is scheduled. */
export async function scheduleNotificationEmail(
  services: Services,
  event: DomainEvents["notification.created"],
): Promise<void> {
  if (!EMAIL_TYPES.includes(event.type)) return;
  const user = await recipient(services, event.accountId);
  if (!user) return;
  const notification = await services.db
    .selectFrom("notifications")
    .leftJoin("statuses", "statuses.id", "notifications.status_id")
    .select(["notifications.id", "notifications.type", "statuses.visibility"])
    .where("notifications.id", "=", event.notificationId)
    .executeTakeFirst();
  if (!notification) return;
  const kind = emailKindOf(notification.type, notification.visibility);
  if (!kind || !emailPreferences(user.settings)[kind]) return;

  // The first mail covers recent notifications, not the user's whole history. "Recent" is a
  // minute back rather than "from this one on": notifications of one burst are made by
  // concurrent jobs, so this one may not be the lowest id of the burst.
  const minuteAgo = BigInt(idAtTime(Date.now() - 60_000));
  const own = BigInt(notification.id) - 1n;
  const before = (own < minuteAgo ? own : minuteAgo).toString();
  const delayMs = services.config.notificationEmailDelayMs;
  if (await claimBatch(services, event.accountId, before)) {
    await enqueueJob(
      services,
      { type: "notifications.email", accountId: event.accountId },
      delayMs,
    );
  }
}

/** Marks a batch as scheduled; false when one already is (and isn't stale). */
async function claimBatch(services: Services, accountId: string, before: string): Promise<boolean> {
  const delayMs = services.config.notificationEmailDelayMs;
  const staleBefore = new Date(Date.now() - delayMs - STALE_AFTER_MS);
  const claimed = await sql<{ account_id: string }>`
    insert into notification_email_state (account_id, last_notification_id, pending_since)
    values (${accountId}, ${before}, now())
    on conflict (account_id) do update set pending_since = now(),
      last_notification_id = coalesce(notification_email_state.last_notification_id,
        excluded.last_notification_id)
    where notification_email_state.pending_since is null
      or notification_email_state.pending_since < ${staleBefore}
    returning account_id`.execute(services.db);
  return claimed.rows.length > 0;
}

/** The scheduled job: one mail with every wanted notification since the last one. */
export async function sendNotificationEmail(services: Services, accountId: string): Promise<void> {
  const { db, config } = services;
  // Cleared first: a notification arriving from now on schedules the next batch.
  const state = await db
    .updateTable("notification_email_state")
    .set({ pending_since: null })
    .where("account_id", "=", accountId)
    .returning("last_notification_id")
    .executeTakeFirst();
  if (!state) return;
  const user = await recipient(services, accountId);
  if (!user) return;
  const settleMs = Math.min(SETTLE_MS, Math.floor(config.notificationEmailDelayMs / 2));
  const settledBefore = idAtTime(Date.now() - settleMs);

  const rows = await batchRows(
    services,
    accountId,
    state.last_notification_id ?? "0",
    settledBefore,
  );
  if (rows.length > 0) await mailBatch(services, accountId, user, rows);
  await rescheduleUnsettled(services, accountId, settleMs);
}

/**
 * Notifications after the watermark and settled before the cut-off, with their sender.
 * Those held by the notification policy (src/notifications/requests.ts) are not mailed.
 */
function batchRows(services: Services, accountId: string, after: string, settledBefore: string) {
  return services.db
    .selectFrom("notifications")
    .innerJoin("accounts as from", "from.id", "notifications.from_account_id")
    .leftJoin("statuses", "statuses.id", "notifications.status_id")
    .selectAll("from")
    .select([
      "notifications.id as notification_id",
      "notifications.type",
      "statuses.visibility",
      "statuses.text",
      "statuses.content",
      "statuses.spoiler_text",
      "statuses.url as status_url",
      "statuses.uri as status_uri",
    ])
    .where("notifications.account_id", "=", accountId)
    .where("notifications.id", ">", after)
    .where("notifications.id", "<", settledBefore)
    .where("notifications.type", "in", EMAIL_TYPES)
    .where("notifications.filtered", "=", false)
    .where("from.suspended_at", "is", null)
    .orderBy("notifications.id", "asc")
    .limit(500)
    .execute();
}

type BatchRow = Awaited<ReturnType<typeof batchRows>>[number];

async function mailBatch(
  services: Services,
  accountId: string,
  user: { email: string; username: string; settings: Record<string, unknown> },
  rows: BatchRow[],
): Promise<void> {
  const { db, config } = services;
  const prefs = emailPreferences(user.settings);

  const items: MailedNotification[] = [];
  for (const row of rows) {
    const kind = emailKindOf(row.type, row.visibility);
    if (!kind || !prefs[kind]) continue;
    const account = serializeAccount(row, config);
    items.push({
      kind,
      acct: `@${acctOf(row)}`,
      name: row.display_name.trim(),
      link: row.status_url ?? row.status_uri ?? account.url ?? account.uri,
      excerpt:
        kind === "mention" || kind === "direct"
          ? row.spoiler_text || row.text || plainText(row.content ?? "")
          : "",
    });
  }
  const lastId = rows.at(-1)!.notification_id;
  if (items.length) {
    const settings = await getInstanceSettings(db, config);
    await queueMail(
      services,
      notificationMail(
        { title: settings.title, publicUrl: config.publicUrl },
        {
          to: user.email,
          username: user.username,
          items: items.slice(0, MAX_ITEMS),
          more: Math.max(0, items.length - MAX_ITEMS),
        },
      ),
    );
  }
  await db
    .updateTable("notification_email_state")
    .set({ last_notification_id: lastId, last_sent_at: new Date() })
    .where("account_id", "=", accountId)
    .execute();
}

/** Notifications left for settling get a batch of their own, unless one is already claimed. */
async function rescheduleUnsettled(services: Services, accountId: string, settleMs: number) {
  const state = await services.db
    .selectFrom("notification_email_state")
    .select("last_notification_id")
    .where("account_id", "=", accountId)
    .executeTakeFirst();
  const watermark = state?.last_notification_id ?? "0";
  const waiting = await services.db
    .selectFrom("notifications")
    .select("id")
    .where("account_id", "=", accountId)
    .where("id", ">", watermark)
    .where("type", "in", EMAIL_TYPES)
    .limit(1)
    .executeTakeFirst();
  if (!waiting) return;
  if (await claimBatch(services, accountId, watermark)) {
    await enqueueJob(services, { type: "notifications.email", accountId }, settleMs);
  }
}
