// Hands ActivityPub and WebFinger requests to Fedify. Only the paths Fedify serves are
// passed on, so API requests pay nothing for federation; anything Fedify does not answer
// (404, or 406 for a browser asking for HTML) falls through to the Hono routes.
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../src/http/types.ts";
import type { Services } from "../src/services.ts";
import { getFederation } from "./index.ts";

const FEDERATION_PATH = /^\/(users\/|inbox$|\.well-known\/webfinger$)/;

export function federationMiddleware(services: Services): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (!FEDERATION_PATH.test(c.req.path)) return await next();
    const federation = getFederation(services);
    return await federation.fetch(c.req.raw, {
      contextData: services,
      onNotFound: async () => {
        await next();
        return c.res;
      },
      onNotAcceptable: async () => {
        await next();
        // No HTML page at this URL (yet): say what we do serve.
        if (c.res.status === 404) {
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
