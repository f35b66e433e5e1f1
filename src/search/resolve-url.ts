// Resolving a URL typed into search (`GET /api/v2/search?q=https://...&resolve=true`) to a
// remote account or status. This is the hook the federation layer fills in (fetch the
// document, verify it, store the actor or note); until then nothing remote is resolved and
// search falls back to what is already stored.
import type { AccountRow } from "../auth/middleware.ts";
import type { Services } from "../services.ts";
import type { StatusRow } from "../statuses/serializer.ts";

export type ResolvedUrl = { account: AccountRow } | { status: StatusRow };

export async function resolveUrl(
  _services: Services,
  _url: string,
): Promise<ResolvedUrl | undefined> {
  return undefined;
}
