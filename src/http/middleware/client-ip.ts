import { getConnInfo } from "@hono/node-server/conninfo";
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../types.ts";

/** Resolves the client address once per request; X-Forwarded-For only counts behind a trusted proxy. */
export function clientIp(trustProxy: boolean): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    let ip: string | undefined;
    if (trustProxy) {
      ip = c.req.header("x-forwarded-for")?.split(",")[0]?.trim() || c.req.header("x-real-ip");
    }
    if (!ip) {
      try {
        ip = getConnInfo(c).remote.address;
      } catch {
        // Requests built in tests (app.request) have no socket.
      }
    }
    c.set("clientIp", ip ?? "127.0.0.1");
    await next();
  };
}
