// Finding remote accounts and posts by handle or URL. Fetches are signed by the instance
// actor (servers in authorized-fetch mode require it) and go through Fedify's loader, which
// refuses private and loopback addresses unless FEDERATION_ALLOW_PRIVATE_ADDRESS is set,
// and drops documents whose id lies on another origin than the URL they came from.
import { type Object as APObject, isActor } from "@fedify/vocab";
import type { AccountRow } from "../src/auth/middleware.ts";
import { log } from "../src/infra/logging.ts";
import type { Services } from "../src/services.ts";
import { federationContext } from "./index.ts";
import { isStale, upsertRemoteActor } from "./remote-accounts.ts";
import { INSTANCE_ACTOR } from "./util.ts";

const logger = log("federation");

async function loaders(services: Services) {
  const ctx = federationContext(services);
  const documentLoader = await ctx.getDocumentLoader({ identifier: INSTANCE_ACTOR });
  return { ctx, documentLoader, contextLoader: ctx.contextLoader };
}

/** Fetches a handle (`acct:user@host`) or URL; null when nothing usable answers. */
export async function lookupRemote(
  services: Services,
  identifier: string,
): Promise<{ object: APObject; account?: AccountRow } | null> {
  const { ctx, documentLoader, contextLoader } = await loaders(services);
  let object: APObject | null;
  try {
    object = await ctx.lookupObject(identifier, { documentLoader, contextLoader });
  } catch (error) {
    logger.debug("Lookup of {identifier} failed: {error}", { identifier, error });
    return null;
  }
  if (!object) return null;
  if (isActor(object)) {
    const account = await upsertRemoteActor(services, object, { documentLoader, contextLoader });
    return { object, account };
  }
  return { object };
}

/** The remote account `username@domain`, fetched through WebFinger. */
export async function resolveRemoteHandle(
  services: Services,
  username: string,
  domain: string,
): Promise<AccountRow | undefined> {
  const found = await lookupRemote(services, `acct:${username}@${domain}`);
  return found?.account;
}

/** Re-fetches a stale remote account; the stored row when that fails. */
export async function refreshIfStale(services: Services, account: AccountRow): Promise<AccountRow> {
  if (!isStale(account)) return account;
  const found = await lookupRemote(services, account.uri);
  return found?.account?.uri === account.uri ? found.account : account;
}
