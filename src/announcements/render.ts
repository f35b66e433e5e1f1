// Announcements as Mastodon shows them: the staff's plain text rendered like a local status
// (paragraphs, links, mentions, hashtags), with the accounts, statuses and tags it links
// listed beside it. Rendering happens when the text is saved, so reads make no lookups
// beyond loading the linked rows, which may have changed or gone since.
import { type Selectable, sql } from "kysely";
import { findAccountByHandle } from "../accounts/resolve.ts";
import { acctOf } from "../accounts/serializers.ts";
import type { AnnouncementsTable } from "../infra/db/schema.ts";
import type { Services } from "../services.ts";
import { localStatusUrl, tagUrl } from "../statuses/serializer.ts";
import { extractHashtags, extractMentions } from "../text/extract.ts";
import { renderPlainText } from "../text/render.ts";
import { tokenize } from "../text/tokenize.ts";
import { customEmoji } from "./reaction-names.ts";

export type AnnouncementRow = Selectable<AnnouncementsTable>;

export interface RenderedText {
  content: string;
  mentionAccountIds: string[];
  statusIds: string[];
  tagNames: string[];
}

/**
 * The text rendered, with what it links. Mentions link accounts already known here (no
 * WebFinger lookups while staff save); status links are recognised when they point at a
 * public or unlisted status this server has.
 */
export async function renderAnnouncementText(
  services: Services,
  text: string,
): Promise<RenderedText> {
  const { config, db } = services;
  const accounts = [];
  for (const m of extractMentions(text).slice(0, 50)) {
    const account = await findAccountByHandle(services, m.username, m.domain);
    if (account && account.suspended_at === null) accounts.push(account);
  }
  const content = renderPlainText(text, {
    mentions: accounts.map((a) => ({
      username: a.username,
      domain: a.domain,
      url: a.url ?? a.uri,
    })),
    publicUrl: config.publicUrl,
    localDomain: config.domain,
  });
  const urls = [
    ...new Set(tokenize(text).flatMap((t) => (t.type === "url" ? [t.value] : []))),
  ].slice(0, 20);
  const statuses =
    urls.length === 0
      ? []
      : await db
          .selectFrom("statuses")
          .select("id")
          .where((eb) => eb.or([eb("url", "in", urls), eb("uri", "in", urls)]))
          .where("visibility", "in", ["public", "unlisted"])
          .where("reblog_of_id", "is", null)
          .execute();
  return {
    content,
    mentionAccountIds: [...new Set(accounts.map((a) => a.id))],
    statusIds: statuses.map((s) => s.id),
    tagNames: extractHashtags(text).slice(0, 50),
  };
}

export interface ReactionEntity {
  name: string;
  count: number;
  me: boolean;
  url?: string;
  static_url?: string;
}

export interface AnnouncementEntity {
  id: string;
  content: string;
  starts_at: string | null;
  ends_at: string | null;
  all_day: boolean;
  published_at: string;
  updated_at: string;
  read: boolean;
  mentions: { id: string; username: string; url: string; acct: string }[];
  statuses: { id: string; url: string }[];
  tags: { name: string; url: string }[];
  emojis: unknown[];
  reactions: ReactionEntity[];
}

/** For staff: the entity plus the source text and whether it is published. */
export interface AdminAnnouncementEntity extends AnnouncementEntity {
  text: string;
  published: boolean;
}

function iso(d: Date | null): string | null {
  return d ? d.toISOString() : null;
}

/**
 * Renders announcements for `viewerId` (null: viewer-neutral, as streamed to everyone:
 * `read` and each reaction's `me` are false). Reactions come in order of first use.
 */
