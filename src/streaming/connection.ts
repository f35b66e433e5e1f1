// One streaming connection (WebSocket or server-sent events): its token, its subscriptions
// and Mastodon's checks on them. The hub (src/streaming/hub.ts) routes events to it.
import type { AuthInfo } from "../auth/middleware.ts";
import { scopeCovers } from "../auth/scopes.ts";
import { log } from "../infra/logging.ts";
import {
  type AccountStreamName,
  PUBLIC_DELETE_CHANNEL,
  PUBLIC_STREAMS,
  type PublicStreamName,
  publicChannel,
  type StreamName,
} from "./channels.ts";
import type { StreamingHub } from "./hub.ts";

const logger = log("streaming");

/** Writes one event to the client: `stream` as Mastodon labels it (["hashtag", "tag"], ...). */
export type StreamSink = (stream: string[], event: string, payload: string) => void;

/** Why a connection was closed by the server. */
export type CloseReason = "shutdown" | "revoked";

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

export const ACCOUNT_STREAMS = new Set<string>(["user", "user:notification", "direct"]);

export interface Member {
  connection: StreamConnection;
  label: string[];
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
  readonly #onClose: (reason: CloseReason) => void;
  readonly #subscriptions = new Map<string, Subscription>();
  #closed = false;

  constructor(
    hub: StreamingHub,
    auth: AuthInfo,
    sink: StreamSink,
    onClose: (reason: CloseReason) => void,
  ) {
    this.#hub = hub;
    this.#auth = auth;
    this.#sink = sink;
    this.#onClose = onClose;
  }

  get accountId(): string {
    return this.#auth.account?.id ?? "";
  }

  get closed(): boolean {
    return this.#closed;
  }

  get tokenId(): string {
    return this.#auth.tokenId;
  }

  hasStream(stream: AccountStreamName): boolean {
    return this.#subscriptions.has(stream);
  }

  hasList(listId: string): boolean {
    return this.#subscriptions.has(keyOf(["list", listId]));
  }

  *listLabels(): Iterable<string[]> {
    for (const s of this.#subscriptions.values()) if (s.stream === "list") yield s.label;
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
    const { stream, label } = await this.#check(request);
    const key = keyOf(label);
    if (this.#closed || this.#subscriptions.has(key)) return;
    const subscription: Subscription = { stream, label };
    this.#subscriptions.set(key, subscription);
    await this.#hub.ensureShared();
    if (ACCOUNT_STREAMS.has(stream) || stream === "list") return;
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
    const { label } = await this.#check(request, false);
    const key = keyOf(label);
    const subscription = this.#subscriptions.get(key);
    if (!subscription) return;
    this.#subscriptions.delete(key);
    await this.#leave(subscription);
  }

  async close(reason: CloseReason = "shutdown"): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#hub.forget(this);
    const subscriptions = [...this.#subscriptions.values()];
    this.#subscriptions.clear();
    await Promise.all(subscriptions.map((s) => this.#leave(s)));
    this.#onClose(reason);
  }

  async #leave(subscription: Subscription): Promise<void> {
    if (!subscription.member || !subscription.channel) return;
    await Promise.all([
      this.#hub.leave(subscription.channel, subscription.member),
      this.#hub.leave(PUBLIC_DELETE_CHANNEL, subscription.member),
    ]);
  }

  /** Mastodon's checks, with its messages: scope, known stream, its parameters. */
  async #check(
    request: StreamRequest,
    authorize = true,
  ): Promise<{ stream: StreamName; label: string[] }> {
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
      const listId = String(request.list ?? "").trim();
      if (!listId) throw new StreamError(400, "Missing list name parameter");
      // Only the list's owner may stream it; anyone else (or no such list) hears 404.
      if (authorize && !(await this.#ownsList(listId))) {
        throw new StreamError(404, "Not authorized to stream this list");
      }
      return { stream, label: ["list", listId] };
    }
    throw new StreamError(400, "Unknown stream type");
  }

  async #ownsList(listId: string): Promise<boolean> {
    if (!/^\d{1,19}$/.test(listId)) return false;
    try {
      const list = await this.#hub.services.db
        .selectFrom("lists")
        .select("id")
        .where("id", "=", listId)
        .where("account_id", "=", this.accountId)
        .executeTakeFirst();
      return list !== undefined;
    } catch {
      // Out of bigint's range: no such list.
      return false;
    }
  }
}

/** Subscriptions are keyed case-insensitively: #Cats and #cats are one stream. */
function keyOf(label: string[]): string {
  return label.join("\u0000").toLowerCase();
}
