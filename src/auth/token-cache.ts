// A short-lived, per-process cache of resolved access tokens for read requests. Every API
// request starts with the token lookup (token, account and user in one statement); an app
// opening makes a burst of reads with one token, and a benchmark of the home timeline spent
// a fifth of its CPU on that statement. So a token in good standing is kept for
// TOKEN_CACHE_TTL_MS (default 1 s), under these rules:
// - Only tokens of a confirmed, approved, enabled, unsuspended user are kept: a refusal is
//   never cached, so confirming or approving a user takes effect at once.
// - Writes (any method but GET and HEAD) always read the token afresh, and afterwards drop
//   that account's entries here, so a client reads its own writes in this process.
// - Revocations, suspensions and disablements are announced on the control channel
//   (announceRevocation): every process drops the entries at once. The TTL bounds anything
//   else (counts, a profile edited through another process, a role changed by the CLI).
// - A lookup that raced with an eviction is not stored, so an old row can't come back.
import type { PubSub } from "../infra/pubsub/types.ts";
import type { Services } from "../services.ts";
import {
  CONTROL_CHANNEL,
  type ControlMessage,
  parseControlMessage,
} from "../streaming/channels.ts";
import type { AuthInfo } from "./middleware.ts";

/** Entries kept at most; past it the oldest goes first. */
const MAX_ENTRIES = 10_000;

interface Entry {
  info: AuthInfo;
  expires: number;
}

export class TokenCache {
  readonly #ttlMs: number;
  readonly #pubsub: PubSub;
  readonly #entries = new Map<string, Entry>();
  /** The hashes cached per account: every write evicts its account, so no scan of all. */
  readonly #byAccount = new Map<string, Set<string>>();
  /** Bumped by every eviction: a lookup that started before one is not stored. */
  #generation = 0;
  /** Set once the control channel is subscribed; until then nothing is stored. */
  #listening = false;
  #subscribing: Promise<unknown> | undefined;

  constructor(ttlMs: number, pubsub: PubSub) {
    this.#ttlMs = ttlMs;
    this.#pubsub = pubsub;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** A ticket for `store`: the generation when the lookup began. */
  get generation(): number {
    return this.#generation;
  }

  get(hash: string, now = performance.now()): AuthInfo | undefined {
    const entry = this.#entries.get(hash);
    if (!entry) return undefined;
    if (entry.expires > now) return entry.info;
    this.#delete(hash);
    return undefined;
  }

  /** Keeps `info` if it may be kept and nothing was evicted since `generation`. */
  store(hash: string, info: AuthInfo, generation: number): AuthInfo {
    if (this.#ttlMs <= 0 || !inGoodStanding(info)) return info;
    if (!this.#listening) {
      this.#subscribing ??= this.#listen();
      return info;
    }
    if (generation !== this.#generation) return info;
    if (this.#entries.size >= MAX_ENTRIES) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#delete(oldest);
    }
    const frozen = freeze(info);
    this.#delete(hash);
    this.#entries.set(hash, { info: frozen, expires: performance.now() + this.#ttlMs });
    const accountId = frozen.account!.id;
    let hashes = this.#byAccount.get(accountId);
    if (!hashes) {
      hashes = new Set();
      this.#byAccount.set(accountId, hashes);
    }
    hashes.add(hash);
    return frozen;
  }

  /** Drops the entries of these tokens and accounts. */
  evict(target: { tokenIds?: string[]; accountIds?: string[] }): void {
    this.#generation++;
    for (const accountId of target.accountIds ?? []) {
      for (const hash of this.#byAccount.get(accountId) ?? []) this.#delete(hash);
    }
    // Revoked tokens are rare and named by id, which the cache is not keyed by.
    if (!target.tokenIds?.length) return;
    const tokens = new Set(target.tokenIds);
    for (const [hash, { info }] of this.#entries) {
      if (tokens.has(info.tokenId)) this.#delete(hash);
    }
  }

  #delete(hash: string): void {
    const entry = this.#entries.get(hash);
    if (!entry) return;
    this.#entries.delete(hash);
    const accountId = entry.info.account!.id;
    const hashes = this.#byAccount.get(accountId);
    hashes?.delete(hash);
    if (hashes?.size === 0) this.#byAccount.delete(accountId);
  }

  async #listen(): Promise<void> {
    try {
      await this.#pubsub.subscribe(CONTROL_CHANNEL, (raw) => {
        const message = parseControlMessage(raw);
        if (message) this.evict(message);
      });
      this.#listening = true;
    } catch {
      // Not listening, so nothing is stored; the next store tries again.
      this.#subscribing = undefined;
    }
  }
}

/** The only state a cached token may be in: every check of checkAuth passes. */
function inGoodStanding(info: AuthInfo): boolean {
  const { account, user } = info;
  return Boolean(
    account &&
      user &&
      !account.suspended_at &&
      user.confirmed_at &&
      user.approved &&
      !user.disabled,
  );
}

/** Shared by concurrent requests, so no handler may change it. */
function freeze(info: AuthInfo): AuthInfo {
  Object.freeze(info.scopes);
  if (info.account) Object.freeze(info.account);
  if (info.user) Object.freeze(info.user);
  return Object.freeze(info);
}

const caches = new WeakMap<Services, TokenCache>();

/** This process's token cache for these services. */
export function tokenCacheOf(services: Services): TokenCache {
  let cache = caches.get(services);
  if (!cache) {
    cache = new TokenCache(services.config.tokenCacheTtlMs, services.pubsub);
    caches.set(services, cache);
  }
  return cache;
}

/**
 * After revoking tokens, or suspending, disabling or deleting an account, has committed:
 * drops them from every process's token cache and closes their streaming connections. This
 * process's cache is cleared before the message goes out, so its next request is refused.
 * Streaming connections are also re-checked periodically, and cached tokens expire, so a path
 * that forgets this is still refused, only later.
 */
export async function announceRevocation(
  services: Pick<Services, "pubsub">,
  target: { tokenIds?: string[]; accountIds?: string[] },
): Promise<void> {
  if (!target.tokenIds?.length && !target.accountIds?.length) return;
  caches.get(services as Services)?.evict(target);
  const message: ControlMessage = { kind: "close", ...target };
  await services.pubsub.publish(CONTROL_CHANNEL, JSON.stringify(message));
}
