// POST /api/v1/apps (stub until written)
import { Hono } from "hono";
import type { AppEnv } from "../../http/types.ts";

export function appsRoutes(): Hono<AppEnv> {
  return new Hono<AppEnv>();
}
