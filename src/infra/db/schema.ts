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

// Migration 0016: moderation (reports for the admin API, the audit log of staff actions).

export type ReportCategory = "spam" | "legal" | "violation" | "other";

// Merges with the ReportsTable above: the columns migration 0016 adds.
export interface ReportsTable {
  category: ColumnType<ReportCategory, ReportCategory | undefined, ReportCategory>;
  rule_ids: ColumnType<string[], string | undefined, string>;
  action_taken_at: Date | null;
  action_taken_by_account_id: string | null;
  assigned_account_id: string | null;
  updated_at: Generated<Date>;
}

export interface AdminActionLogsTable {
  id: string;
  account_id: string | null;
  action: string;
  target_type: string;
  target_id: string;
  human_identifier: string | null;
  details: ColumnType<Record<string, unknown>, string | undefined, string>;
  created_at: Generated<Date>;
}

export interface Database {
  admin_action_logs: AdminActionLogsTable;
}

// -- 0017_admin_blocks: federation and sign-up blocks, rules --

export type DomainBlockSeverity = "silence" | "suspend" | "noop";
export type IpBlockSeverity = "sign_up_requires_approval" | "sign_up_block" | "no_access";

export interface DomainBlocksTable {
  id: string;
  domain: string;
  severity: DomainBlockSeverity;
  reject_media: Generated<boolean>;
  reject_reports: Generated<boolean>;
  private_comment: string | null;
  public_comment: string | null;
  obfuscate: Generated<boolean>;
  applied_at: Timestamp;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface DomainAllowsTable {
  id: string;
  domain: string;
  created_at: Generated<Date>;
}

export interface EmailDomainBlocksTable {
  id: string;
  domain: string;
  allow_with_approval: Generated<boolean>;
  created_at: Generated<Date>;
}

export interface CanonicalEmailBlocksTable {
  id: string;
  canonical_email_hash: string;
  created_at: Generated<Date>;
}

export interface IpBlocksTable {
  id: string;
  /** An `inet` network, read back as text ("10.0.0.0/8", "192.0.2.1" for a /32). */
  ip: string;
  severity: IpBlockSeverity;
  comment: Generated<string>;
  expires_at: Date | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface RulesTable {
  id: string;
  text: string;
  hint: Generated<string>;
  priority: Generated<number>;
  deleted_at: Date | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface Database {
  domain_blocks: DomainBlocksTable;
  domain_allows: DomainAllowsTable;
  email_domain_blocks: EmailDomainBlocksTable;
  canonical_email_blocks: CanonicalEmailBlocksTable;
  ip_blocks: IpBlocksTable;
  rules: RulesTable;
}

// Migration 0013: custom filters (v2 model; v1 filters are one-keyword filters).

export type FilterAction = "warn" | "hide" | "blur";

export interface CustomFiltersTable {
  id: string;
  account_id: string;
  title: string;
  /** JSON array of context names; written as a JSON string. */
  context: ColumnType<string[], string | undefined, string>;
  action: ColumnType<FilterAction, FilterAction | undefined, FilterAction>;
  expires_at: Date | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface CustomFilterKeywordsTable {
  id: string;
  custom_filter_id: string;
  keyword: string;
  whole_word: Generated<boolean>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface CustomFilterStatusesTable {
  id: string;
  custom_filter_id: string;
  status_id: string;
  created_at: Generated<Date>;
}

export interface Database {
  custom_filters: CustomFiltersTable;
  custom_filter_keywords: CustomFilterKeywordsTable;
  custom_filter_statuses: CustomFilterStatusesTable;
}

// Migration 0015: scheduled statuses, user domain blocks, featured tags, notification policy
// and requests (issue #8).

export interface ScheduledStatusesTable {
  id: string;
  account_id: string;
  scheduled_at: Date;
  /** The POST /statuses parameters (src/scheduled/params.ts: ScheduledParams). */
  params: ColumnType<Record<string, unknown>, string, string>;
  created_at: Generated<Date>;
}

export interface MediaAttachmentsTable {
  /** Reserved for this scheduled status until it is published or deleted. */
  scheduled_status_id: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface AccountDomainBlocksTable {
  id: string;
  account_id: string;
  domain: string;
  created_at: Generated<Date>;
}

export interface FeaturedTagsTable {
  id: string;
  account_id: string;
  tag_id: string;
  created_at: Generated<Date>;
}

export type NotificationPolicyValue = "accept" | "filter" | "drop";

export interface NotificationPoliciesTable {
  account_id: string;
  for_not_following: ColumnType<NotificationPolicyValue, NotificationPolicyValue | undefined>;
  for_not_followers: ColumnType<NotificationPolicyValue, NotificationPolicyValue | undefined>;
  for_new_accounts: ColumnType<NotificationPolicyValue, NotificationPolicyValue | undefined>;
  for_private_mentions: ColumnType<NotificationPolicyValue, NotificationPolicyValue | undefined>;
  for_limited_accounts: ColumnType<NotificationPolicyValue, NotificationPolicyValue | undefined>;
  updated_at: Generated<Date>;
}

export interface NotificationRequestsTable {
  id: string;
  account_id: string;
  from_account_id: string;
  last_status_id: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface NotificationPermissionsTable {
  id: string;
  account_id: string;
  from_account_id: string;
  created_at: Generated<Date>;
}

export interface NotificationsTable {
  /** Held back by the recipient's notification policy (shown through notification requests). */
  filtered: Generated<boolean>;
}

export interface Database {
  scheduled_statuses: ScheduledStatusesTable;
  account_domain_blocks: AccountDomainBlocksTable;
  featured_tags: FeaturedTagsTable;
  notification_policies: NotificationPoliciesTable;
  notification_requests: NotificationRequestsTable;
  notification_permissions: NotificationPermissionsTable;
}

// Migration 0012: lists (`/api/v1/lists`), their members and their fanned-out feeds.

export type ListRepliesPolicy = "followed" | "list" | "none";

export interface ListsTable {
  id: string;
  account_id: string;
  title: string;
  replies_policy: ColumnType<ListRepliesPolicy, ListRepliesPolicy | undefined, ListRepliesPolicy>;
  exclusive: Generated<boolean>;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface ListAccountsTable {
  id: string;
  list_id: string;
  account_id: string;
  follow_id: string;
  created_at: Generated<Date>;
}

export interface ListFeedTable {
  list_id: string;
  status_id: string;
  reblog_of_id: string | null;
}

export interface Database {
  lists: ListsTable;
  list_accounts: ListAccountsTable;
  list_feed: ListFeedTable;
}

// Migration 0014: polls (src/polls/).

export interface PollsTable {
  id: string;
  status_id: string;
  account_id: string;
  options: ColumnType<string[], string | undefined, string>;
  /** One count per option, in the order of `options`. */
  tallies: ColumnType<number[], string | undefined, string>;
  multiple: Generated<boolean>;
  hide_totals: Generated<boolean>;
  expires_at: Date | null;
  votes_count: Generated<number>;
  voters_count: number | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface PollVotesTable {
  id: string;
  poll_id: string;
  account_id: string;
  choice: number;
  uri: string | null;
  created_at: Generated<Date>;
}

export interface Database {
  polls: PollsTable;
  poll_votes: PollVotesTable;
}

/** Merged into StatusEditsTable: the poll's options at that revision (null: no poll). */
export interface StatusEditsTable {
  poll_options: ColumnType<string[] | null, string | null | undefined, string | null>;
}

// Migration 0020: analytics (src/analytics) and trend review (src/tags/trend-review.ts).

export interface DailyActivityTable {
  /** A UTC day, `YYYY-MM-DD`. */
  day: ColumnType<string, string, string>;
  account_id: string;
}

export interface TrendReviewsTable {
  kind: "tag" | "status" | "link";
  target_id: string;
  trendable: boolean;
  reviewed_by_account_id: string | null;
  reviewed_at: Generated<Date>;
}

export interface AdminDailyReportsTable {
  day: ColumnType<string, string, string>;
  sent_at: Generated<Date>;
}

export interface Database {
  daily_activity: DailyActivityTable;
  trend_reviews: TrendReviewsTable;
  admin_daily_reports: AdminDailyReportsTable;
}

// Migration 0021: announcements (src/announcements).

export interface AnnouncementsTable {
  id: string;
  text: string;
  content: Generated<string>;
  mention_account_ids: ColumnType<string[], string | undefined, string>;
  status_ids: ColumnType<string[], string | undefined, string>;
  tag_names: ColumnType<string[], string | undefined, string>;
  starts_at: Date | null;
  ends_at: Date | null;
  all_day: Generated<boolean>;
  published: Generated<boolean>;
  published_at: Date | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

export interface AnnouncementDismissalsTable {
  announcement_id: string;
  account_id: string;
  created_at: Generated<Date>;
}

export interface AnnouncementReactionsTable {
  id: string;
  announcement_id: string;
  account_id: string;
  name: string;
  created_at: Generated<Date>;
}

export interface Database {
  announcements: AnnouncementsTable;
  announcement_dismissals: AnnouncementDismissalsTable;
  announcement_reactions: AnnouncementReactionsTable;
}
