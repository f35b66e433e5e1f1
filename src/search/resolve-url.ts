// Resolving a URL typed into search (`GET /api/v2/search?q=https://...&resolve=true`) to a
// remote account or status: the federation layer fetches the document (signed by the
// instance actor, SSRF-guarded, same-origin ids only) and stores the actor or note.
import type { AccountRow } from "../auth/middleware.ts";
import type { Services } from "../services.ts";
import type { StatusRow } from "../statuses/serializer.ts";

export type ResolvedUrl = { account: AccountRow } | { status: StatusRow };

export async function resolveUrl(
  services: Services,
  url: string,
): Promise<ResolvedUrl | undefined> {
  if (!URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) return undefined;
  // Loaded on demand: the federation layer imports services that import this file.
  const { lookupRemote } = await import("../../federation/lookup.ts");
  const found = await lookupRemote(services, url);
  if (!found) return undefined;
  if (found.account) return { account: found.account };
  const { federationContext } = await import("../../federation/index.ts");
  const { upsertRemoteStatus } = await import("../../federation/objects/remote-status.ts");
  const status = await upsertRemoteStatus(federationContext(services), services, found.object);
  return status ? { status } : undefined;
}
