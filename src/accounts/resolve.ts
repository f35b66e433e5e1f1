// Finding an account by handle: local accounts and remote ones already known; with
// `resolve`, unknown remote handles are looked up through WebFinger and stale remote
// profiles (older than a day) refreshed (federation/lookup.ts).
import { sql } from "kysely";
import type { AccountRow } from "../auth/middleware.ts";
import type { Services } from "../services.ts";

/**
 * The account `username@domain` (domain null or the local domain for local accounts), or
 * undefined. With `resolve`, an unknown remote account may be fetched (federation).
 */
export async function findAccountByHandle(
  services: Services,
  username: string,
  domain: string | null,
  options: { resolve?: boolean } = {},
): Promise<AccountRow | undefined> {
  const local = domain === null || domain.toLowerCase() === services.config.domain.toLowerCase();
  let query = services.db
    .selectFrom("accounts")
    .selectAll()
    .where(sql<string>`lower(username)`, "=", username.toLowerCase());
  query = local
    ? query.where("domain", "is", null)
    : query.where(sql<string>`lower(domain)`, "=", domain.toLowerCase());
  const found = await query.executeTakeFirst();
  if (local || !options.resolve) return found;
  // Loaded on demand: the federation layer imports services that import this file.
  const lookup = await import("../../federation/lookup.ts");
  if (found) return await lookup.refreshIfStale(services, found);
  return await lookup.resolveRemoteHandle(services, username, domain);
}
