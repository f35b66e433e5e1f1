// The Account and CredentialAccount entities, rendered as Mastodon renders them. Every
// endpoint that shows an account goes through here, so apps see one consistent shape.
import type { AccountRow, UserRow } from "../auth/middleware.ts";
import { type RoleEntity, roleEntity } from "../auth/roles.ts";
import type { Config } from "../config.ts";
import type { Db } from "../infra/db/index.ts";
import type { AccountField, Visibility } from "../infra/db/schema.ts";

type SerializerConfig = Pick<Config, "publicUrl">;

export interface FieldEntity {
  name: string;
  value: string;
  verified_at: string | null;
}

export interface AccountEntity {
  id: string;
  username: string;
  acct: string;
  display_name: string;
  locked: boolean;
  bot: boolean;
  discoverable: boolean | null;
  indexable: boolean;
  group: boolean;
  hide_collections: boolean;
  noindex?: boolean;
  created_at: string;
  note: string;
  url: string;
  uri: string;
  avatar: string;
  avatar_static: string;
  header: string;
  header_static: string;
  followers_count: number;
  following_count: number;
  statuses_count: number;
  last_status_at: string | null;
  emojis: unknown[];
  fields: FieldEntity[];
  roles: { id: string; name: string; color: string }[];
  moved?: AccountEntity | null;
  memorial?: boolean;
  suspended?: boolean;
  limited?: boolean;
}

export interface CredentialAccountEntity extends AccountEntity {
  source: {
    privacy: Visibility;
    sensitive: boolean;
    language: string | null;
    note: string;
    fields: FieldEntity[];
    follow_requests_count: number;
    discoverable: boolean | null;
    indexable: boolean;
    hide_collections: boolean;
    attribution_domains: string[];
  };
  role: RoleEntity;
}

export interface SerializeOptions {
  /** The account it moved to, when `moved_to_account_id` is set (see loadMovedAccount). */
  moved?: AccountRow | null;
  /** The local user behind the account, for user preferences such as `noindex`. */
  user?: UserRow | null;
}

export function missingAvatarUrl(config: SerializerConfig): string {
  return `${config.publicUrl}/avatars/original/missing.png`;
}

export function missingHeaderUrl(config: SerializerConfig): string {
  return `${config.publicUrl}/headers/original/missing.png`;
}

/** `username` for local accounts, `username@domain` for remote ones. */
export function acctOf(account: Pick<AccountRow, "username" | "domain">): string {
  return account.domain ? `${account.username}@${account.domain}` : account.username;
}

/**
 * The columns an Account entity is made of (plus `sensitized_at`, which statuses need):
 * pages that render many accounts read only these, not keys and inbox addresses.
 */
export const ACCOUNT_ENTITY_COLUMNS = [
  "id",
  "username",
  "domain",
  "display_name",
  "note",
  "uri",
  "url",
  "avatar_url",
  "header_url",
  "locked",
  "bot",
  "group",
  "discoverable",
  "indexable",
  "hide_collections",
  "fields",
  "moved_to_account_id",
  "followers_count",
  "following_count",
  "statuses_count",
  "last_status_at",
  "suspended_at",
  "silenced_at",
  "sensitized_at",
  "created_at",
] as const satisfies readonly (keyof AccountRow)[];

export type AccountEntityRow = Pick<AccountRow, (typeof ACCOUNT_ENTITY_COLUMNS)[number]>;

export function serializeAccount(
  account: AccountEntityRow,
  config: SerializerConfig,
  options: SerializeOptions = {},
): AccountEntity {
  const local = account.domain === null;
  // Suspended accounts keep their handle and counts but show nothing they wrote.
  const hidden = account.suspended_at !== null;
  const avatar = hidden || !account.avatar_url ? missingAvatarUrl(config) : account.avatar_url;
  const header = hidden || !account.header_url ? missingHeaderUrl(config) : account.header_url;
  const entity: AccountEntity = {
    id: account.id,
    username: account.username,
    acct: acctOf(account),
    display_name: hidden ? "" : account.display_name,
    locked: hidden ? false : account.locked,
    bot: hidden ? false : account.bot,
    discoverable: hidden ? false : account.discoverable,
    indexable: hidden ? false : account.indexable,
    group: account.group,
    hide_collections: account.hide_collections,
    // Mastodon shows the day only, so exact sign-up times don't leak.
    created_at: midnightUtc(account.created_at),
    note: hidden ? "" : local ? plainTextToHtml(account.note) : account.note,
    url: account.url ?? account.uri,
    uri: account.uri,
    avatar,
    avatar_static: avatar,
    header,
    header_static: header,
    followers_count: account.followers_count,
    following_count: account.following_count,
    statuses_count: account.statuses_count,
    last_status_at: account.last_status_at ? dateOnly(account.last_status_at) : null,
    // Custom emojis arrive with the emoji work; until then profiles have none.
    emojis: [],
    fields: hidden ? [] : renderFields(account.fields, local),
    // Only highlighted roles are public, and Roost's roles are not highlighted (as Mastodon's defaults).
    roles: [],
  };
  if (local) entity.noindex = options.user?.settings?.noindex === true;
  if (account.moved_to_account_id && !hidden) {
    entity.moved = options.moved ? serializeAccount(options.moved, config) : null;
  }
  // `memorial` needs a memorial flag on accounts, which no migration has added yet.
  if (hidden) entity.suspended = true;
  if (account.silenced_at) entity.limited = true;
  return entity;
}

