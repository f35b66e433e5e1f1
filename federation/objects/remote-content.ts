// What a received object says, turned into a status's columns: sanitized HTML content
// (Misskey MFM rendered from its source), content warning, language, audience, hashtags
// and mentions. Pure reading: nothing here writes or fetches beyond embedded tags.

import {
  type Object as APObject,
  Article,
  Audio,
  Event,
  Hashtag,
  LanguageString,
  Link,
  Mention,
  Note,
  Page,
  PUBLIC_COLLECTION,
  Question,
  Video,
} from "@fedify/vocab";
import type { AccountRow } from "../../src/auth/middleware.ts";
import type { Visibility } from "../../src/infra/db/schema.ts";
import { type RemoteAttachment, readAttachments } from "./remote-media.ts";
import {
  escapeText,
  htmlToText,
  plainTextToParagraphs,
  renderMfm,
  sanitizeHtml,
} from "./sanitize.ts";
import { sourceJsonOf } from "./source-json.ts";

/** Objects stored as statuses. Notes and polls as posts; the rest as a title and a link. */
export type StatusObject = Note | Question | Article | Page | Video | Audio | Event;

export function isStatusObject(object: unknown): object is StatusObject {
  return (
    object instanceof Note ||
    object instanceof Question ||
    object instanceof Article ||
    object instanceof Page ||
    object instanceof Video ||
    object instanceof Audio ||
    object instanceof Event
  );
}

/** Larger bodies are refused whole: a truncated post would misquote its author. */
export const MAX_CONTENT_CHARS = 100_000;
const MAX_TAGS = 50;
const MAX_TITLE_CHARS = 500;
const MAX_SPOILER_CHARS = 5_000;
/** A published date this far ahead is a wrong clock, not a schedule: use now. */
const FUTURE_SKEW_MS = 5 * 60 * 1000;

export interface RemoteStatusFields {
  content: string;
  spoilerText: string;
  sensitive: boolean;
  language: string | null;
  url: string | null;
  visibility: Visibility;
  published: Date;
  updated: Date | null;
  hashtags: string[];
  mentionHrefs: string[];
  inReplyTo: URL | null;
  attachments: RemoteAttachment[];
}

export interface Audience {
  to: URL[];
  cc: URL[];
}

const PUBLIC_IRIS = new Set([PUBLIC_COLLECTION.href, "as:Public", "Public"]);

/**
 * Mastodon's rule: the public collection addressed in `to` is public, in `cc` unlisted;
 * the author's followers collection is followers-only; anything else is direct.
 */
export function visibilityOf(audience: Audience, followersUrl: string | null): Visibility {
  const isPublic = (u: URL) => PUBLIC_IRIS.has(u.href);
  if (audience.to.some(isPublic)) return "public";
  if (audience.cc.some(isPublic)) return "unlisted";
  if (followersUrl && [...audience.to, ...audience.cc].some((u) => u.href === followersUrl)) {
    return "private";
  }
  return "direct";
}

function toDate(instant: Temporal.Instant | null): Date | null {
  return instant ? new Date(instant.epochMilliseconds) : null;
}

function firstText(values: readonly (string | LanguageString)[]): string | null {
  const first = values[0];
  return first === undefined ? null : first.toString();
}

/** The language of `contentMap`, when the content was given per language. */
function languageOf(values: readonly (string | LanguageString)[]): string | null {
  for (const v of values) {
    if (v instanceof LanguageString) {
      const tag = v.locale.baseName;
      if (tag && tag !== "und") return tag.slice(0, 16);
    }
  }
  return null;
}

/** The page a person opens: the first HTML link, else the first URL. */
export function htmlUrlOf(object: APObject): string | null {
  let fallback: string | null = null;
  for (const u of object.urls) {
    if (u instanceof URL) {
      fallback ??= u.href;
      continue;
    }
    if (u instanceof Link && u.href) {
      if (u.mediaType === "text/html") return u.href.href;
      fallback ??= u.href.href;
    }
  }
  if (fallback && /^https?:$/.test(new URL(fallback).protocol)) return fallback;
  return null;
}

/** Misskey keeps the MFM source in `_misskey_content`, outside any vocabulary Fedify knows. */
async function misskeyContent(object: APObject): Promise<string | null> {
  if (object.source?.mediaType === "text/x.misskeymarkdown") {
    const content = object.source.content;
    if (content != null) return content.toString();
  }
  const json = await sourceJsonOf(object);
  if (!json) return null;
  const compact = json._misskey_content;
  if (typeof compact === "string") return compact;
  const expanded = json["https://misskey-hub.net/ns#_misskey_content"];
  if (Array.isArray(expanded)) {
    const value = (expanded[0] as { "@value"?: unknown } | undefined)?.["@value"];
    if (typeof value === "string") return value;
  }
  return null;
}

