// The mail a user gets when staff act on their account with `send_email_notification`
// (Mastodon's UserMailer#warning): what was done, and the moderator's text if any.

import type { MailMessage } from "../mail/mailer.ts";
import { compose, type MailSite, type Paragraph } from "../mail/templates.ts";
import type { ActionType } from "./account-actions.ts";

const WHAT: Record<ActionType, { subject: string; says: string }> = {
  none: {
    subject: "A warning about your account",
    says: "The moderators of {site} are sending a warning to your account @{user}.",
  },
  sensitive: {
    subject: "Your media is now marked sensitive",
    says: "The moderators of {site} have marked the media posted by @{user} as sensitive: from now on it is hidden behind a warning for others.",
  },
  silence: {
    subject: "Your account has been limited",
    says: "The moderators of {site} have limited @{user}: your posts are now shown only to people who already follow you.",
  },
  disable: {
    subject: "Your account has been frozen",
    says: "The moderators of {site} have frozen @{user}: you can no longer sign in or use the account, but nothing it holds has been removed.",
  },
  suspend: {
    subject: "Your account has been suspended",
    says: "The moderators of {site} have suspended @{user}: your profile and posts are no longer shown, and you can no longer use the account.",
  },
};

export function warningMail(
  site: MailSite,
  input: { to: string; username: string; action: ActionType; text?: string },
): MailMessage {
  const what = WHAT[input.action];
  const body: Paragraph[] = [
    what.says.replace("{site}", site.title).replace("{user}", input.username),
  ];
  const text = input.text?.trim();
  if (text) body.push("Their note to you:", text);
  body.push(
    "If you think this is a mistake, reply to the moderators by writing to the server's contact address.",
  );
  return compose(site, input.to, `${what.subject} (${site.title})`, body);
}
