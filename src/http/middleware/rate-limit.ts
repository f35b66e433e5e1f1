// Request throttling with Mastodon's buckets and response headers, so clients that already
// pace themselves against Mastodon (reading X-RateLimit-*) behave the same here. Counters
// live in services.rateLimits: in Redis when configured, so the limits hold across processes.
import type { Context, MiddlewareHandler } from "hono";
import type { Services } from "../../services.ts";
import { ApiError } from "../errors.ts";
import { setResponseHeaders } from "../response-headers.ts";
import type { AppEnv } from "../types.ts";

export interface RateLimitBucket {
  limit: number;
  windowMs: number;
}

const MINUTE = 60_000;

/**
 * The buckets and their defaults (Mastodon's). Other throttles (login attempts, say) add a
 * name here and call `consume` with it.
 */
export const RATE_LIMIT_BUCKETS = {
  /** API calls per access token. */
  authenticated: { limit: 300, windowMs: 5 * MINUTE },
  /** API calls without a token, per client IP. */
  unauthenticated: { limit: 300, windowMs: 5 * MINUTE },
  /** Media uploads, per token (or IP without one). */
  media: { limit: 30, windowMs: 30 * MINUTE },
  /** Account registrations through the API, per IP. */
  signup: { limit: 5, windowMs: 30 * MINUTE },
} satisfies Record<string, RateLimitBucket>;

export type RateLimitBucketName = keyof typeof RATE_LIMIT_BUCKETS;

// Per-Services overrides rather than a mutable global, so tests (and apps built side by side)
// don't see each other's limits.
const overrides = new WeakMap<Services, Partial<Record<RateLimitBucketName, RateLimitBucket>>>();

/** Replaces some buckets' limits for one Services (tests use tiny limits). */
export function overrideRateLimitBuckets(
  services: Services,
  buckets: Partial<Record<RateLimitBucketName, Partial<RateLimitBucket>>>,
): void {
  const current = { ...overrides.get(services) };
  for (const [name, bucket] of Object.entries(buckets) as [
    RateLimitBucketName,
    Partial<RateLimitBucket>,
  ][]) {
    current[name] = { ...bucketFor(services, name), ...bucket };
  }
  overrides.set(services, current);
}

export function bucketFor(services: Services, name: RateLimitBucketName): RateLimitBucket {
  return overrides.get(services)?.[name] ?? RATE_LIMIT_BUCKETS[name];
}

export interface RateLimitResult {
  bucket: RateLimitBucketName;
  limit: number;
  remaining: number;
  /** Epoch ms when the window ends. */
  resetAt: number;
  exceeded: boolean;
}

/**
 * Counts one hit of `key` (an IP, a token hash, an account id…) against a bucket. Callers
 * decide what to do when `exceeded`; `rateLimitHeaders` gives the headers to send either way.
 */
export async function consume(
  services: Services,
  bucket: RateLimitBucketName,
  key: string,
): Promise<RateLimitResult> {
  const { limit, windowMs } = bucketFor(services, bucket);
  const hit = await services.rateLimits.hit(`${bucket}:${key}`, windowMs);
  return {
    bucket,
    limit,
    remaining: Math.max(0, limit - hit.count),
    resetAt: hit.resetAt,
    exceeded: hit.count > limit,
  };
}

/** Mastodon's headers; the reset time is an ISO 8601 timestamp, as Mastodon sends it. */
export function rateLimitHeaders(
  result: RateLimitResult,
  now = Date.now(),
): Record<string, string> {
  const headers: Record<string, string> = {
    "X-RateLimit-Limit": String(result.limit),
    "X-RateLimit-Remaining": String(result.remaining),
    "X-RateLimit-Reset": new Date(result.resetAt).toISOString(),
  };
  if (result.exceeded) {
    headers["Retry-After"] = String(Math.max(1, Math.ceil((result.resetAt - now) / 1000)));
  }
  return headers;
}

/** 127.0.0.0/8 and ::1, also as IPv4-mapped IPv6 (how Node reports IPv4 on dual-stack sockets). */
export function isLoopback(ip: string): boolean {
  const addr = ip.toLowerCase();
  if (addr === "::1" || addr === "0:0:0:0:0:0:0:1") return true;
  const v4 = addr.startsWith("::ffff:") ? addr.slice(7) : addr;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

/** Valid tokens are limited per account (an app's own token per token); others per IP. */
function tokenKey(c: Context<AppEnv>): string | undefined {
  const auth = c.get("auth");
  if (!auth) return undefined;
  return auth.account ? `account:${auth.account.id}` : `token:${auth.tokenId}`;
}

function bucketsFor(c: Context<AppEnv>, ip: string, token: string | undefined) {
  const plan: [RateLimitBucketName, string][] = [
    token ? ["authenticated", token] : ["unauthenticated", ip],
  ];
  if (c.req.method === "POST") {
    const path = c.req.path.replace(/\/+$/, "");
    if (path === "/api/v1/media" || path === "/api/v2/media") {
      plan.push(["media", token ?? `ip:${ip}`]);
    } else if (path === "/api/v1/accounts") {
      plan.push(["signup", ip]);
    }
  }
  return plan;
}

/**
 * Throttles the request against every bucket that applies. Over any limit: 429 with that
 * bucket's headers. Otherwise the headers describe the bucket closest to its limit.
 *
 * Runs after authenticate() and before rejectInvalidToken(): a made-up token is counted
 * against the client's address like any unauthenticated request, then answered 401.
 */
export function rateLimitMiddleware(services: Services): MiddlewareHandler<AppEnv> {
  const { enabled, exemptLoopback } = services.config.rateLimit;
  if (!enabled) return (_c, next) => next();
  return async (c, next) => {
    // Preflights are answered by the CORS middleware; anything else OPTIONS is cheap.
    if (c.req.method === "OPTIONS") return next();
    const ip = c.get("clientIp");
    // Local tools (admin CLI, health probes, a co-located front end) must not lock themselves out.
    if (exemptLoopback && isLoopback(ip)) return next();

    const results = await Promise.all(
      bucketsFor(c, ip, tokenKey(c)).map(([bucket, key]) => consume(services, bucket, key)),
    );
    const exceeded = results.find((r) => r.exceeded);
    if (exceeded) throw ApiError.tooManyRequests(rateLimitHeaders(exceeded));

    await next();
    const tightest = results.reduce((a, b) => (b.remaining < a.remaining ? b : a));
    setResponseHeaders(c, Object.entries(rateLimitHeaders(tightest)));
  };
}
