// The first gate of the inbox: a POST signed with a key of a suspended (or, in
// LIMITED_FEDERATION_MODE, a not-allowed) domain is refused before Fedify fetches the key
// or parses the body, as Mastodon refuses it before verifying. The key's host is read
// from the signature header (draft-cavage `Signature` or RFC 9421 `Signature-Input`);
// the inbox listeners check the verified actor again (federation/inbox/index.ts).
import type { Services } from "../services.ts";
import { federationPolicy } from "./domain-policy.ts";

const KEY_ID = /keyid="([^"]+)"/i;

/** The host of the key a request says it is signed with, if it names one. */
export function signatureKeyHost(request: Request): string | null {
  const header = request.headers.get("signature-input") ?? request.headers.get("signature") ?? "";
  const keyId = KEY_ID.exec(header)?.[1];
  if (!keyId) return null;
  try {
    return new URL(keyId).host;
  } catch {
    return null;
  }
}

/** A 403 for an inbox POST from a suspended domain; null to let the request through. */
export async function refuseBlockedInboxPost(
  services: Services,
  request: Request,
): Promise<Response | null> {
  if (request.method !== "POST") return null;
  const host = signatureKeyHost(request);
  if (!host) return null;
  if (!(await federationPolicy(services, host)).suspended) return null;
  return new Response("Domain is blocked", {
    status: 403,
    headers: { "content-type": "text/plain" },
  });
}
