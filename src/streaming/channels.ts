// Stream names and the pub/sub channels that carry them. Every event goes through
// services.pubsub (Redis when REDIS_URL is set), never straight to a socket, so an event
// made in a worker or another web process reaches clients connected to any web process.
//
// Two kinds of channel:
// - one per local account (`streaming:account:<id>`): events already rendered for that
//   account (user, user:notification, direct);
// - one per public stream (`streaming:public`, `streaming:hashtag:local:<tag>`, ...): one
//   anonymous rendering, filtered per connection by blocks and mutes of the listed authors.

/** Streams whose events are addressed to one account. */
export type AccountStreamName = "user" | "user:notification" | "direct";

export type PublicStreamName =
  | "public"
  | "public:media"
  | "public:local"
  | "public:local:media"
  | "public:remote"
  | "public:remote:media";

export type StreamName =
  | AccountStreamName
  | PublicStreamName
  | "hashtag"
  | "hashtag:local"
  | "list";

export const PUBLIC_STREAMS: readonly PublicStreamName[] = [
  "public",
  "public:media",
  "public:local",
  "public:local:media",
  "public:remote",
  "public:remote:media",
];

export const ALL_STREAMS: readonly StreamName[] = [
  "user",
  "user:notification",
  "direct",
  ...PUBLIC_STREAMS,
  "hashtag",
  "hashtag:local",
  "list",
];

export type StreamEvent =
  | "update"
  | "delete"
  | "notification"
  | "status.update"
  | "conversation"
  | "filters_changed"
  | "announcement"
  | "notifications_merged";

export function accountChannel(accountId: string): string {
  return `streaming:account:${accountId}`;
}

/** The channel of a public or hashtag stream; tags are compared lowercased, as Mastodon does. */
export function publicChannel(
  stream: PublicStreamName | "hashtag" | "hashtag:local",
  tag?: string,
): string {
  if (stream === "hashtag" || stream === "hashtag:local") {
    return `streaming:${stream}:${(tag ?? "").toLowerCase()}`;
  }
  return `streaming:${stream}`;
}

/** Deletions of public statuses, fanned out by each connection to its public streams. */
export const PUBLIC_DELETE_CHANNEL = "streaming:public-delete";

/** On an account channel: an event for the listed streams of that account. */
export interface AccountMessage {
  kind: "event";
  streams: AccountStreamName[];
  event: StreamEvent;
  /** What goes on the wire: the JSON of the entity, or the bare id for `delete`. */
  payload: string;
}

/** On a public channel. */
export interface PublicMessage {
  event: StreamEvent;
  payload: string;
  /** Accounts whose blocks and mutes keep this event from a viewer (author, boosted author). */
  accountIds: string[];
  statusId: string;
}
