// The messages Roost sends: plain text for every client, and a simple HTML part with the
// same words. Links are absolute on PUBLIC_URL, since they are opened from a mail client.
import type { MailMessage } from "./mailer.ts";

export interface MailSite {
  /** The instance's title, as shown to users. */
  title: string;
  publicUrl: string;
}

export const CONFIRMATION_VALID_HOURS = 48;
export const RESET_PASSWORD_VALID_HOURS = 2;

export function confirmationLink(site: MailSite, token: string): string {
  return `${site.publicUrl}/auth/confirmation?confirmation_token=${encodeURIComponent(token)}`;
}

export function resetPasswordLink(site: MailSite, token: string): string {
  return `${site.publicUrl}/auth/password/edit?reset_password_token=${encodeURIComponent(token)}`;
}

export function confirmationMail(
  site: MailSite,
  input: { to: string; username: string; token: string },
): MailMessage {
  const link = confirmationLink(site, input.token);
  return compose(site, input.to, `Confirm your email address for ${site.title}`, [
    `Welcome to ${site.title}, @${input.username}!`,
    "To finish signing up, confirm your email address by opening this link:",
    { link },
    `The link is valid for ${CONFIRMATION_VALID_HOURS / 24} days. If you did not sign up, ignore this message.`,
  ]);
}

export function emailChangeMail(
  site: MailSite,
  input: { to: string; username: string; token: string },
): MailMessage {
  const link = confirmationLink(site, input.token);
  return compose(site, input.to, `Confirm your new email address for ${site.title}`, [
    `The account @${input.username} on ${site.title} asked to use this address from now on.`,
    "To confirm the change, open this link:",
    { link },
    `The link is valid for ${CONFIRMATION_VALID_HOURS / 24} days. Until then the previous address stays in use. If you did not ask for this, ignore this message.`,
  ]);
}

export function passwordResetMail(
  site: MailSite,
  input: { to: string; username: string; token: string },
): MailMessage {
  const link = resetPasswordLink(site, input.token);
  return compose(site, input.to, `Reset your password on ${site.title}`, [
    `Someone asked to reset the password of @${input.username} on ${site.title}.`,
    "To choose a new password, open this link:",
    { link },
    `The link is valid for ${RESET_PASSWORD_VALID_HOURS} hours and works once. If you did not ask for this, ignore this message: your password stays as it is.`,
  ]);
}

export type Paragraph = string | { link: string };

/** A message with a plain-text part and an HTML part of the same paragraphs. */
export function compose(
  site: MailSite,
  to: string,
  subject: string,
  body: Paragraph[],
): MailMessage {
  const text = `${body.map((p) => (typeof p === "string" ? p : p.link)).join("\n\n")}\n\n-- \n${site.title}\n${site.publicUrl}\n`;
  const paragraphs = body
    .map((p) =>
      typeof p === "string"
        ? `<p>${escapeHtml(p)}</p>`
        : `<p><a href="${escapeHtml(p.link)}">${escapeHtml(p.link)}</a></p>`,
    )
    .join("\n");
  const html = `<!doctype html>
<html><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title></head>
<body style="font-family:sans-serif;line-height:1.5;max-width:36rem">
${paragraphs}
<p style="color:#666">— <a href="${escapeHtml(site.publicUrl)}">${escapeHtml(site.title)}</a></p>
</body></html>
`;
  return { to, subject, text, html };
}

function escapeHtml(value: string): string {
  return value
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}