export async function serializeAnnouncements(
  services: Services,
  rows: AnnouncementRow[],
  viewerId: string | null,
): Promise<AnnouncementEntity[]> {
  if (rows.length === 0) return [];
  const { db, config } = services;
  const ids = rows.map((r) => r.id);
  const accountIds = [...new Set(rows.flatMap((r) => r.mention_account_ids))];
  const statusIds = [...new Set(rows.flatMap((r) => r.status_ids))];
  const [accounts, statuses, reactions, dismissed] = await Promise.all([
    accountIds.length
      ? db
          .selectFrom("accounts")
          .select(["id", "username", "domain", "url", "uri", "suspended_at"])
          .where("id", "in", accountIds)
          .execute()
      : [],
    statusIds.length
      ? db
          .selectFrom("statuses")
          .innerJoin("accounts", "accounts.id", "statuses.account_id")
          .select([
            "statuses.id",
            "statuses.url",
            "statuses.uri",
            "statuses.local",
            "statuses.visibility",
            "accounts.username",
          ])
          .where("statuses.id", "in", statusIds)
          .execute()
      : [],
    db
      .selectFrom("announcement_reactions")
      .select((eb) => [
        "announcement_id",
        "name",
        eb.fn.countAll<string>().as("count"),
        eb.fn.min("id").as("first_id"),
        (viewerId === null
          ? sql<boolean>`false`
          : sql<boolean>`bool_or(account_id = ${viewerId})`
        ).as("me"),
      ])
      .where("announcement_id", "in", ids)
      .groupBy(["announcement_id", "name"])
      .orderBy("first_id", "asc")
      .execute(),
    viewerId === null
      ? []
      : db
          .selectFrom("announcement_dismissals")
          .select("announcement_id")
          .where("account_id", "=", viewerId)
          .where("announcement_id", "in", ids)
          .execute(),
  ]);
  const accountById = new Map(accounts.map((a) => [String(a.id), a]));
  const statusById = new Map(statuses.map((s) => [String(s.id), s]));
  const read = new Set(dismissed.map((d) => String(d.announcement_id)));
  const reactionsOf = new Map<string, ReactionEntity[]>();
  for (const r of reactions) {
    const list = reactionsOf.get(String(r.announcement_id)) ?? [];
    const emoji = customEmoji(r.name);
    list.push({
      name: r.name,
      count: Number(r.count),
      me: r.me === true,
      ...(emoji ? { url: emoji.url, static_url: emoji.static_url } : {}),
    });
    reactionsOf.set(String(r.announcement_id), list);
  }
  return rows.map((row) => {
    const bounded = row.starts_at !== null && row.ends_at !== null;
    return {
      id: row.id,
      content: row.content,
      starts_at: iso(row.starts_at),
      ends_at: iso(row.ends_at),
      // Mastodon: false whenever the announcement has no time range.
      all_day: bounded && row.all_day,
      published_at: (row.published_at ?? row.created_at).toISOString(),
      updated_at: row.updated_at.toISOString(),
      read: read.has(row.id),
      mentions: row.mention_account_ids.flatMap((id) => {
        const a = accountById.get(id);
        if (!a || a.suspended_at !== null) return [];
        return [{ id: a.id, username: a.username, acct: acctOf(a), url: a.url ?? a.uri }];
      }),
      statuses: row.status_ids.flatMap((id) => {
        const s = statusById.get(id);
        if (!s || (s.visibility !== "public" && s.visibility !== "unlisted")) return [];
        const url = s.local ? localStatusUrl(config.publicUrl, s.username, s.id) : (s.url ?? s.uri);
        return [{ id: s.id, url }];
      }),
      tags: row.tag_names.map((name) => ({
        name: name.toLowerCase(),
        url: tagUrl(config.publicUrl, name.toLowerCase()),
      })),
      emojis: [],
      reactions: reactionsOf.get(row.id) ?? [],
    };
  });
}

export async function serializeAdminAnnouncements(
  services: Services,
  rows: AnnouncementRow[],
): Promise<AdminAnnouncementEntity[]> {
  const entities = await serializeAnnouncements(services, rows, null);
  return entities.map((e, i) => ({
    ...e,
    text: rows[i]?.text ?? "",
    published: rows[i]?.published ?? false,
  }));
}
