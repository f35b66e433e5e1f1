// The streaming side of one web process: the open connections (WebSocket or server-sent
// events alike) and their subscriptions to pub/sub channels. A connection's account streams
// share one subscription to its account channel, whose events were rendered for that account
// by the publisher. Public and hashtag channels are subscribed once per process however many
// connections listen; each message is checked against blocks and mutes for all listeners in
// one query, then written to those it may reach.
import { sql } from "kysely";
import type { AuthInfo } from "../auth/middleware.ts";
import { scopeCovers } from "../auth/scopes.ts";
import { log } from "../infra/logging.ts";
import type { Services } from "../services.ts";
import {
  type AccountMessage,
  type AccountStreamName,
  accountChannel,
  PUBLIC_DELETE_CHANNEL,
  PUBLIC_STREAMS,
  type PublicMessage,
  type PublicStreamName,
  publicChannel,
  type StreamName,
} from "./channels.ts";

const logger = log("streaming");

/** Writes one event to the client: `stream` as Mastodon labels it (["hashtag", "tag"], ...). */
export type StreamSink = (stream: string[], event: string, payload: string) => void;

/** A request the client may not make; the message is what Mastodon answers. */
export class StreamError extends Error {
  readonly status: 400 | 401 | 404;
  constructor(status: 400 | 401 | 404, message: string) {
    super(message);
    this.status = status;
  }
}

export interface StreamRequest {
  stream: string;
  tag?: string | null;
  list?: string | null;
}

const ACCOUNT_STREAMS = new Set<string>(["user", "user:notification", "direct"]);

interface Member {
  connection: StreamConnection;
  label: string[];
}

interface PublicEntry {
  members: Set<Member>;
  subscribed: Promise<() => Promise<void>>;
  /** Messages are delivered in order although the block/mute check is asynchronous. */
  queue: Promise<void>;
}

export class StreamingHub {
  readonly services: Services;
  readonly #channels = new Map<string, PublicEntry>();
  readonly #connections = new Set<StreamConnection>();

  constructor(services: Services) {
    this.services = services;
  }

  open(auth: AuthInfo, sink: StreamSink, onClose: () => void): StreamConnection {
    const connection = new StreamConnection(this, auth, sink, onClose);
    this.#connections.add(connection);
    return connection;
  }

  get size(): number {
    return this.#connections.size;
  }

