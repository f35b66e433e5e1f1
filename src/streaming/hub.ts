// The streaming side of one web process: the open connections (WebSocket or server-sent
// events alike), indexed by account, and the process's subscriptions to pub/sub channels.
// The process subscribes once to the addressed channel (events for named accounts: one
// message per event carrying its recipient list) and the control channel (connections to
// close), and once per public or hashtag channel however many connections listen. Each
// message is written to the local connections it reaches, with the viewer's filters
// applied; public messages are first checked against blocks and mutes, in one query.
import { sql } from "kysely";
import type { AuthInfo } from "../auth/middleware.ts";
import { log } from "../infra/logging.ts";
import type { Services } from "../services.ts";
import {
  ADDRESSED_CHANNEL,
  type AddressedMessage,
  CONTROL_CHANNEL,
  type PublicMessage,
  parseControlMessage,
} from "./channels.ts";
import { type CloseReason, type Member, StreamConnection, type StreamSink } from "./connection.ts";
import { RecentKeys } from "./delivered.ts";
import { filterPayload, ViewerFilters } from "./viewer-filters.ts";

export {
  type CloseReason,
  StreamConnection,
  StreamError,
  type StreamRequest,
  type StreamSink,
} from "./connection.ts";

const logger = log("streaming");

/**
 * Frames written before letting the event loop run other work. Writing one post's frames to
 * a thousand connections takes 100–400 ms on a loaded machine; done in one go it held up
 * everything else in the process, the author's own POST answer included (docs/benchmarks.md).
 */
const WRITES_PER_TURN = 200;

/** Resolves after pending I/O callbacks have run. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** How often each process re-checks its connections' tokens (revoked, suspended, disabled). */
const TOKEN_CHECK_MS = 15_000;

interface PublicEntry {
  members: Set<Member>;
  subscribed: Promise<() => Promise<void>>;
  /** Messages are delivered in order although the block/mute check is asynchronous. */
  queue: Promise<void>;
}

interface Target {
  connection: StreamConnection;
  label: string[];
}

export class StreamingHub {
  readonly services: Services;
  readonly filters: ViewerFilters;
  readonly #channels = new Map<string, PublicEntry>();
  readonly #connections = new Set<StreamConnection>();
  readonly #byAccount = new Map<string, Set<StreamConnection>>();
  /** Keys of the messages written lately, per channel: a repeated event is dropped. */
  readonly #delivered = new RecentKeys();
  #shared: Promise<(() => Promise<void>)[]> | undefined;
  /** Addressed messages in order, although filter loading is asynchronous. */
  #addressedQueue: Promise<void> = Promise.resolve();
  #tokenCheck: ReturnType<typeof setInterval> | undefined;

  constructor(services: Services) {
    this.services = services;
    this.filters = new ViewerFilters(services.db);
  }

  open(auth: AuthInfo, sink: StreamSink, onClose: (reason: CloseReason) => void): StreamConnection {
    const connection = new StreamConnection(this, auth, sink, onClose);
    this.#connections.add(connection);
    const id = connection.accountId;
    let local = this.#byAccount.get(id);
    if (!local) {
      local = new Set();
      this.#byAccount.set(id, local);
    }
    local.add(connection);
    this.#tokenCheck ??= setInterval(() => void this.checkTokens(), TOKEN_CHECK_MS);
    this.#tokenCheck.unref?.();
    return connection;
  }

  get size(): number {
    return this.#connections.size;
  }

