// What a push message says, in the shape Mastodon's apps decode:
// {access_token, preferred_locale, notification_id, notification_type, icon, title, body}.
// Mastodon sends notification_id as a JSON number; Swift and Kotlin apps decode it as a
// 64-bit integer, so it is written unquoted with all its digits.
import { serializeAccount } from "../accounts/serializers.ts";
import type { Config } from "../config.ts";
import type { Db } from "../infra/db/index.ts";
import type { NotificationType } from "../infra/db/schema.ts";

export interface PushContent {
  notificationId: string;
  type: NotificationType;
  fromAccountId: string;
  icon: string;
  title: string;
  body: string;
}

const BODY_LIMIT = 140;

function titleFor(type: NotificationType, name: string): string {
  switch (type) {
    case "mention":
      return `${name} mentioned you`;
    case "status":
      return `${name} just posted`;
    case "reblog":
      return `${name} boosted your post`;
    case "follow":
      return `${name} followed you`;
    case "follow_request":
      return `${name} asked to follow you`;
    case "favourite":
      return `${name} favourited your post`;
    case "poll":
      return "A poll has ended";
    case "update":
      return `${name} edited a post`;
    case "admin.sign_up":
      return `${name} signed up`;
    case "admin.report":
      return `New report from ${name}`;
  }
}

/** HTML to one line of plain text, for push bodies and mail previews. */
export function plainText(html: string): string {
  return html
    .replace(/<br\s*\/?>/gi, "\n")
    .replace(/<\/p>\s*<p>/gi, "\n\n")
    .replace(/<[^>]*>/g, "")
    .replaceAll("&lt;", "<")
    .replaceAll("&gt;", ">")
    .replaceAll("&quot;", '"')
    .replaceAll("&#39;", "'")
    .replaceAll("&amp;", "&")
    .replace(/\s+/g, " ")
    .trim();
}

export function truncate(text: string, limit = BODY_LIMIT): string {
  const chars = [...text];
  return chars.length <= limit ? text : `${chars.slice(0, limit - 1).join("")}…`;
}

/** The parts of a push message that are the same for every subscription of the recipient. */
export async function pushContent(
  db: Db,
  config: Config,
  notificationId: string,
): Promise<PushContent | undefined> {
  const row = await db
    .selectFrom("notifications")
    .select(["id", "type", "from_account_id", "status_id"])
    .where("id", "=", notificationId)
    .executeTakeFirst();
  if (!row) return undefined;
  const from = await db
    .selectFrom("accounts")
    .selectAll()
    .where("id", "=", row.from_account_id)
    .executeTakeFirst();
  if (!from) return undefined;
  const status = row.status_id
    ? await db
        .selectFrom("statuses")
        .select(["text", "content", "spoiler_text"])
        .where("id", "=", row.status_id)
        .executeTakeFirst()
    : undefined;
  // A content warning stands in for the text, as in Mastodon; remote posts have only HTML.
  const source =
    status?.spoiler_text ||
    (status ? status.text || plainText(status.content) : plainText(from.note));
  const name = from.display_name.trim() || from.username;
  return {
    notificationId: row.id,
    type: row.type,
    fromAccountId: from.id,
    icon: serializeAccount(from, config).avatar_static,
    title: titleFor(row.type, name),
    body: truncate(source.replace(/\s+/g, " ").trim()),
  };
}

export function pushPayload(content: PushContent, accessToken: string, locale: string): string {
  const rest = JSON.stringify({
    access_token: accessToken,
    preferred_locale: locale,
    notification_type: content.type,
    icon: content.icon,
    title: content.title,
    body: content.body,
  });
  if (!/^\d+$/.test(content.notificationId)) throw new Error("notification ids are numeric");
  return `{"notification_id":${content.notificationId},${rest.slice(1)}`;
}