interface Tags {
  hashtags: string[];
  mentionHrefs: string[];
  /** `@user` and `@user@host` to the mentioned actor's id, for rendering MFM mentions. */
  mentionByName: Map<string, string>;
  hashtagHrefs: Map<string, string>;
}

async function readTags(object: APObject): Promise<Tags> {
  const result: Tags = {
    hashtags: [],
    mentionHrefs: [],
    mentionByName: new Map(),
    hashtagHrefs: new Map(),
  };
  let seen = 0;
  // Embedded tags only: a tag given as a bare IRI would cost one fetch each, for nothing.
  for await (const tag of object.getTags({ suppressError: true, crossOrigin: "ignore" })) {
    if (++seen > MAX_TAGS) break;
    const name = tag.name?.toString().trim() ?? "";
    if (tag instanceof Hashtag) {
      const bare = name.replace(/^#/, "");
      if (bare) {
        result.hashtags.push(bare);
        if (tag.href) result.hashtagHrefs.set(bare.toLowerCase(), tag.href.href);
      }
    } else if (tag instanceof Mention && tag.href) {
      result.mentionHrefs.push(tag.href.href);
      if (name) result.mentionByName.set(name.toLowerCase(), tag.href.href);
    }
  }
  return result;
}

function titleParagraph(object: APObject): string {
  const name = firstText(object.names)?.trim().slice(0, MAX_TITLE_CHARS);
  return name ? `<p><strong>${escapeText(name)}</strong></p>` : "";
}

function linkParagraph(url: string | null): string {
  if (!url) return "";
  const safe = escapeText(url);
  return `<p><a href="${safe}">${safe}</a></p>`;
}

/**
 * The columns for `object` written by `author`, or undefined when the object is refused
 * (a body over the size limit). `fallbackAudience` is the activity's, for objects that
 * don't say who they are for.
 */
export async function readStatusFields(
  object: StatusObject,
  author: Pick<AccountRow, "followers_url" | "domain">,
  fallbackAudience?: Audience,
): Promise<RemoteStatusFields | undefined> {
  const rawContent = firstText(object.contents) ?? "";
  const rawSummary = firstText(object.summaries) ?? "";
  if (rawContent.length > MAX_CONTENT_CHARS || rawSummary.length > MAX_CONTENT_CHARS) {
    return undefined;
  }
  const tags = await readTags(object);
  const url = htmlUrlOf(object);
  let content: string;
  let spoilerText = "";
  if (object instanceof Note || object instanceof Question) {
    const mfmSource = await misskeyContent(object);
    if (mfmSource !== null && mfmSource.length <= MAX_CONTENT_CHARS) {
      content = renderMfm(mfmSource, {
        mentionHref: (acct) =>
          tags.mentionByName.get(acct.toLowerCase()) ??
          tags.mentionByName.get(`${acct}@${author.domain ?? ""}`.toLowerCase()),
        hashtagHref: (tag) =>
          tags.hashtagHrefs.get(tag.toLowerCase()) ??
          (author.domain ? `https://${author.domain}/tags/${encodeURIComponent(tag)}` : undefined),
      });
    } else {
      content = sanitizeHtml(rawContent);
    }
    spoilerText = htmlToText(rawSummary).trim().slice(0, MAX_SPOILER_CHARS);
  } else if (object instanceof Article || object instanceof Page) {
    // As Mastodon shows articles: the title, the body (or its summary), a link to read it.
    const body = rawContent
      ? sanitizeHtml(rawContent)
      : plainTextToParagraphs(htmlToText(rawSummary));
    content = titleParagraph(object) + body + linkParagraph(url ?? object.id?.href ?? null);
  } else {
    // Videos, audio and events: a title, a short description, and the link to the page.
    const description = plainTextToParagraphs(htmlToText(rawSummary));
    content = titleParagraph(object) + description + linkParagraph(url ?? object.id?.href ?? null);
  }
  const objectAudience = { to: object.toIds, cc: object.ccIds };
  const audience =
    objectAudience.to.length + objectAudience.cc.length > 0 || !fallbackAudience
      ? objectAudience
      : fallbackAudience;
  const now = Date.now();
  let published = toDate(object.published) ?? new Date(now);
  if (published.getTime() > now + FUTURE_SKEW_MS) published = new Date(now);
  return {
    content,
    spoilerText,
    // A content warning always hides the content, whatever `sensitive` says.
    sensitive: (object.sensitive ?? false) || spoilerText !== "",
    language: languageOf(object.contents),
    url,
    visibility: visibilityOf(audience, author.followers_url),
    published,
    updated: toDate(object.updated),
    hashtags: tags.hashtags,
    mentionHrefs: [...new Set(tags.mentionHrefs)],
    inReplyTo: object.replyTargetId,
    attachments: await readAttachments(object),
  };
}
