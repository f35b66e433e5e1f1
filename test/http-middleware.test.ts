import { Hono } from "hono";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readParams } from "../src/http/body.ts";
import { renderError } from "../src/http/errors.ts";
import { clientIp } from "../src/http/middleware/client-ip.ts";
import {
  consume,
  isLoopback,
  overrideRateLimitBuckets,
  RATE_LIMIT_BUCKETS,
  rateLimitMiddleware,
} from "../src/http/middleware/rate-limit.ts";
import type { AppEnv } from "../src/http/types.ts";
import { createUserWithToken } from "./helpers/auth.ts";
import { createTestContext, type TestContext } from "./helpers/services.ts";

const HOUR = 3_600_000;

// A: behind a trusted proxy, so X-Forwarded-For sets the client IP; loopback exempt (default).
// B: loopback not exempt (requests without a socket count as 127.0.0.1).
let a: TestContext;
let b: TestContext;

beforeAll(async () => {
  [a, b] = await Promise.all([
    createTestContext({ TRUST_PROXY: "true", MAX_BODY_BYTES: "2048" }),
    createTestContext({ RATE_LIMIT_EXEMPT_LOOPBACK: "false" }),
  ]);
  // Routes must be added before the first request builds Hono's matcher.
  a.app.post("/test/echo", async (c) => c.json(await readParams(c)));
  a.app.post("/test/raw-json", async (c) => c.json(await c.req.json()));
  a.app.get("/test/page", (c) => c.html("<!doctype html><form method=post></form>"));
  // Hour-long windows: a test never straddles a window boundary in practice.
  const small = { limit: 2, windowMs: HOUR };
  for (const ctx of [a, b]) {
    overrideRateLimitBuckets(ctx.services, {
      authenticated: small,
      unauthenticated: small,
      media: { limit: 1 },
      signup: { limit: 1 },
    });
  }
});

afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
});

const from = (ip: string, headers: Record<string, string> = {}) => ({
  headers: { "X-Forwarded-For": ip, ...headers },
});

