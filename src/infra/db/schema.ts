// Table types for Kysely. One interface per table; keep in step with /migrations.
import type { ColumnType, Generated } from "kysely";

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T = unknown> = ColumnType<T, string, string>;

export interface KvTable {
  key: string;
  value: Json;
  expires_at: Date | null;
}

export interface JobsTable {
  id: Generated<string>;
  queue: string;
  payload: Json;
  ordering_key: string | null;
  run_at: Timestamp;
  attempts: Generated<number>;
  max_attempts: Generated<number>;
  locked_by: string | null;
  locked_until: Date | null;
  last_error: string | null;
  failed_at: Date | null;
  created_at: Generated<Date>;
}

export interface InstanceSettingsTable {
  key: string;
  value: Json;
  updated_at: Generated<Date>;
}

export interface AccountField {
  name: string;
  value: string;
  verified_at: string | null;
}

export interface AccountsTable {
  id: string;
  username: string;
  domain: string | null;
  display_name: Generated<string>;
  note: Generated<string>;
  uri: string;
  url: string | null;
  inbox_url: string | null;
  shared_inbox_url: string | null;
  outbox_url: string | null;
  followers_url: string | null;
  following_url: string | null;
  featured_url: string | null;
  avatar_url: string | null;
  header_url: string | null;
  locked: Generated<boolean>;
  bot: Generated<boolean>;
  group: Generated<boolean>;
  discoverable: boolean | null;
  indexable: Generated<boolean>;
  hide_collections: Generated<boolean>;
  fields: ColumnType<AccountField[], string | undefined, string>;
  also_known_as: ColumnType<string[], string | undefined, string>;
  moved_to_account_id: string | null;
  public_key_id: string | null;
  public_key_pem: string | null;
  followers_count: Generated<number>;
  following_count: Generated<number>;
  statuses_count: Generated<number>;
  last_status_at: Date | null;
  suspended_at: Date | null;
  silenced_at: Date | null;
  sensitized_at: Date | null;
  fetched_at: Date | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface AccountKeysTable {
  account_id: string;
  type: "rsa" | "ed25519";
  private_jwk: Json<JsonWebKey>;
  public_jwk: Json<JsonWebKey>;
  created_at: Generated<Date>;
}

export type Role = "owner" | "admin" | "moderator" | "user";

export interface UsersTable {
  id: string;
  account_id: string;
  email: string;
  password_hash: string;
  role: Generated<Role>;
  confirmed_at: Date | null;
  confirmation_token_hash: string | null;
  confirmation_sent_at: Date | null;
  unconfirmed_email: string | null;
  approved: Generated<boolean>;
  disabled: Generated<boolean>;
  locale: Generated<string>;
  reason: string | null;
  reset_password_token_hash: string | null;
  reset_password_sent_at: Date | null;
  sign_up_ip: string | null;
  last_sign_in_at: Date | null;
  settings: ColumnType<Record<string, unknown>, string | undefined, string>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface OAuthApplicationsTable {
  id: string;
  name: string;
  website: string | null;
  redirect_uris: Json<string[]>;
  scopes: string;
  client_id: string;
  client_secret: string;
  owner_account_id: string | null;
  created_at: Generated<Date>;
}

export interface OAuthGrantsTable {
  id: string;
  code_hash: string;
  application_id: string;
  account_id: string;
  redirect_uri: string;
  scopes: string;
  code_challenge: string | null;
  code_challenge_method: string | null;
  expires_at: Date;
  used_at: Date | null;
  created_at: Generated<Date>;
}

export interface OAuthTokensTable {
  id: string;
  token_hash: string;
  application_id: string;
  account_id: string | null;
  scopes: string;
  grant_id: string | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
  created_at: Generated<Date>;
}

export interface WebSessionsTable {
  id: string;
  session_hash: string;
  user_id: string;
  ip: string | null;
  user_agent: string | null;
  expires_at: Date;
  created_at: Generated<Date>;
}

export type Visibility = "public" | "unlisted" | "private" | "direct";

export interface StatusesTable {
  id: string;
  uri: string;
  url: string | null;
  account_id: string;
  local: boolean;
  in_reply_to_id: string | null;
  in_reply_to_account_id: string | null;
  in_reply_to_uri: string | null;
  reblog_of_id: string | null;
  conversation_id: string | null;
  text: Generated<string>;
  content: Generated<string>;
  spoiler_text: Generated<string>;
  sensitive: Generated<boolean>;
  visibility: Visibility;
  language: string | null;
  application_id: string | null;
  replies_count: Generated<number>;
  reblogs_count: Generated<number>;
  favourites_count: Generated<number>;
  edited_at: Date | null;
  created_at: Timestamp;
  updated_at: Generated<Date>;
}

export interface StatusEditsTable {
  id: string;
  status_id: string;
  account_id: string;
  text: Generated<string>;
  content: string;
  spoiler_text: Generated<string>;
  sensitive: Generated<boolean>;
  media: ColumnType<unknown[], string | undefined, string>;
  created_at: Timestamp;
}

export interface MentionsTable {
  status_id: string;
  account_id: string;
  silent: Generated<boolean>;
}

export interface TagsTable {
  id: string;
  name: string;
  display_name: string;
  listable: Generated<boolean>;
  last_status_at: Date | null;
  created_at: Generated<Date>;
}

export interface StatusTagsTable {
  status_id: string;
  tag_id: string;
}

export interface FollowsTable {
  id: string;
  account_id: string;
  target_account_id: string;
  uri: string | null;
  show_reblogs: Generated<boolean>;
  notify: Generated<boolean>;
  languages: ColumnType<string[] | null, string | null | undefined, string | null>;
  created_at: Timestamp;
}

export interface AccountRelationTable {
  id: string;
  account_id: string;
  target_account_id: string;
  uri: string | null;
  hide_notifications: Generated<boolean>;
  expires_at: Date | null;
  created_at: Timestamp;
}

export interface StatusRelationTable {
  id: string;
  account_id: string;
  status_id: string;
  uri: string | null;
  created_at: Timestamp;
}

export type NotificationType =
  | "mention"
  | "status"
  | "reblog"
  | "follow"
  | "follow_request"
  | "favourite"
  | "poll"
  | "update"
  | "admin.sign_up"
  | "admin.report";

export interface NotificationsTable {
  id: string;
  account_id: string;
  from_account_id: string;
  type: NotificationType;
  status_id: string | null;
  group_key: string | null;
  /** What caused it (`favourite:<id>`...): idempotent inserts and undo; migration 0005. */
  activity_key: string | null;
  created_at: Timestamp;
}

export interface HomeFeedTable {
  account_id: string;
  status_id: string;
  reblog_of_id: string | null;
}

export interface TagFollowsTable {
  id: string;
  account_id: string;
  tag_id: string;
  created_at: Generated<Date>;
}

export interface AccountNotesTable {
  id: string;
  account_id: string;
  target_account_id: string;
  comment: string;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface MarkersTable {
  account_id: string;
  timeline: "home" | "notifications";
  last_read_id: string;
  version: Generated<number>;
  updated_at: Generated<Date>;
}

export type MediaType = "image" | "gifv" | "video" | "audio" | "unknown";

export interface MediaMeta {
  original?: Record<string, number | string | null>;
  small?: Record<string, number | string | null>;
  focus?: { x: number; y: number };
}

/** Migration 0011. Keys point into the media storage (src/media/storage.ts). */
export interface MediaAttachmentsTable {
  id: string;
  account_id: string;
  status_id: string | null;
  position: Generated<number>;
  type: MediaType;
  content_type: string | null;
  file_key: string | null;
  preview_key: string | null;
  file_size: ColumnType<string | null, number | string | null | undefined, number | string | null>;
  remote_url: string | null;
  description: string | null;
  blurhash: string | null;
  meta: ColumnType<MediaMeta, string | undefined, string>;
  processing: ColumnType<
    "pending" | "ready" | "failed",
    "pending" | "ready" | "failed" | undefined,
    "pending" | "ready" | "failed"
  >;
  processing_error: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface Database {
  kv: KvTable;
  jobs: JobsTable;
  instance_settings: InstanceSettingsTable;
  accounts: AccountsTable;
  account_keys: AccountKeysTable;
  users: UsersTable;
  oauth_applications: OAuthApplicationsTable;
  oauth_grants: OAuthGrantsTable;
  oauth_tokens: OAuthTokensTable;
  web_sessions: WebSessionsTable;
  statuses: StatusesTable;
  status_edits: StatusEditsTable;
  mentions: MentionsTable;
  tags: TagsTable;
  status_tags: StatusTagsTable;
  follows: FollowsTable;
  follow_requests: FollowsTable;
  blocks: AccountRelationTable;
  mutes: AccountRelationTable;
  endorsements: AccountRelationTable;
  favourites: StatusRelationTable;
  bookmarks: StatusRelationTable;
  status_pins: StatusRelationTable;
  status_mutes: StatusRelationTable;
  notifications: NotificationsTable;
  home_feed: HomeFeedTable;
  tag_follows: TagFollowsTable;
  account_notes: AccountNotesTable;
  markers: MarkersTable;
  reports: ReportsTable;
  federation_hosts: FederationHostsTable;
  media_attachments: MediaAttachmentsTable;
}

/** A report; from another server through Flag (migration 0009). */
export interface ReportsTable {
  id: string;
  account_id: string;
  target_account_id: string;
  status_ids: ColumnType<string[], string | undefined, string>;
  comment: Generated<string>;
  uri: string | null;
  forwarded: Generated<boolean>;
  created_at: Generated<Date>;
}

/** Delivery health of a remote host (federation/hosts.ts; migration 0009). */
export interface FederationHostsTable {
  host: string;
  failing_since: Date | null;
  last_failure_at: Date | null;
  last_success_at: Date | null;
  unavailable: Generated<boolean>;
}

// Migration 0010: direct-message conversations, Web Push, batched notification emails.
// Declared as a second `Database` block (interfaces merge) so features append independently.

export interface AccountConversationsTable {
  id: string;
  account_id: string;
  /** statuses.conversation_id of the thread. */
  conversation_id: string;
  participant_account_ids: ColumnType<string[], string | undefined, string>;
  last_status_id: string;
  unread: Generated<boolean>;
  updated_at: Generated<Date>;
}

export type PushPolicy = "all" | "followed" | "follower" | "none";

export interface WebPushSubscriptionsTable {
  id: string;
  token_id: string;
  account_id: string;
  endpoint: string;
  key_p256dh: string;
  key_auth: string;
  alerts: ColumnType<Record<string, boolean>, string | undefined, string>;
  policy: ColumnType<PushPolicy, PushPolicy | undefined, PushPolicy>;
  standard: Generated<boolean>;
  sealed_token: string;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface NotificationEmailStateTable {
  account_id: string;
  last_notification_id: string | null;
  pending_since: Date | null;
  last_sent_at: Date | null;
}

export interface Database {
  account_conversations: AccountConversationsTable;
  web_push_subscriptions: WebPushSubscriptionsTable;
  notification_email_state: NotificationEmailStateTable;
}
