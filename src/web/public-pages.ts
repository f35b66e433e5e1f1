// Server-rendered pages for people who open a profile or post link in a browser: the local
// actor URL (/users/:username, /@:username) and a local post (/users/:u/statuses/:id,
// /@:u/:id). ActivityPub clients asking for JSON at the same URLs get it from Fedify; this
// is what a browser gets instead (federation/middleware.ts falls through on 406).
//
// Only what anyone may see: public and unlisted posts of unsuspended local accounts. A
// followers-only or direct post is a 404 here, exactly as a missing one is. Every value
// is escaped by the template; post HTML (ours, but stored) goes through the sanitizer again.
import { html, raw } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import { htmlToText, sanitizeHtml } from "../../federation/objects/sanitize.ts";
import { plainTextToHtml } from "../accounts/serializers.ts";
import type { AccountRow } from "../auth/middleware.ts";
import type { Config } from "../config.ts";
import type { Db } from "../infra/db/index.ts";
import type { StatusRow } from "../statuses/serializer.ts";
import { page } from "./layout.ts";

/** How many recent posts a profile page lists. */
export const PROFILE_POSTS = 20;
const DESCRIPTION_CHARS = 200;

const STYLE = `main{max-width:40rem}.post{border-top:1px solid #ddd;padding:1rem 0}
.who{color:#555;font-size:.9rem}.who img{width:3rem;height:3rem;border-radius:.5rem;vertical-align:middle;margin-right:.5rem}
.post time{color:#666;font-size:.85rem}.bio{margin:.5rem 0 1rem}.moved{background:#fff4d6;padding:.5rem;border-radius:.375rem}`;

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

/** A local, unsuspended account by exact username (case-insensitive, as handles are). */
export async function findPublicAccount(db: Db, username: string): Promise<AccountRow | null> {
  if (!/^[A-Za-z0-9_]{1,30}$/.test(username)) return null;
  const row = await db
    .selectFrom("accounts")
    .selectAll()
    .where("domain", "is", null)
    .where((eb) => eb(eb.fn("lower", ["username"]), "=", username.toLowerCase()))
    .where("suspended_at", "is", null)
    .executeTakeFirst();
  return row ?? null;
}

/** A local public or unlisted post (not a boost) of `account`, or null. */
export async function findPublicStatus(
  db: Db,
  account: AccountRow,
  id: string,
): Promise<StatusRow | null> {
  if (!/^\d{1,20}$/.test(id)) return null;
  const row = await db
    .selectFrom("statuses")
    .selectAll()
    .where("id", "=", id)
    .where("account_id", "=", account.id)
    .where("local", "=", true)
    .where("reblog_of_id", "is", null)
    .where("visibility", "in", ["public", "unlisted"])
    .executeTakeFirst();
  return row ?? null;
}

/** The newest posts anyone may see (unlisted ones too: they are kept off timelines, not profiles). */
export async function recentPublicStatuses(db: Db, account: AccountRow): Promise<StatusRow[]> {
  return await db
    .selectFrom("statuses")
    .selectAll()
    .where("account_id", "=", account.id)
    .where("reblog_of_id", "is", null)
    .where("visibility", "in", ["public", "unlisted"])
    .orderBy("id", "desc")
    .limit(PROFILE_POSTS)
    .execute();
}

function actorUrl(config: Config, account: AccountRow): string {
  return `${config.publicUrl}/users/${account.username}`;
}

function profileUrl(config: Config, account: AccountRow): string {
  return `${config.publicUrl}/@${account.username}`;
}

function statusUrl(config: Config, account: AccountRow, status: StatusRow): string {
  return `${profileUrl(config, account)}/${status.id}`;
}

function displayName(account: AccountRow): string {
  return account.display_name || account.username;
}

function shorten(text: string): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > DESCRIPTION_CHARS ? `${flat.slice(0, DESCRIPTION_CHARS - 1)}…` : flat;
}

/** OpenGraph tags and the link ActivityPub-aware tools follow to the JSON document. */
function headOf(
  config: Config,
  meta: { title: string; description: string; url: string; type: string; image: string | null },
  activityJson: string,
): Html {
  return html`<meta property="og:site_name" content="${config.instance.title}">
<meta property="og:type" content="${meta.type}">
<meta property="og:title" content="${meta.title}">
<meta property="og:description" content="${meta.description}">
<meta property="og:url" content="${meta.url}">
${meta.image ? html`<meta property="og:image" content="${meta.image}">` : ""}
<meta name="description" content="${meta.description}">
<link rel="canonical" href="${meta.url}">
<link rel="alternate" type="application/activity+json" href="${activityJson}">
<style>${raw(STYLE)}</style>`;
}

function postBody(config: Config, account: AccountRow, status: StatusRow): Html {
  const content = raw(sanitizeHtml(status.content));
  const created = new Date(status.created_at);
  const link = statusUrl(config, account, status);
  const body = status.spoiler_text
    ? html`<details><summary>${status.spoiler_text}</summary>${content}</details>`
    : content;
  return html`<article class="post">${body}
<a href="${link}"><time datetime="${created.toISOString()}">${created.toUTCString()}</time></a>
</article>`;
}

function authorLine(config: Config, account: AccountRow): Html {
  const avatar = account.avatar_url ? html`<img src="${account.avatar_url}" alt="">` : "";
  return html`<p class="who"><a href="${profileUrl(config, account)}">${avatar}<strong>${displayName(
    account,
  )}</strong></a> @${account.username}@${config.domain}</p>`;
}

export function renderProfilePage(
  config: Config,
  account: AccountRow,
  statuses: StatusRow[],
  moved: AccountRow | null,
): Html {
  const handle = `@${account.username}@${config.domain}`;
  const title = `${displayName(account)} (${handle})`;
  const head = headOf(
    config,
    {
      title,
      description: shorten(account.note) || `${handle} on ${config.instance.title}`,
      url: profileUrl(config, account),
      type: "profile",
      image: account.avatar_url,
    },
    actorUrl(config, account),
  );
  const movedNote = moved
    ? html`<p class="moved">This account has moved to <a href="${moved.url ?? moved.uri}">${
        moved.domain ? `@${moved.username}@${moved.domain}` : `@${moved.username}`
      }</a>.</p>`
    : "";
  const body = html`<h1>${displayName(account)}</h1>${authorLine(config, account)}${movedNote}
<div class="bio">${raw(plainTextToHtml(account.note))}</div>
<p class="who">${account.statuses_count} posts · ${account.following_count} following · ${
    account.followers_count
  } followers</p>
${statuses.length ? statuses.map((s) => postBody(config, account, s)) : html`<p>No posts yet.</p>`}`;
  return page(title, body, { instanceTitle: config.instance.title, head });
}

export function renderStatusPage(config: Config, account: AccountRow, status: StatusRow): Html {
  const text = status.spoiler_text || htmlToText(status.content);
  const title = `${displayName(account)}: "${shorten(text).slice(0, 60)}"`;
  const head = headOf(
    config,
    {
      title: `${displayName(account)} (@${account.username}@${config.domain})`,
      description: shorten(text),
      url: statusUrl(config, account, status),
      type: "article",
      image: account.avatar_url,
    },
    status.uri,
  );
  const body = html`${authorLine(config, account)}${postBody(config, account, status)}`;
  return page(title, body, { instanceTitle: config.instance.title, head });
}

export function renderNotFoundPage(config: Config): Html {
  return page(
    "Not found",
    html`<h1>Not found</h1><p>This page does not exist or is not public.</p>`,
    {
      instanceTitle: config.instance.title,
    },
  );
}
