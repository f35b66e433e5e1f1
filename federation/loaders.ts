// Document loaders that only believe ActivityPub responses. Fedify's own loaders parse any
// body as JSON-LD when no alternate link is found, so a text/html (or text/plain) upload
// that contains AS JSON would pass for an object (Misskey CVE-2024-25636); these refuse
// anything but application/activity+json or application/ld+json, follow an HTML page
// only through its <link rel="alternate">, and check every redirect hop against the
// private-address rule. Contexts keep Fedify's loader: they are JSON-LD, not objects.
import { type KvStore, kvCache, signRequest } from "@fedify/fedify";
import {
  createActivityPubRequest,
  type DocumentLoader,
  FetchError,
  getDocumentLoader,
  getRemoteDocument,
  type RemoteDocument,
  validatePublicUrl,
} from "@fedify/vocab-runtime";

const MAX_REDIRECTS = 5;

export interface LoaderOptions {
  allowPrivateAddress: boolean;
  userAgent: string;
}

interface Signer {
  keyId: URL;
  privateKey: CryptoKey;
}

function isActivityPubType(contentType: string | null): boolean {
  if (!contentType) return false;
  const type = contentType.split(";")[0]!.trim().toLowerCase();
  return type === "application/activity+json" || type === "application/ld+json";
}

function isHtml(contentType: string | null): boolean {
  const type = contentType?.split(";")[0]?.trim().toLowerCase();
  return type === "text/html" || type === "application/xhtml+xml";
}

function strictLoader(options: LoaderOptions, signer?: Signer): DocumentLoader {
  const check = async (url: string) => {
    if (!options.allowPrivateAddress) await validatePublicUrl(url);
  };
  const load = async (url: string, loadOptions?: { signal?: AbortSignal | null }) => {
    let current = url;
    for (let hop = 0; ; hop++) {
      await check(current);
      let request = createActivityPubRequest(current, { userAgent: options.userAgent });
      if (signer) request = await signRequest(request, signer.privateKey, signer.keyId);
      const response = await fetch(request, {
        redirect: "manual",
        signal: loadOptions?.signal ?? null,
      });
      const location = response.headers.get("location");
      if (response.status >= 300 && response.status < 400 && location) {
        await response.body?.cancel();
        if (hop >= MAX_REDIRECTS) throw new FetchError(url, "Too many redirections");
        current = new URL(location, current).href;
        continue;
      }
      return await accept(current, response);
    }
  };
  const accept = async (url: string, response: Response): Promise<RemoteDocument> => {
    const contentType = response.headers.get("content-type");
    if (!response.ok || isActivityPubType(contentType)) {
      return await getRemoteDocument(url, response, load);
    }
    if (isHtml(contentType)) {
      // Only the alternate document counts; the page's own body is never parsed as JSON.
      let followed = false;
      const document = await getRemoteDocument(url, response, async (alternate) => {
        followed = true;
        return await load(alternate);
      });
      if (followed) return document;
    } else {
      await response.body?.cancel();
    }
    throw new FetchError(url, `Not an ActivityPub document (${contentType ?? "no type"}): ${url}`);
  };
  return load;
}

/** Fedify factories for createFederation: strict object loaders, standard contexts. */
export function loaderFactories(kv: KvStore, options: LoaderOptions) {
  const objects = kvCache({ loader: strictLoader(options), kv, kind: "object" });
  return {
    documentLoaderFactory: () => objects,
    contextLoaderFactory: () => contextLoader(kv, options),
    // Signed fetches are never cached: what a server shows depends on who asks.
    authenticatedDocumentLoaderFactory: (identity: { keyId: URL; privateKey: CryptoKey }) =>
      strictLoader(options, identity),
  };
}

function contextLoader(kv: KvStore, options: LoaderOptions): DocumentLoader {
  // Fedify's loader: it serves the well-known contexts from its preloaded copies.
  return kvCache({ kv, kind: "context", loader: getDocumentLoader(options) });
}
