// Reading the statuses endpoints' parameters as Mastodon (Rails) does: forms send every
// value as a string, JSON sends real types, and both must mean the same thing.
import type { Context } from "hono";
import type { AccountRow } from "../../auth/middleware.ts";
import { checkAuth } from "../../auth/middleware.ts";
import { ApiError } from "../../http/errors.ts";
import type { AppEnv } from "../../http/types.ts";
import type { Visibility } from "../../infra/db/schema.ts";

export const READ_STATUSES = ["read", "read:statuses"] as const;
export const WRITE_STATUSES = ["write", "write:statuses"] as const;

/** Rails' boolean casting: "true", "1", "on", true → true; "false", "0", "" → false. */
export function bool(value: unknown, name: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "boolean") return value;
  if (typeof value === "number") return value !== 0;
  if (typeof value === "string") {
    const v = value.trim().toLowerCase();
    if (["true", "1", "on", "t", "yes"].includes(v)) return true;
    if (["false", "0", "off", "f", "no", ""].includes(v)) return false;
  }
  throw ApiError.unprocessable(`Validation failed: ${name} is not a boolean`);
}

export function str(value: unknown, name: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === "string") return value;
  if (typeof value === "number") return String(value);
  throw ApiError.unprocessable(`Validation failed: ${name} must be a string`);
}

const VISIBILITIES: readonly Visibility[] = ["public", "unlisted", "private", "direct"];

export function visibility(value: unknown): Visibility | undefined {
  const v = str(value, "Visibility");
  if (v === undefined || v === "") return undefined;
  if (!(VISIBILITIES as readonly string[]).includes(v)) {
    throw ApiError.unprocessable(`Validation failed: Visibility is not included in the list`);
  }
  return v as Visibility;
}

/** An ISO 639-1 code; a regional tag ("en-US") is reduced to its language, anything else ignored. */
export function language(value: unknown): string | null | undefined {
  const v = str(value, "Language");
  if (v === undefined) return undefined;
  const match = /^([a-z]{2})(?:[-_][a-z0-9]+)*$/i.exec(v.trim());
  return match ? match[1]!.toLowerCase() : null;
}

/** The viewer's default posting visibility (user settings), public when unset. */
export function defaultVisibility(settings: Record<string, unknown> | undefined): Visibility {
  const v = settings?.default_privacy;
  return v === "unlisted" || v === "private" ? v : "public";
}

/**
 * The viewer on endpoints that anonymous clients may read: null without a token; with one,
 * it must carry a read scope (an app's own token reads as anonymous).
 */
export function optionalViewer(c: Context<AppEnv>): AccountRow | null {
  const auth = c.get("auth");
  if (!auth) return null;
  checkAuth(auth, READ_STATUSES, { user: false });
  return auth.account ?? null;
}

export function listOf(value: unknown): unknown[] {
  if (value === undefined || value === null || value === "") return [];
  return Array.isArray(value) ? value : [value];
}
