// Sign-up API (stub until written)
import { Hono } from "hono";
import type { AppEnv } from "../../http/types.ts";

export function registrationRoutes(): Hono<AppEnv> {
  return new Hono<AppEnv>();
}
