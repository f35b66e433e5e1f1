// Cross-origin access for the parts of Roost that browser-based clients and other servers'
// front ends call directly: the client API, the OAuth token endpoints and discovery
// documents. HTML pages (sign-in, authorization) stay same-origin. Mirrors Mastodon's
// rack-cors setup: any origin, no credentials (clients authenticate with bearer tokens).
import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import { setResponseHeaders } from "../response-headers.ts";
import type { AppEnv } from "../types.ts";

/** Headers clients need to read: pagination and rate-limit state. */
const EXPOSED_HEADERS = [
  "Link",
  "X-RateLimit-Limit",
  "X-RateLimit-Remaining",
  "X-RateLimit-Reset",
  "Idempotency-Key",
];

export function isCorsPath(path: string): boolean {
  return (
    path.startsWith("/api/") ||
    path === "/oauth/token" ||
    path === "/oauth/revoke" ||
    path.startsWith("/.well-known/") ||
    path.startsWith("/nodeinfo/")
  );
}

export function corsMiddleware(): MiddlewareHandler<AppEnv> {
  const handler = cors({
    origin: "*",
    allowMethods: ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
    // Left empty on purpose: hono/cors then echoes Access-Control-Request-Headers, the
    // equivalent of rack-cors' `headers: :any`. A literal "*" would not cover
    // Authorization, which browsers require to be named explicitly.
    allowHeaders: [],
    exposeHeaders: EXPOSED_HEADERS,
    maxAge: 86_400,
  });
  const headers: [string, string][] = [
    ["Access-Control-Allow-Origin", "*"],
    ["Access-Control-Expose-Headers", EXPOSED_HEADERS.join(",")],
  ];
  return async (c, next) => {
    if (!isCorsPath(c.req.path)) return next();
    // hono/cors answers every OPTIONS request on these paths with 204 before routing.
    if (c.req.method === "OPTIONS") return handler(c, next);
    // Other requests get the same headers hono/cors would give them, but after the handler
    // (src/http/response-headers.ts says why).
    await next();
    setResponseHeaders(c, headers);
  };
}