  /** Ends every connection (shutdown), so the HTTP server can finish closing. */
  async closeAll(): Promise<void> {
    await Promise.all([...this.#connections].map((c) => c.close()));
  }

  forget(connection: StreamConnection): void {
    this.#connections.delete(connection);
  }

  async join(channel: string, member: Member): Promise<void> {
    let entry = this.#channels.get(channel);
    if (entry === undefined) {
      const created: PublicEntry = {
        members: new Set(),
        queue: Promise.resolve(),
        subscribed: this.services.pubsub.subscribe(channel, (raw) => {
          created.queue = created.queue.then(() => this.#deliver(created, raw));
        }),
      };
      entry = created;
      this.#channels.set(channel, entry);
      entry.subscribed.catch(() => this.#channels.delete(channel));
    }
    entry.members.add(member);
    await entry.subscribed;
  }

  async leave(channel: string, member: Member): Promise<void> {
    const entry = this.#channels.get(channel);
    if (!entry) return;
    entry.members.delete(member);
    if (entry.members.size > 0) return;
    this.#channels.delete(channel);
    const unsubscribe = await entry.subscribed.catch(() => undefined);
    await unsubscribe?.();
  }

  async #deliver(entry: PublicEntry, raw: string): Promise<void> {
    try {
      const message = JSON.parse(raw) as PublicMessage;
      const members = [...entry.members];
      if (members.length === 0) return;
      const viewerIds = [...new Set(members.map((m) => m.connection.accountId))];
      const excluded = await excludedViewers(this.services, viewerIds, message.accountIds);
      for (const member of members) {
        if (excluded.has(member.connection.accountId)) continue;
        member.connection.send(member.label, message.event, message.payload);
      }
    } catch (error) {
      logger.error("Streaming delivery failed: {error}", { error });
    }
  }
}

/** Viewers who blocked, were blocked by, or muted one of `accountIds`: one query for all. */
async function excludedViewers(
  services: Services,
  viewerIds: string[],
  accountIds: string[],
): Promise<Set<string>> {
  const others = accountIds.filter((id) => id);
  if (others.length === 0 || viewerIds.length === 0) return new Set();
  const v = sql.join(viewerIds);
  const a = sql.join(others);
  const result = await sql<{ id: string }>`
    select account_id as id from blocks where account_id in (${v}) and target_account_id in (${a})
    union select target_account_id from blocks
      where target_account_id in (${v}) and account_id in (${a})
    union select account_id from mutes where account_id in (${v}) and target_account_id in (${a})
      and (expires_at is null or expires_at > now())`.execute(services.db);
  return new Set(result.rows.map((r) => String(r.id)));
}

interface Subscription {
  stream: StreamName;
  label: string[];
  /** Public and hashtag subscriptions: their channel membership (and the deletes'). */
  member?: Member;
  channel?: string;
}

export class StreamConnection {
  readonly #hub: StreamingHub;
  readonly #auth: AuthInfo;
  readonly #sink: StreamSink;
  readonly #onClose: () => void;
  readonly #subscriptions = new Map<string, Subscription>();
  #accountSubscription: Promise<() => Promise<void>> | undefined;
  #closed = false;

  constructor(hub: StreamingHub, auth: AuthInfo, sink: StreamSink, onClose: () => void) {
    this.#hub = hub;
    this.#auth = auth;
    this.#sink = sink;
    this.#onClose = onClose;
  }

  get accountId(): string {
    return this.#auth.account?.id ?? "";
  }

  send(label: string[], event: string, payload: string): void {
    if (this.#closed) return;
    try {
      this.#sink(label, event, payload);
    } catch (error) {
      logger.warn("Streaming write failed: {error}", { error });
    }
  }

  /** Validates and adds a subscription; resolves once events for it will arrive. */
  async subscribe(request: StreamRequest): Promise<void> {
    const { stream, label } = this.#check(request);
    const key = keyOf(label);
    if (this.#closed || this.#subscriptions.has(key)) return;
    const subscription: Subscription = { stream, label };
    this.#subscriptions.set(key, subscription);
    if (ACCOUNT_STREAMS.has(stream)) {
      await this.#subscribeAccount();
      return;
    }
    const member: Member = { connection: this, label };
    const channel =
      stream === "hashtag" || stream === "hashtag:local"
        ? publicChannel(stream, label[1])
        : publicChannel(stream as PublicStreamName);
    subscription.member = member;
    subscription.channel = channel;
    await Promise.all([
      this.#hub.join(channel, member),
      this.#hub.join(PUBLIC_DELETE_CHANNEL, member),
    ]);
  }

  async unsubscribe(request: StreamRequest): Promise<void> {
    const { label } = this.#check(request);
    const key = keyOf(label);
    const subscription = this.#subscriptions.get(key);
    if (!subscription) return;
    this.#subscriptions.delete(key);
    await this.#leave(subscription);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#hub.forget(this);
    const subscriptions = [...this.#subscriptions.values()];
    this.#subscriptions.clear();
    await Promise.all(subscriptions.map((s) => this.#leave(s)));
    const account = this.#accountSubscription;
    this.#accountSubscription = undefined;
    const unsubscribe = await account?.catch(() => undefined);
    await unsubscribe?.();
    this.#onClose();
  }

  async #leave(subscription: Subscription): Promise<void> {
    if (!subscription.member || !subscription.channel) return;
    await Promise.all([
      this.#hub.leave(subscription.channel, subscription.member),
      this.#hub.leave(PUBLIC_DELETE_CHANNEL, subscription.member),
    ]);
  }

  /** One subscription to the account channel serves all of the connection's account streams. */
  async #subscribeAccount(): Promise<void> {
    this.#accountSubscription ??= this.#hub.services.pubsub.subscribe(
      accountChannel(this.accountId),
      (raw) => this.#onAccountMessage(raw),
    );
    await this.#accountSubscription;
  }

  #onAccountMessage(raw: string): void {
    let message: AccountMessage;
    try {
      message = JSON.parse(raw) as AccountMessage;
    } catch {
      return;
    }
    for (const stream of message.streams) {
      if (this.#subscriptions.has(stream)) this.send([stream], message.event, message.payload);
    }
  }

  /** Mastodon's checks, with its messages: scope, known stream, its parameters. */
  #check(request: StreamRequest): { stream: StreamName; label: string[] } {
    const { stream } = request;
    const scopes = this.#auth.scopes;
    const needed = stream === "user:notification" ? "read:notifications" : "read:statuses";
    if (!scopeCovers(scopes, needed)) {
      throw new StreamError(401, "Access token does not have the required scopes");
    }
    if (ACCOUNT_STREAMS.has(stream)) {
      return { stream: stream as AccountStreamName, label: [stream] };
    }
    if ((PUBLIC_STREAMS as readonly string[]).includes(stream)) {
      return { stream: stream as PublicStreamName, label: [stream] };
    }
    if (stream === "hashtag" || stream === "hashtag:local") {
      const tag = request.tag?.trim().replace(/^#/, "");
      if (!tag) throw new StreamError(400, "No tag for stream provided");
      // Labelled as the client spelled it (clients match on it); channels are lowercase.
      return { stream, label: [stream, tag] };
    }
    if (stream === "list") {
      // Roost has no lists yet, so no list can be the caller's.
      throw new StreamError(404, "Not authorized to stream this list");
    }
    throw new StreamError(400, "Unknown stream type");
  }
}

/** Subscriptions are keyed case-insensitively: #Cats and #cats are one stream. */
function keyOf(label: string[]): string {
  return label.join("\u0000").toLowerCase();
}

const hubs = new WeakMap<Services, StreamingHub>();

/** The hub of this process for these services (one per createServices). */
export function getHub(services: Services): StreamingHub {
  let hub = hubs.get(services);
  if (!hub) {
    hub = new StreamingHub(services);
    hubs.set(services, hub);
  }
  return hub;
}