describe("CORS", () => {
  const preflight = (path: string) =>
    a.app.request(path, {
      method: "OPTIONS",
      headers: {
        Origin: "https://client.example",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type, idempotency-key",
      },
    });

  it("answers API preflights with 204 allowing any origin and the Authorization header", async () => {
    const res = await preflight("/api/v1/statuses");
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("access-control-allow-methods")).toContain("POST");
    expect(res.headers.get("access-control-allow-headers")?.toLowerCase()).toContain(
      "authorization",
    );
    expect(res.headers.get("access-control-allow-credentials")).toBeNull();
    expect(res.headers.get("x-ratelimit-limit")).toBeNull();
  });

  it("covers the OAuth token endpoints and discovery documents", async () => {
    for (const path of [
      "/oauth/token",
      "/oauth/revoke",
      "/.well-known/webfinger",
      "/nodeinfo/2.1",
    ]) {
      const res = await preflight(path);
      expect(res.status, path).toBe(204);
      expect(res.headers.get("access-control-allow-origin"), path).toBe("*");
    }
  });

  it("leaves HTML pages and the OAuth authorize form same-origin", async () => {
    for (const path of ["/", "/oauth/authorize", "/health"]) {
      const res = await preflight(path);
      expect(res.status, path).not.toBe(204);
      expect(res.headers.get("access-control-allow-origin"), path).toBeNull();
    }
    const page = await a.app.request("/test/page", { headers: { Origin: "https://x.example" } });
    expect(page.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("exposes pagination and rate-limit headers on API responses", async () => {
    const res = await a.app.request(
      "/api/v1/nothing-here",
      from("198.51.100.1", { Origin: "https://client.example" }),
    );
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    const exposed = res.headers.get("access-control-expose-headers") ?? "";
    for (const h of ["Link", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"]) {
      expect(exposed).toContain(h);
    }
  });
});

describe("security headers", () => {
  it("puts a strict CSP and frame denial on HTML", async () => {
    const res = await a.app.request("/test/page");
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("form-action 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("base-uri 'none'");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("referrer-policy")).toBe("same-origin");
  });

  it("sends nosniff but no CSP on JSON and text", async () => {
    for (const path of ["/api/v1/nothing-here", "/nothing-here", "/health"]) {
      const res = await a.app.request(path);
      expect(res.headers.get("x-content-type-options"), path).toBe("nosniff");
      expect(res.headers.get("content-security-policy"), path).toBeNull();
    }
  });
});

describe("errors", () => {
  it("answers unknown API routes with a JSON 404", async () => {
    const res = await a.app.request("/api/v1/nothing-here");
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toContain("application/json");
    expect(await res.json()).toEqual({ error: "Record not found" });
  });

  it("answers oversized bodies with 413, declared or streamed", async () => {
    const body = JSON.stringify({ status: "x".repeat(4096) });
    const declared = await a.app.request("/api/v1/statuses", {
      method: "POST",
      body,
      headers: { "Content-Type": "application/json", "Content-Length": String(body.length) },
    });
    expect(declared.status).toBe(413);
    expect(await declared.json()).toEqual({ error: "Request entity too large" });
    const streamed = await a.app.request("/test/echo", {
      method: "POST",
      body: new Blob([body]).stream(),
      headers: { "Content-Type": "application/json" },
      duplex: "half",
    } as RequestInit);
    expect(streamed.status).toBe(413);
    const small = await a.app.request("/test/echo", {
      method: "POST",
      body: '{"ok":true}',
      headers: { "Content-Type": "application/json" },
    });
    expect(await small.json()).toEqual({ ok: true });
  });

  it("answers malformed JSON with 400, not 500", async () => {
    for (const path of ["/test/echo", "/test/raw-json"]) {
      const res = await a.app.request(path, {
        method: "POST",
        body: '{"status": ',
        headers: { "Content-Type": "application/json" },
      });
      expect(res.status, path).toBe(400);
      expect(await res.json(), path).toEqual({ error: "Request body is malformed" });
    }
  });
});

describe("rate limiting", () => {
  it("keeps Mastodon's default limits", () => {
    expect(RATE_LIMIT_BUCKETS.authenticated).toEqual({ limit: 300, windowMs: 300_000 });
    expect(RATE_LIMIT_BUCKETS.unauthenticated).toEqual({ limit: 300, windowMs: 300_000 });
    expect(RATE_LIMIT_BUCKETS.media).toEqual({ limit: 30, windowMs: 1_800_000 });
    expect(RATE_LIMIT_BUCKETS.signup).toEqual({ limit: 5, windowMs: 1_800_000 });
  });

  it("sends X-RateLimit headers, then 429 over the limit", async () => {
    const get = () => a.app.request("/api/v1/nothing-here", from("203.0.113.10"));
    const first = await get();
    expect(first.headers.get("x-ratelimit-limit")).toBe("2");
    expect(first.headers.get("x-ratelimit-remaining")).toBe("1");
    const reset = first.headers.get("x-ratelimit-reset")!;
    expect(reset).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
    expect(Date.parse(reset)).toBeGreaterThan(Date.now());
    expect((await get()).headers.get("x-ratelimit-remaining")).toBe("0");

    const over = await get();
    expect(over.status).toBe(429);
    expect(await over.json()).toEqual({ error: "Too many requests" });
    expect(over.headers.get("x-ratelimit-remaining")).toBe("0");
    expect(over.headers.get("x-ratelimit-reset")).toBe(reset);
    expect(Number(over.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  it("keeps CORS headers on a 429 so browser clients can read it", async () => {
    const init = from("203.0.113.11", { Origin: "https://client.example" });
    for (let i = 0; i < 2; i++) await a.app.request("/api/v1/nothing-here", init);
    const over = await a.app.request("/api/v1/nothing-here", init);
    expect(over.status).toBe(429);
    expect(over.headers.get("access-control-allow-origin")).toBe("*");
  });

  it("counts unauthenticated requests per IP", async () => {
    for (let i = 0; i < 2; i++) await a.app.request("/api/v1/x", from("203.0.113.20"));
    expect((await a.app.request("/api/v1/x", from("203.0.113.20"))).status).toBe(429);
    expect((await a.app.request("/api/v1/x", from("203.0.113.21"))).status).toBe(404);
  });

  it("counts authenticated requests per account, apart from the IP's own bucket", async () => {
    const ip = "203.0.113.30";
    const one = (await createUserWithToken(a)).token;
    const two = (await createUserWithToken(a)).token;
    const withToken = (t: string, at = ip) => from(at, { Authorization: `Bearer ${t}` });
    for (let i = 0; i < 2; i++) await a.app.request("/api/v1/x", withToken(one));
    expect((await a.app.request("/api/v1/x", withToken(one))).status).toBe(429);
    // Same IP, another user: its own bucket.
    expect((await a.app.request("/api/v1/x", withToken(two))).status).toBe(404);
    // Same IP without a token: the IP bucket is untouched by token traffic.
    expect((await a.app.request("/api/v1/x", from(ip))).status).toBe(404);
    // Same token from elsewhere: still limited (the account is the key).
    expect((await a.app.request("/api/v1/x", withToken(one, "203.0.113.31"))).status).toBe(429);
  });

  it("counts made-up tokens against the IP, then answers 401", async () => {
    const ip = "203.0.113.35";
    const bogus = (n: number) => from(ip, { Authorization: `Bearer made-up-${n}` });
    expect((await a.app.request("/api/v1/x", bogus(1))).status).toBe(401);
    expect((await a.app.request("/api/v1/x", bogus(2))).status).toBe(401);
    // A fresh made-up token does not buy a fresh bucket.
    expect((await a.app.request("/api/v1/x", bogus(3))).status).toBe(429);
  });

  it("limits media uploads separately and more tightly", async () => {
    const token = (await createUserWithToken(a)).token;
    const init = (ip: string) => ({
      method: "POST",
      ...from(ip, { Authorization: `Bearer ${token}` }),
    });
    const first = await a.app.request("/api/v2/media", init("203.0.113.40"));
    expect(first.status).not.toBe(429);
    // The headers describe the bucket closest to its limit: media, 1 allowed.
    expect(first.headers.get("x-ratelimit-limit")).toBe("1");
    expect(first.headers.get("x-ratelimit-remaining")).toBe("0");
    // A second upload with the token, from anywhere, is over the media limit.
    expect((await a.app.request("/api/v1/media", init("203.0.113.41"))).status).toBe(429);
  });

  it("limits sign-ups per IP", async () => {
    const signup = (ip: string) =>
      a.app.request("/api/v1/accounts", { method: "POST", ...from(ip) });
    expect((await signup("203.0.113.50")).status).not.toBe(429);
    expect((await signup("203.0.113.50")).status).toBe(429);
    expect((await signup("203.0.113.51")).status).not.toBe(429);
    // Only POST /api/v1/accounts is a sign-up.
    const lookup = await a.app.request("/api/v1/accounts/lookup", from("203.0.113.52"));
    expect(lookup.headers.get("x-ratelimit-limit")).toBe("2");
  });

  it("also throttles /oauth", async () => {
    const post = () => a.app.request("/oauth/token", { method: "POST", ...from("203.0.113.60") });
    await post();
    await post();
    expect((await post()).status).toBe(429);
  });

  it("exempts loopback clients when configured (the default)", async () => {
    for (let i = 0; i < 4; i++) {
      const res = await a.app.request("/api/v1/x");
      expect(res.status).toBe(404);
      expect(res.headers.get("x-ratelimit-limit")).toBeNull();
    }
    const mapped = await a.app.request("/api/v1/x", from("::ffff:127.0.0.2"));
    expect(mapped.headers.get("x-ratelimit-limit")).toBeNull();
  });

  it("limits loopback clients with RATE_LIMIT_EXEMPT_LOOPBACK=false", async () => {
    expect(b.config.rateLimit.exemptLoopback).toBe(false);
    const first = await b.app.request("/api/v1/x");
    expect(first.headers.get("x-ratelimit-remaining")).toBe("1");
    await b.app.request("/api/v1/x");
    expect((await b.app.request("/api/v1/x")).status).toBe(429);
  });

  it("does nothing when disabled", async () => {
    const services = {
      ...a.services,
      config: { ...a.config, rateLimit: { enabled: false, exemptLoopback: false } },
    };
    const app = new Hono<AppEnv>();
    app.use("*", clientIp(false));
    app.use("*", rateLimitMiddleware(services));
    app.get("/api/x", (c) => c.text("ok"));
    app.onError(renderError);
    for (let i = 0; i < 400; i++) {
      const res = await app.request("/api/x");
      expect(res.status).toBe(200);
      expect(res.headers.get("x-ratelimit-limit")).toBeNull();
    }
  });

  it("lets other throttles reuse the buckets through consume()", async () => {
    const one = await consume(a.services, "signup", "login:alice");
    expect(one).toMatchObject({ bucket: "signup", limit: 1, remaining: 0, exceeded: false });
    expect((await consume(a.services, "signup", "login:alice")).exceeded).toBe(true);
    expect((await consume(a.services, "signup", "login:bob")).exceeded).toBe(false);
  });

  it("recognises loopback addresses", () => {
    for (const ip of ["127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1", "::FFFF:127.9.9.9"]) {
      expect(isLoopback(ip), ip).toBe(true);
    }
    for (const ip of ["10.0.0.1", "128.0.0.1", "::2", "::ffff:10.0.0.1", "1127.0.0.1", "unknown"]) {
      expect(isLoopback(ip), ip).toBe(false);
    }
  });
});
