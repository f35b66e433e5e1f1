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
  const staleBefore = new Date(Date.now() - delayMs - STALE_AFTER_MS);
  const claimed = await sql<{ account_id: string }>`
    insert into notification_email_state (account_id, last_notification_id, pending_since)
    values (${event.accountId}, ${before}, now())
    on conflict (account_id) do update set pending_since = now(),
      last_notification_id = coalesce(notification_email_state.last_notification_id,
        excluded.last_notification_id)
    where notification_email_state.pending_since is null
      or notification_email_state.pending_since < ${staleBefore}
    returning account_id`.execute(services.db);
  if (claimed.rows.length === 0) return;
  await enqueueJob(services, { type: "notifications.email", accountId: event.accountId }, delayMs);
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
  const prefs = emailPreferences(user.settings);

  const rows = await db
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
    .where("notifications.id", ">", state.last_notification_id ?? "0")
    .where("notifications.type", "in", EMAIL_TYPES)
    .where("from.suspended_at", "is", null)
    .orderBy("notifications.id", "asc")
    .limit(500)
    .execute();
  if (rows.length === 0) return;

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
