// The outbound shape of a local status: a Note (a Question when it has a poll) whose
// audience (to/cc) follows Mastodon's mapping of visibility, with Mention and Hashtag tags. Used by the object dispatcher, the
// outbox collection and the delivery subscriber, so every copy of a post looks the same.
import { type Context, LanguageString } from "@fedify/fedify";
import {
  Document,
  Hashtag,
  Mention,
  type Note,
  PUBLIC_COLLECTION,
  type Question,
} from "@fedify/vocab";
import { acctOf } from "../../src/accounts/serializers.ts";
import type { StatusesTable } from "../../src/infra/db/schema.ts";
import { serializeMedia } from "../../src/media/serializer.ts";
import { questionValues } from "../../src/polls/activitypub.ts";
import { findPollOfStatus } from "../../src/polls/store.ts";
import type { Services } from "../../src/services.ts";
import type { FederationContextData } from "../context.ts";
import { toInstant } from "../util.ts";
import { type DocumentExtras, noteWithMedia } from "./media-extensions.ts";

export type StatusRow = import("kysely").Selectable<StatusesTable>;

export interface MentionedAccount {
  id: string;
  uri: string;
  username: string;
  domain: string | null;
  url: string | null;
}

/** The accounts a status mentions, for its tags and its audience. */
export async function mentionedAccounts(
  services: Services,
  statusId: string,
): Promise<MentionedAccount[]> {
  return await services.db
    .selectFrom("mentions")
    .innerJoin("accounts", "accounts.id", "mentions.account_id")
    .select(["accounts.id", "accounts.uri", "accounts.username", "accounts.domain", "accounts.url"])
    .where("mentions.status_id", "=", statusId)
    .execute();
}

/** Who a status is addressed to, as Mastodon addresses it. */
export function audienceOf(
  visibility: StatusRow["visibility"],
  followersUri: URL,
  mentioned: URL[],
): { tos: URL[]; ccs: URL[] } {
  switch (visibility) {
    case "public":
      return { tos: [PUBLIC_COLLECTION], ccs: [followersUri, ...mentioned] };
    case "unlisted":
      return { tos: [followersUri], ccs: [PUBLIC_COLLECTION, ...mentioned] };
    case "private":
      return { tos: [followersUri, ...mentioned], ccs: [] };
    default:
      return { tos: mentioned, ccs: [] };
  }
}

export async function statusToNote(
  ctx: Context<FederationContextData>,
  services: Services,
  status: StatusRow,
): Promise<Note | Question> {
  const { db, config } = services;
  const author = await db
    .selectFrom("accounts")
    .select(["username", "uri"])
    .where("id", "=", status.account_id)
    .executeTakeFirstOrThrow();
  const mentioned = await mentionedAccounts(services, status.id);
  const tags = await db
    .selectFrom("status_tags")
    .innerJoin("tags", "tags.id", "status_tags.tag_id")
    .select(["tags.name", "tags.display_name"])
    .where("status_tags.status_id", "=", status.id)
    .execute();
  let inReplyTo: URL | null = status.in_reply_to_uri ? new URL(status.in_reply_to_uri) : null;
  if (!inReplyTo && status.in_reply_to_id) {
    const parent = await db
      .selectFrom("statuses")
      .select("uri")
      .where("id", "=", status.in_reply_to_id)
      .executeTakeFirst();
    if (parent) inReplyTo = new URL(parent.uri);
  }
  const media = await db
    .selectFrom("media_attachments")
    .selectAll()
    .where("status_id", "=", status.id)
    .orderBy("position")
    .orderBy("id")
    .execute();
  const followers = ctx.getFollowersUri(author.username);
  const { tos, ccs } = audienceOf(
    status.visibility,
    followers,
    mentioned.map((m) => new URL(m.uri)),
  );
  const poll = await findPollOfStatus(db, status.id);
  // blurhash and focalPoint, which Fedify's Document cannot hold (see media-extensions.ts).
  const extras = new Map<string, DocumentExtras>();
  const values = {
    id: new URL(status.uri),
    attribution: new URL(author.uri),
    url: new URL(status.url ?? status.uri),
    tos,
    ccs,
    replyTarget: inReplyTo,
    summary: status.spoiler_text || null,
    sensitive: status.sensitive,
    // Both the plain and the language-tagged content, as Mastodon sends them.
    contents: status.language
      ? [status.content, new LanguageString(status.content, status.language)]
      : [status.content],
    attachments: media.flatMap((m) => {
      const entity = serializeMedia(config, m);
      if (!entity.url) return [];
      const original = m.meta.original;
      const focus = m.meta.focus;
      extras.set(entity.url, {
        blurhash: m.blurhash,
        focalPoint: focus ? [focus.x, focus.y] : null,
      });
      return [
        new Document({
          mediaType: m.content_type,
          url: new URL(entity.url),
          name: m.description || null,
          width: typeof original?.width === "number" ? original.width : null,
          height: typeof original?.height === "number" ? original.height : null,
        }),
      ];
    }),
    published: toInstant(status.created_at),
    updated: status.edited_at ? toInstant(status.edited_at) : null,
    tags: [
      ...mentioned.map(
        (m) =>
          new Mention({
            href: new URL(m.uri),
            name: `@${m.domain ? acctOf(m) : `${m.username}@${config.domain}`}`,
          }),
      ),
      ...tags.map(
        (t) =>
          new Hashtag({
            href: new URL(`${config.publicUrl}/tags/${encodeURIComponent(t.name)}`),
            name: `#${t.display_name || t.name}`,
          }),
      ),
    ],
  };
  // A post with a poll goes out as a Question, as Mastodon sends it.
  return poll
    ? noteWithMedia({ ...values, ...questionValues(poll) }, extras, true)
    : noteWithMedia(values, extras, false);
}
