// Finding an account by handle: local accounts and remote ones already known. The
// federation layer extends this to resolve unknown remote handles through WebFinger.
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
  _options: { resolve?: boolean } = {},
): Promise<AccountRow | undefined> {
  const local = domain === null || domain.toLowerCase() === services.config.domain.toLowerCase();
  let query = services.db
    .selectFrom("accounts")
    .selectAll()
    .where(sql<string>`lower(username)`, "=", username.toLowerCase());
  query = local
    ? query.where("domain", "is", null)
    : query.where(sql<string>`lower(domain)`, "=", domain.toLowerCase());
  return await query.executeTakeFirst();
}
