// OAuth scopes as Mastodon defines them. A granted scope covers a required one when it is
// the same, its parent (`read` covers `read:statuses`), or, for the deprecated `follow`,
// one of the relationship scopes it stood for.

export const TOP_LEVEL_SCOPES = ["read", "write", "follow", "push", "profile"] as const;

export const GRANULAR_SCOPES = [
  "read:accounts",
  "read:blocks",
  "read:bookmarks",
  "read:favourites",
  "read:filters",
  "read:follows",
  "read:lists",
  "read:mutes",
  "read:notifications",
  "read:search",
  "read:statuses",
  "write:accounts",
  "write:blocks",
  "write:bookmarks",
  "write:conversations",
  "write:favourites",
  "write:filters",
  "write:follows",
  "write:lists",
  "write:media",
  "write:mutes",
  "write:notifications",
  "write:reports",
  "write:statuses",
  "admin:read",
  "admin:write",
  "admin:read:accounts",
  "admin:read:reports",
  "admin:read:domain_allows",
  "admin:read:domain_blocks",
  "admin:read:ip_blocks",
  "admin:read:email_domain_blocks",
  "admin:read:canonical_email_blocks",
  "admin:write:accounts",
  "admin:write:reports",
  "admin:write:domain_allows",
  "admin:write:domain_blocks",
  "admin:write:ip_blocks",
  "admin:write:email_domain_blocks",
  "admin:write:canonical_email_blocks",
] as const;

export const ALL_SCOPES: readonly string[] = [...TOP_LEVEL_SCOPES, ...GRANULAR_SCOPES];
const KNOWN = new Set(ALL_SCOPES);

const FOLLOW_COVERS = new Set([
  "read:blocks",
  "write:blocks",
  "read:follows",
  "write:follows",
  "read:mutes",
  "write:mutes",
]);

/** Splits a scope string (space- or plus-separated, as apps send it). */
export function parseScopes(value: string | undefined | null, fallback = "read"): string[] {
  const parts = (value ?? "").split(/[\s+]+/).filter(Boolean);
  return [...new Set(parts.length ? parts : [fallback])];
}

export function unknownScopes(scopes: readonly string[]): string[] {
  return scopes.filter((s) => !KNOWN.has(s));
}

/** Does the set of granted scopes allow `required`? */
export function scopeCovers(granted: readonly string[], required: string): boolean {
  for (const g of granted) {
    if (g === required) return true;
    if (required.startsWith(`${g}:`)) return true;
    if (g === "follow" && FOLLOW_COVERS.has(required)) return true;
  }
  return false;
}

/** True when every requested scope is covered by what the application registered. */
export function scopesWithin(requested: readonly string[], allowed: readonly string[]): boolean {
  return requested.every((r) => scopeCovers(allowed, r));
}
