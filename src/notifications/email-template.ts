// The notification email: one message for a batch of notifications, plain text and a simple
// HTML part with the same words. Links are absolute, since they open from a mail client.
import type { MailMessage } from "../mail/mailer.ts";
import { truncate } from "../push/payload.ts";
import type { EmailKind } from "./email-preferences.ts";

export interface MailedNotification {
  kind: EmailKind;
  /** `@user` or `@user@domain`, and the display name if any. */
  acct: string;
  name: string;
  /** Where to read it: the status, or the follower's profile. */
  link: string;
  /** Plain text of the status, for mentions and direct messages. */
  excerpt: string;
}

function line(n: MailedNotification): string {
  const who = n.name ? `${n.name} (${n.acct})` : n.acct;
  switch (n.kind) {
    case "mention":
      return `${who} mentioned you`;
    case "direct":
      return `${who} sent you a direct message`;
    case "follow":
      return `${who} followed you`;
    case "follow_request":
      return `${who} asked to follow you`;
  }
}

function subjectFor(items: MailedNotification[], title: string): string {
  if (items.length === 1) return `${line(items[0]!)} on ${title}`;
  return `${items.length} new notifications on ${title}`;
}

export function notificationMail(
  site: { title: string; publicUrl: string },
  input: { to: string; username: string; items: MailedNotification[]; more: number },
): MailMessage {
  const { items } = input;
  const subject = subjectFor(items, site.title);
  const footer = `You get these emails because of your notification preferences on ${site.title}.`;
  const moreText = input.more > 0 ? `…and ${input.more} more.` : "";

  const textItems = items.map((n) => {
    const excerpt = n.excerpt ? `\n  “${truncate(n.excerpt, 280)}”` : "";
    return `* ${line(n)}${excerpt}\n  ${n.link}`;
  });
  const text = [
    `Hello @${input.username},`,
    "",
    ...textItems,
    ...(moreText ? ["", moreText] : []),
    "",
    footer,
    "",
    "-- ",
    site.title,
    site.publicUrl,
    "",
  ].join("\n");

  const htmlItems = items
    .map((n) => {
      const excerpt = n.excerpt
        ? `<br><q style="color:#444">${escapeHtml(truncate(n.excerpt, 280))}</q>`
        : "";
      return `<li><a href="${escapeHtml(n.link)}">${escapeHtml(line(n))}</a>${excerpt}</li>`;
    })
    .join("\n");
  const html = `<!doctype html>
<html><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head>
<body style="font-family:sans-serif;line-height:1.5;max-width:36rem">
<p>Hello @${escapeHtml(input.username)},</p>
<ul>
${htmlItems}
</ul>
${moreText ? `<p>${escapeHtml(moreText)}</p>` : ""}
<p style="color:#666">${escapeHtml(footer)}<br>— <a href="${escapeHtml(site.publicUrl)}">${escapeHtml(site.title)}</a></p>
</body></html>
`;
  return { to: input.to, subject, text, html };
}

function escapeHtml(value: string): string {
  return value
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}
