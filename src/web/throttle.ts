// Throttles for the sign-in, sign-up, password and confirmation forms, with Mastodon's
// numbers (its Rack::Attack rules). Counters share services.rateLimits with the API limits,
// so they hold across processes in Redis mode. IP rules spare loopback clients like the API
// limiter does (RATE_LIMIT_EXEMPT_LOOPBACK); per-address rules apply to everyone, since an
// address under attack is the same whoever asks.
import { createHash } from "node:crypto";
import type { Context } from "hono";
import { isLoopback, type RateLimitBucket } from "../http/middleware/rate-limit.ts";
import type { AppEnv } from "../http/types.ts";
import type { Services } from "../services.ts";

const MINUTE = 60_000;

export const WEB_THROTTLES = {
  /** Every POST to the auth forms, per IP (Mastodon: throttle_sign_up_attempts/ip). */
  authIp: { limit: 25, windowMs: 5 * MINUTE },
  /** Sign-in attempts per IP (throttle_login_attempts/ip). */
  loginIp: { limit: 25, windowMs: 5 * MINUTE },
  /** Sign-in attempts per address (throttle_login_attempts/email). */
  loginEmail: { limit: 25, windowMs: 60 * MINUTE },
  /** Password reset requests per address (throttle_password_resets/email). */
  resetEmail: { limit: 5, windowMs: 30 * MINUTE },
  /** Confirmation resends per IP, web and API (throttle_email_confirmations/ip). */
  confirmIp: { limit: 25, windowMs: 5 * MINUTE },
} satisfies Record<string, RateLimitBucket>;

export type WebThrottle = keyof typeof WEB_THROTTLES;

export interface ThrottleResult {
  exceeded: boolean;
  /** Seconds until the window ends, for Retry-After. */
  retryAfter: number;
}

/**
 * Counts one attempt against each rule; exceeded when any is over its limit. `ip` rules
 * use the client address, `email` rules the (normalized) address they are given.
 */
export async function throttle(
  c: Context<AppEnv>,
  rules: readonly (readonly [WebThrottle, string])[],
): Promise<ThrottleResult> {
  const services: Services = c.get("services");
  const { enabled, exemptLoopback } = services.config.rateLimit;
  const pass = { exceeded: false, retryAfter: 0 };
  if (!enabled) return pass;
  const ip = c.get("clientIp");
  const now = Date.now();
  let worst = pass;
  for (const [name, subject] of rules) {
    if (subject === "ip" && exemptLoopback && isLoopback(ip)) continue;
    if (!subject) continue;
    // Addresses are hashed: counters should not put users' emails into Redis.
    const key =
      subject === "ip"
        ? `ip:${ip}`
        : `id:${createHash("sha256").update(subject).digest("base64url").slice(0, 32)}`;
    const { limit, windowMs } = WEB_THROTTLES[name];
    const hit = await services.rateLimits.hit(`web-${name}:${key}`, windowMs);
    if (hit.count > limit) {
      const retryAfter = Math.max(1, Math.ceil((hit.resetAt - now) / 1000));
      if (retryAfter > worst.retryAfter) worst = { exceeded: true, retryAfter };
    }
  }
  return worst;
}