  /** Ends every connection (shutdown), so the HTTP server can finish closing. */
  async closeAll(): Promise<void> {
    await Promise.all([...this.#connections].map((c) => c.close()));
    const shared = this.#shared;
    this.#shared = undefined;
    const unsubscribe = await shared?.catch(() => []);
    await Promise.all((unsubscribe ?? []).map((u) => u().catch(() => {})));
  }

  forget(connection: StreamConnection): void {
    this.#connections.delete(connection);
    const id = connection.accountId;
    const local = this.#byAccount.get(id);
    local?.delete(connection);
    if (local?.size === 0) {
      this.#byAccount.delete(id);
      this.filters.forget(id);
    }
    if (this.#connections.size === 0 && this.#tokenCheck) {
      clearInterval(this.#tokenCheck);
      this.#tokenCheck = undefined;
    }
  }

  /** Subscribes this process to the addressed and control channels, once. */
  async ensureShared(): Promise<void> {
    this.#shared ??= Promise.all([
      this.services.pubsub.subscribe(ADDRESSED_CHANNEL, (raw) => {
        this.#addressedQueue = this.#addressedQueue.then(() => this.#deliverAddressed(raw));
      }),
      this.services.pubsub.subscribe(CONTROL_CHANNEL, (raw) => this.#onControl(raw)),
    ]);
    const shared = this.#shared;
    await shared.catch((error) => {
      if (this.#shared === shared) this.#shared = undefined;
      throw error;
    });
  }

  async join(channel: string, member: Member): Promise<void> {
    let entry = this.#channels.get(channel);
    if (entry === undefined) {
      const created: PublicEntry = {
        members: new Set(),
        queue: Promise.resolve(),
        subscribed: this.services.pubsub.subscribe(channel, (raw) => {
          created.queue = created.queue.then(() => this.#deliverPublic(channel, created, raw));
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

  /** Closes connections whose token was revoked or whose account can no longer sign in. */
  async checkTokens(): Promise<void> {
    const open = [...this.#connections];
    if (open.length === 0) return;
    try {
      const valid = new Set<string>();
      const tokenIds = [...new Set(open.map((c) => c.tokenId))];
      for (let i = 0; i < tokenIds.length; i += 1000) {
        const rows = await this.services.db
          .selectFrom("oauth_tokens")
          .innerJoin("accounts", "accounts.id", "oauth_tokens.account_id")
          .leftJoin("users", "users.account_id", "oauth_tokens.account_id")
          .select("oauth_tokens.id")
          .where("oauth_tokens.id", "in", tokenIds.slice(i, i + 1000))
          .where("oauth_tokens.revoked_at", "is", null)
          .where("accounts.suspended_at", "is", null)
          .where((eb) =>
            eb.or([eb("users.disabled", "is", null), eb("users.disabled", "=", false)]),
          )
          .execute();
        for (const r of rows) valid.add(String(r.id));
      }
      await Promise.all(open.filter((c) => !valid.has(c.tokenId)).map((c) => c.close("revoked")));
    } catch (error) {
      logger.warn("Streaming token check failed: {error}", { error });
    }
  }

  #onControl(raw: string): void {
    const message = parseControlMessage(raw);
    if (!message) return;
    const tokens = new Set(message.tokenIds ?? []);
    const accounts = new Set(message.accountIds ?? []);
    for (const connection of [...this.#connections]) {
      if (tokens.has(connection.tokenId) || accounts.has(connection.accountId)) {
        void connection.close("revoked");
      }
    }
  }

  async #deliverAddressed(raw: string): Promise<void> {
    try {
      const message = JSON.parse(raw) as AddressedMessage;
      if (message.key && !this.#delivered.first(`${ADDRESSED_CHANNEL} ${message.key}`)) return;
      if (message.event === "filters_changed") {
        for (const id of message.recipients) this.filters.forget(id);
      }
      const targets: Target[] = [];
      for (const id of message.recipients) {
        const local = this.#byAccount.get(id);
        if (!local) continue;
        for (const connection of local) {
          for (const stream of message.streams) {
            if (connection.hasStream(stream)) targets.push({ connection, label: [stream] });
          }
          if (message.allLists) {
            for (const label of connection.listLabels()) targets.push({ connection, label });
          }
        }
      }
      for (const [owner, listId] of message.lists ?? []) {
        for (const connection of this.#byAccount.get(owner) ?? []) {
          if (connection.hasList(listId)) targets.push({ connection, label: ["list", listId] });
        }
      }
      if (targets.length === 0) return;
      const filters = message.filter
        ? await this.filters.getMany(targets.map((t) => t.connection.accountId))
        : undefined;
      const parse = memoParse();
      const perViewer = new Map<string, string | undefined>();
      let written = 0;
      for (const { connection, label } of targets) {
        if (++written % WRITES_PER_TURN === 0) await nextTurn();
        const viewer = connection.accountId;
        let payload: string | undefined;
        if (perViewer.has(viewer)) payload = perViewer.get(viewer);
        else {
          payload = message.payloads?.[viewer] ?? message.payload;
          const own = filters?.get(viewer);
          if (message.filter && own?.length) {
            const { context, path } = message.filter;
            payload = filterPayload(payload, path, own, context, viewer, parse);
          }
          perViewer.set(viewer, payload);
        }
        if (payload !== undefined) connection.send(label, message.event, payload);
      }
    } catch (error) {
      logger.error("Streaming delivery failed: {error}", { error });
    }
  }

  async #deliverPublic(channel: string, entry: PublicEntry, raw: string): Promise<void> {
    try {
      const message = JSON.parse(raw) as PublicMessage;
      if (message.key && !this.#delivered.first(`${channel} ${message.key}`)) return;
      const members = [...entry.members];
      if (members.length === 0) return;
      const viewerIds = [...new Set(members.map((m) => m.connection.accountId))];
      const filterable = message.event === "update" || message.event === "status.update";
      const [excluded, filters] = await Promise.all([
        excludedViewers(this.services, viewerIds, message.accountIds),
        filterable ? this.filters.getMany(viewerIds) : undefined,
      ]);
      const parse = memoParse();
      let written = 0;
      for (const member of members) {
        if (++written % WRITES_PER_TURN === 0) await nextTurn();
        const viewer = member.connection.accountId;
        if (excluded.has(viewer)) continue;
        const own = filters?.get(viewer);
        const payload = own?.length
          ? filterPayload(message.payload, "", own, "public", viewer, parse)
          : message.payload;
        if (payload !== undefined) member.connection.send(member.label, message.event, payload);
      }
    } catch (error) {
      logger.error("Streaming delivery failed: {error}", { error });
    }
  }
}

/** JSON.parse once per distinct payload of one message, however many viewers need it. */
function memoParse(): (payload: string) => unknown {
  const parsed = new Map<string, unknown>();
  return (payload) => {
    if (!parsed.has(payload)) parsed.set(payload, JSON.parse(payload));
    return parsed.get(payload);
  };
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
