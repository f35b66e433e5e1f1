// Stream names and the pub/sub channels that carry them. Every event goes through
// services.pubsub (Redis when REDIS_URL is set), never straight to a socket, so an event
// made in a worker or another web process reaches clients connected to any web process.
//
// Three kinds of channel, each subscribed once per web process however many clients it holds:
// - `streaming:addressed`: events for named local accounts (user, user:notification, direct,
//   list). One message per event, not per recipient: the shared rendering, the few
//   renderings that differ for particular viewers, and the recipient list. Each process
//   writes it to the connections it holds for those accounts (src/streaming/hub.ts).
// - one per public stream (`streaming:public`, `streaming:hashtag:local:<tag>`, ...): one
//   anonymous rendering, filtered per connection by blocks and mutes of the listed authors.
// - `streaming:control`: revoked tokens and suspended accounts, whose connections close and
//   whose cached tokens are dropped (src/auth/token-cache.ts).

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
  | "announcement.delete"
  | "announcement.reaction"
  | "notifications_merged";

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

/** Events for named local accounts: see AddressedMessage. */
export const ADDRESSED_CHANNEL = "streaming:addressed";

/** Connections to close: see ControlMessage. */
export const CONTROL_CHANNEL = "streaming:control";

/**
 * One event for many local accounts. `payload` is what every recipient gets unless
 * `payloads` has an entry of its own for them (authors see `application` and `pinned`;
 * someone who already favourited, boosted, bookmarked or muted sees that).
 */
export interface AddressedMessage {
  event: StreamEvent;
  /** The account streams of each recipient that hear it. */
  streams: AccountStreamName[];
  /** Accounts whose `streams` hear the event. */
  recipients: string[];
  /** List streams that hear it: [owner account id, list id]. */
  lists?: [string, string][];
  /** Every list stream of each recipient hears it too (deletes: the lists are unknown). */
  allLists?: boolean;
  /** What goes on the wire: the JSON of the entity, or the bare id for `delete`. */
  payload: string;
  payloads?: Record<string, string>;
  /**
   * The viewer's filters apply (hide drops the event, warn adds `filtered`): in this
   * context, to the status at `path` of the payload ("" is the payload itself).
   */
  filter?: { context: "home" | "notifications"; path: "" | "status" };
  /** Identifies the event: a hub writes a key once (src/streaming/direct.ts says why). */
  key?: string;
}

/** On a public channel. */
export interface PublicMessage {
  event: StreamEvent;
  payload: string;
  /** Accounts whose blocks and mutes keep this event from a viewer (author, boosted author). */
  accountIds: string[];
  statusId: string;
  /** As in AddressedMessage: written once per channel. */
  key?: string;
}

/** Close the connections made with these tokens, or by these accounts; forget the tokens. */
export interface ControlMessage {
  kind: "close";
  tokenIds?: string[];
  accountIds?: string[];
}

/** A control-channel message, or undefined for anything else (malformed, another kind). */
export function parseControlMessage(raw: string): ControlMessage | undefined {
  try {
    const message = JSON.parse(raw) as ControlMessage;
    return message?.kind === "close" ? message : undefined;
  } catch {
    return undefined;
  }
}
