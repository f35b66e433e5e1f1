// Parameter parsing shared by the account endpoints. Mastodon is a Rails app: booleans
// arrive as JSON booleans or as form strings ("1", "true", "on", "0", "false"...), and
// ids as `id=1` or `id[]=1&id[]=2`, so these accept what Rails accepts.
import type { Context, MiddlewareHandler } from "hono";
import { z } from "zod";
import { checkAuth } from "../../auth/middleware.ts";
import { ApiError } from "../../http/errors.ts";
import type { AppEnv } from "../../http/types.ts";

// ActiveModel::Type::Boolean's false values; every other non-blank value is true.
const FALSE_STRINGS = new Set(["0", "f", "false", "off"]);

/** A Rails-style boolean: undefined when absent or blank. */
export const railsBoolean = z
  .union([z.boolean(), z.number(), z.string(), z.null()])
  .transform((value): boolean | undefined => {
    if (value === null) return undefined;
    if (typeof value === "boolean") return value;
    if (typeof value === "number") return value !== 0;
    const v = value.trim().toLowerCase();
    if (v === "") return undefined;
    return !FALSE_STRINGS.has(v);
  });

/** Parses `params` with `schema`; a mismatch is the client's fault (422, Mastodon-style). */
export function parseParams<T extends z.ZodType>(schema: T, params: unknown): z.output<T> {
  const result = schema.safeParse(params);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issue.path.map(String).join(".") || "params";
  throw ApiError.unprocessable(`Validation failed: ${field} ${issue.message}`);
}

/** `id[]=1&id[]=2` or `id=1`: the numeric ids, without repeats, at most `max`. */
export function idList(value: unknown, max: number): string[] {
  const values = Array.isArray(value) ? value : value === undefined ? [] : [value];
  const ids = values.filter((v): v is string => typeof v === "string" && /^\d{1,19}$/.test(v));
  return [...new Set(ids)].slice(0, max);
}

/**
 * For endpoints anyone may call: a token is optional, but when one is sent it must carry
 * one of `scopes` (Mastodon's `authorize_if_got_token!`).
 */
export function authorizeIfToken(scopes: readonly string[]): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const auth = c.get("auth");
    if (auth) checkAuth(auth, scopes, { user: false });
    await next();
  };
}

/** The signed-in account's id, or null for anonymous and app-only requests. */
export function viewerId(c: Context<AppEnv>): string | null {
  return c.get("auth")?.account?.id ?? null;
}