export interface CredentialOptions extends SerializeOptions {
  /** Pending follow requests to this account. */
  followRequestsCount?: number;
}

/** The signed-in user's own account: Account plus `source` (editable values) and `role`. */
export function serializeCredentialAccount(
  account: AccountRow,
  user: UserRow,
  config: SerializerConfig,
  options: CredentialOptions = {},
): CredentialAccountEntity {
  const settings = user.settings ?? {};
  const fields: FieldEntity[] = account.fields.map((f) => ({
    name: f.name,
    value: f.value,
    verified_at: f.verified_at ?? null,
  }));
  return {
    ...serializeAccount(account, config, { ...options, user }),
    source: {
      privacy: visibilitySetting(settings.default_privacy),
      sensitive: settings.default_sensitive === true,
      language: typeof settings.default_language === "string" ? settings.default_language : null,
      note: account.note,
      fields,
      follow_requests_count: options.followRequestsCount ?? 0,
      discoverable: account.discoverable,
      indexable: account.indexable,
      hide_collections: account.hide_collections,
      attribution_domains: [],
    },
    role: roleEntity(user.role),
  };
}

/** Loads the account an account moved to, for serializeAccount's `moved`. */
export async function loadMovedAccount(db: Db, account: AccountRow): Promise<AccountRow | null> {
  if (!account.moved_to_account_id) return null;
  const moved = await db
    .selectFrom("accounts")
    .selectAll()
    .where("id", "=", account.moved_to_account_id)
    .executeTakeFirst();
  return moved ?? null;
}

const VISIBILITIES: readonly string[] = ["public", "unlisted", "private", "direct"];

function visibilitySetting(value: unknown): Visibility {
  // Posting "direct" by default makes no sense; Mastodon limits the default to the other three.
  return typeof value === "string" && VISIBILITIES.includes(value) && value !== "direct"
    ? (value as Visibility)
    : "public";
}

function midnightUtc(value: Date | string): string {
  const d = new Date(value);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate())).toISOString();
}

function dateOnly(value: Date | string): string {
  return new Date(value).toISOString().slice(0, 10);
}

function renderFields(fields: AccountField[], local: boolean): FieldEntity[] {
  return fields.map((f) => ({
    // Remote servers send HTML already; local values are plain text and get linked here.
    name: local ? escapeHtml(f.name) : f.name,
    value: local ? linkify(f.value) : f.value,
    verified_at: f.verified_at ?? null,
  }));
}

export function escapeHtml(text: string): string {
  return text
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}

const URL_PATTERN = /\bhttps?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]]/g;

/** Escapes plain text and turns http(s) URLs into links, the way Mastodon displays them. */
export function linkify(text: string): string {
  let out = "";
  let last = 0;
  for (const match of text.matchAll(URL_PATTERN)) {
    const url = match[0];
    out += escapeHtml(text.slice(last, match.index));
    out += linkHtml(url);
    last = match.index + url.length;
  }
  return out + escapeHtml(text.slice(last));
}

// Mastodon's link markup: the scheme is hidden and long URLs are cut after 30 characters,
// with the rest in an "invisible" span, so copying still yields the whole address.
function linkHtml(url: string): string {
  const scheme = url.match(/^https?:\/\/(www\.)?/)?.[0] ?? "";
  const rest = url.slice(scheme.length);
  const shown = rest.slice(0, 30);
  const tail = rest.slice(30);
  const cls = tail ? "ellipsis" : "";
  return (
    `<a href="${escapeHtml(url)}" target="_blank" rel="nofollow noopener" translate="no">` +
    `<span class="invisible">${escapeHtml(scheme)}</span>` +
    `<span class="${cls}">${escapeHtml(shown)}</span>` +
    `<span class="invisible">${escapeHtml(tail)}</span></a>`
  );
}

/** A local bio as HTML: paragraphs at blank lines, <br> at single line breaks. */
export function plainTextToHtml(text: string): string {
  const trimmed = text.replace(/\r\n?/g, "\n").trim();
  if (!trimmed) return "";
  return trimmed
    .split(/\n{2,}/)
    .map((p) => `<p>${linkify(p).replaceAll("\n", "<br />")}</p>`)
    .join("");
}
