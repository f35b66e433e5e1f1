// What this server does with a remote domain: the answer every federation path asks
// (inbox, delivery, actor upsert, media cache, Flags). Blocks and allows are few and read
// on every inbound activity, so both tables are held in memory per database for a short
// while; a write through this process drops the cache at once, other processes see it
// within CACHE_TTL_MS.
import { domainToASCII } from "node:url";
import type { Db } from "../infra/db/index.ts";
import type { DomainBlockSeverity } from "../infra/db/schema.ts";

export interface DomainPolicy {
  /** Nothing is accepted from the domain and nothing is sent to it. */
  suspended: boolean;
  /** Its accounts are limited: seen by their followers only; their follows need approval. */
  silenced: boolean;
  /** Its media is not fetched or cached. */
  rejectMedia: boolean;
  /** Its reports (Flag activities) are dropped. */
  rejectReports: boolean;
}

export interface DomainPolicyOptions {
  /** LIMITED_FEDERATION_MODE: a domain without an allow counts as suspended. */
  limitedFederation?: boolean;
}

const OPEN: DomainPolicy = Object.freeze({
  suspended: false,
  silenced: false,
  rejectMedia: false,
  rejectReports: false,
});

const CLOSED: DomainPolicy = Object.freeze({
  suspended: true,
  silenced: false,
  rejectMedia: true,
  rejectReports: true,
});

export const CACHE_TTL_MS = 30_000;

interface BlockEntry {
  severity: DomainBlockSeverity;
  reject_media: boolean;
  reject_reports: boolean;
}

interface Snapshot {
  expires: number;
  blocks: Map<string, BlockEntry>;
  allows: Set<string>;
}

const cache = new WeakMap<Db, Promise<Snapshot>>();

async function load(db: Db): Promise<Snapshot> {
  const [blocks, allows] = await Promise.all([
    db
      .selectFrom("domain_blocks")
      .select(["domain", "severity", "reject_media", "reject_reports"])
      .execute(),
    db.selectFrom("domain_allows").select("domain").execute(),
  ]);
  return {
    expires: Date.now() + CACHE_TTL_MS,
    blocks: new Map(blocks.map((b) => [b.domain, b])),
    allows: new Set(allows.map((a) => a.domain)),
  };
}

async function snapshot(db: Db): Promise<Snapshot> {
  const held = cache.get(db);
  if (held) {
    const snap = await held.catch(() => null);
    if (snap && snap.expires > Date.now()) return snap;
  }
  const fresh = load(db);
  cache.set(db, fresh);
  fresh.catch(() => cache.delete(db));
  return await fresh;
}

/** Drops the cached tables; every write to domain_blocks/domain_allows calls it. */
export function invalidateDomainPolicy(db: Db): void {
  cache.delete(db);
}

/**
 * A domain as stored: lowercase, IDNA (punycode), without port, scheme, path or a
 * trailing dot. Accepts a URL too. Null for something that is not a host name.
 */
export function normalizeDomain(input: string): string | null {
  let value = input.trim().toLowerCase();
  if (value === "") return null;
  if (value.includes("://")) {
    try {
      value = new URL(value).hostname;
    } catch {
      return null;
    }
  }
  value = value.replace(/\/.*$/, "").replace(/\.$/, "");
  // An IPv6 literal keeps its colons; otherwise a colon starts the port.
  if (!value.startsWith("[")) value = value.replace(/:\d*$/, "");
  const ascii = value.startsWith("[") ? value : domainToASCII(value);
  if (!ascii || ascii.length > 253) return null;
  if (
    !/^(\[[0-9a-f:.]+\]|[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*)$/.test(
      ascii,
    )
  ) {
    return null;
  }
  return ascii;
}

/** The domain and its parents, most specific first: a.b.example → a.b.example, b.example, example. */
export function domainAndParents(domain: string): string[] {
  if (domain.startsWith("[")) return [domain];
  const labels = domain.split(".");
  return labels.map((_, i) => labels.slice(i).join("."));
}

/** The most specific block covering `host` (Mastodon's DomainBlock.rule_for), if any. */
function blockFor(snap: Snapshot, domain: string): BlockEntry | undefined {
  for (const candidate of domainAndParents(domain)) {
    const block = snap.blocks.get(candidate);
    if (block) return block;
  }
  return undefined;
}

function allowed(snap: Snapshot, domain: string): boolean {
  return domainAndParents(domain).some((d) => snap.allows.has(d));
}

/**
 * The policy for a remote host (a host name, `host:port`, or a URL). Local and unparsable
 * hosts get the open policy: callers check locality themselves.
 */
export async function domainPolicy(
  db: Db,
  host: string | URL | null | undefined,
  options: DomainPolicyOptions = {},
): Promise<DomainPolicy> {
  if (!host) return OPEN;
  const domain = normalizeDomain(typeof host === "string" ? host : host.hostname);
  if (!domain) return OPEN;
  const snap = await snapshot(db);
  if (options.limitedFederation && !allowed(snap, domain)) return CLOSED;
  const block = blockFor(snap, domain);
  if (!block) return OPEN;
  const suspended = block.severity === "suspend";
  return {
    suspended,
    silenced: block.severity === "silence",
    // A suspended domain sends nothing we keep, media and reports included.
    rejectMedia: suspended || block.reject_media,
    rejectReports: suspended || block.reject_reports,
  };
}

/** The policy with LIMITED_FEDERATION_MODE taken from the configuration. */
export async function federationPolicy(
  services: { db: Db; config: { limitedFederationMode: boolean } },
  host: string | URL | null | undefined,
): Promise<DomainPolicy> {
  return await domainPolicy(services.db, host, {
    limitedFederation: services.config.limitedFederationMode,
  });
}
