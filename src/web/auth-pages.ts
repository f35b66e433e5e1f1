// Sign-in, sign-up and password pages (stub until written)
import { Hono } from "hono";
import type { AppEnv } from "../http/types.ts";

export function authPageRoutes(): Hono<AppEnv> {
  return new Hono<AppEnv>();
}
