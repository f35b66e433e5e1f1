// verify_credentials (stub until written)
import { Hono } from "hono";
import type { AppEnv } from "../../http/types.ts";

export function credentialRoutes(): Hono<AppEnv> {
  return new Hono<AppEnv>();
}
