// Which notifications a user wants by email: `users.settings.notification_emails`, an object
// of booleans. Unset keys take Mastodon's defaults (mentions, follows and follow requests
// on); `direct` (direct messages, which Mastodon counts as mentions) follows `mention`
// unless set itself. Mastodon's weekly digest is not implemented, so `digest` is off.
import type { NotificationType } from "../infra/db/schema.ts";

export type EmailKind = "mention" | "direct" | "follow" | "follow_request";

export interface EmailPreferences {
  mention: boolean;
  direct: boolean;
  follow: boolean;
  follow_request: boolean;
  digest: boolean;
}

/** Notification types that can be mailed at all. */
export const EMAIL_TYPES: readonly NotificationType[] = ["mention", "follow", "follow_request"];

export function emailPreferences(settings: Record<string, unknown> | null): EmailPreferences {
  const raw = settings?.notification_emails;
  const given = raw && typeof raw === "object" ? (raw as Record<string, unknown>) : {};
  const flag = (key: string, fallback: boolean) =>
    typeof given[key] === "boolean" ? (given[key] as boolean) : fallback;
  const mention = flag("mention", true);
  return {
    mention,
    direct: flag("direct", mention),
    follow: flag("follow", true),
    follow_request: flag("follow_request", true),
    digest: false,
  };
}

/** The preference that governs a notification: a mention in a direct status is `direct`. */
export function emailKindOf(
  type: NotificationType,
  statusVisibility: string | null,
): EmailKind | undefined {
  if (type === "mention") return statusVisibility === "direct" ? "direct" : "mention";
  if (type === "follow" || type === "follow_request") return type;
  return undefined;
}
