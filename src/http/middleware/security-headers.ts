// Defensive headers. Everything gets nosniff (JSON and media must never be sniffed into
// HTML) and a same-origin referrer policy; HTML pages (sign-in, OAuth consent, errors) also
// get a CSP that allows no script at all and forbids framing, since they hold forms that
// would otherwise be clickjacking targets.
import type { MiddlewareHandler } from "hono";
import { setResponseHeaders } from "../response-headers.ts";
import type { AppEnv } from "../types.ts";

export const HTML_CSP = [
  "default-src 'none'",
  "form-action 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: https:",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join("; ");

export function securityHeaders(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    await next();
    const html = (c.res.headers.get("content-type") ?? "").toLowerCase().startsWith("text/html");
    const wanted: [string, string][] = [
      ["X-Content-Type-Options", "nosniff"],
      ["Referrer-Policy", "same-origin"],
    ];
    if (html) {
      wanted.push(["Content-Security-Policy", HTML_CSP], ["X-Frame-Options", "DENY"]);
    }
    // A handler that set its own value (say, a CSP with a nonce) knows better.
    setResponseHeaders(
      c,
      wanted.filter(([name]) => !c.res.headers.has(name)),
    );
  };
}
