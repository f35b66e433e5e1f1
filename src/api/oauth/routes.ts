// OAuth endpoints (stub until written)
import { Hono } from "hono";
import type { AppEnv } from "../../http/types.ts";

export function oauthRoutes(): Hono<AppEnv> {
  return new Hono<AppEnv>();
}
