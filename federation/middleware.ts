// Hands ActivityPub and WebFinger requests to Fedify. Only the paths Fedify serves are
// passed on, so API requests pay nothing for federation; anything Fedify does not answer
// (404, or 406 for a browser asking for HTML) falls through to the Hono routes.
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../src/http/types.ts";
import { refuseBlockedInboxPost } from "../src/moderation/domain-policy-inbox.ts";
import type { Services } from "../src/services.ts";
import { getFederation } from "./index.ts";

const FEDERATION_PATH = /^\/(users\/|inbox$|\.well-known\/webfinger$)/;

/**
 * The request as its sender addressed it. Behind a TLS-terminating proxy this process sees
 * http://, but RFC 9421 signatures cover the full target URI (`@target-uri`, `@scheme`), so
 * Fedify must verify against https://; the proxy says which through X-Forwarded-Proto/-Host
 * (believed only under TRUST_PROXY).
 */
function asAddressed(raw: Request, trustProxy: boolean): Request {
  if (!trustProxy) return raw;
  const proto = raw.headers.get("x-forwarded-proto")?.split(",")[0]?.trim().toLowerCase();
  const host = raw.headers.get("x-forwarded-host")?.split(",")[0]?.trim();
  const url = new URL(raw.url);
  if (proto === "http" || proto === "https") url.protocol = `${proto}:`;
  if (host && URL.canParse(`${url.protocol}//${host}`)) url.host = host;
  if (url.href === raw.url) return raw;
  // `duplex` streams the body through (required for a stream body; not in the DOM types).
  const init: RequestInit & { duplex: "half" } = {
    method: raw.method,
    headers: raw.headers,
    body: raw.body,
    duplex: "half",
    signal: raw.signal,
  };
  return new Request(url, init);
}

export function federationMiddleware(services: Services): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (!FEDERATION_PATH.test(c.req.path)) return await next();
    // Activities signed by a blocked domain's key are refused before any work is done.
    if (c.req.path.endsWith("/inbox") || c.req.path === "/inbox") {
      const refused = await refuseBlockedInboxPost(services, c.req.raw);
      if (refused) return refused;
    }
    const federation = getFederation(services);
    return await federation.fetch(asAddressed(c.req.raw, services.config.trustProxy), {
      contextData: services,
      onNotFound: async () => {
        await next();
        return c.res;
      },
      onNotAcceptable: async () => {
        await next();
        // No HTML page at this URL: say what we do serve. (A page that exists for the URL
        // but not for this object, such as a followers-only post, is an HTML 404 and stays.)
        const page = c.res.headers.get("content-type")?.startsWith("text/html") ?? false;
        if (c.res.status === 404 && !page) {
          return new Response("Not acceptable", {
            status: 406,
            headers: { "Content-Type": "text/plain", Vary: "Accept" },
          });
        }
        return c.res;
      },
    });
  };
}
