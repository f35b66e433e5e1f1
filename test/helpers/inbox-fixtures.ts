// Feeding real-world ActivityPub documents to the inbox handlers without a network: a
// Fedify federation whose document loader serves fixture objects and actors from a map
// (what isn't in the map is "not found", as a dead or forged URL would be), and inbox
// contexts made from it to call the handlers directly.
import { readFileSync } from "node:fs";
import path from "node:path";
import { createFederation, type InboxContext, MemoryKvStore } from "@fedify/fedify";
import type { Activity } from "@fedify/vocab";
import { preloadedContexts, type RemoteDocument } from "@fedify/vocab-runtime";
import type { FederationContextData } from "../../federation/context.ts";
import type { Services } from "../../src/services.ts";

export const FIXTURES = "/work/shared/fixtures/activitypub";
export const AS_CONTEXT = "https://www.w3.org/ns/activitystreams";
export const PUBLIC = `${AS_CONTEXT}#Public`;
const MISSKEY_CONTEXT = {
  misskey: "https://misskey-hub.net/ns#",
  _misskey_content: "misskey:_misskey_content",
  _misskey_reaction: "misskey:_misskey_reaction",
};

type Json = Record<string, unknown>;

/** A fixture document, with its (unverifiable) embedded signature removed. */
export function fixture(name: string, replacements: Record<string, string> = {}): Json {
  let text = readFileSync(path.join(FIXTURES, name), "utf8");
  for (const [from, to] of Object.entries(replacements)) text = text.split(from).join(to);
  const json = JSON.parse(text) as Json;
  delete json.signature;
  return json;
}

/** A document with a context Fedify can expand (some fixtures have none). */
export function withContext(json: Json, extra: Json = MISSKEY_CONTEXT): Json {
  const { "@context": _, ...rest } = json;
  return { "@context": [AS_CONTEXT, "https://w3id.org/security/v1", extra], ...rest };
}

/** A minimal Person for an actor id (fixture actors point at hosts we don't serve). */
export function person(id: string, username?: string): Json {
  return {
    "@context": [AS_CONTEXT, "https://w3id.org/security/v1"],
    id,
    type: "Person",
    preferredUsername: username ?? id.split("/").pop()!.replace(/^@/, ""),
    inbox: `${id}/inbox`,
    outbox: `${id}/outbox`,
    followers: `${id}/followers`,
    following: `${id}/following`,
  };
}

export function wrapCreate(object: Json, type = "Create"): Json {
  const actor = (object.actor ?? object.attributedTo) as string;
  return {
    "@context": object["@context"] ?? AS_CONTEXT,
    id: `${object.id as string}/activity-${type.toLowerCase()}`,
    type,
    actor,
    to: object.to ?? [PUBLIC],
    cc: object.cc ?? [],
    object,
  };
}

export interface FixtureFederation {
  /** Documents served by URL. */
  docs: Map<string, Json>;
  /** Every URL the handlers asked for, in order. */
  requested: string[];
  serve(...documents: Json[]): void;
  serveAt(url: string, document: Json): void;
  inboxContext(activity: Json): InboxContext<FederationContextData>;
  parse<T extends Activity>(
    cls: { fromJsonLd(json: unknown, o: object): Promise<T> },
    json: Json,
  ): Promise<T>;
}

export function fixtureFederation(services: Services): FixtureFederation {
  const docs = new Map<string, Json>();
  const requested: string[] = [];
  const documentLoader = async (url: string): Promise<RemoteDocument> => {
    requested.push(url);
    const doc = docs.get(url);
    if (!doc) throw new Error(`Not found: ${url}`);
    return { contextUrl: null, documentUrl: url, document: structuredClone(doc) };
  };
  // Well-known contexts from Fedify's preloaded copies; a server's own schema (litepub,
  // funkwhale) as an empty context, which is what its unknown terms amount to anyway.
  const contextLoader = async (url: string): Promise<RemoteDocument> => ({
    contextUrl: null,
    documentUrl: url,
    document: preloadedContexts[url] ?? { "@context": {} },
  });
  const federation = createFederation<Services>({
    kv: new MemoryKvStore(),
    documentLoaderFactory: () => documentLoader,
    contextLoaderFactory: () => contextLoader,
    origin: services.config.publicUrl,
  });
  const base = federation.createContext(new URL(services.config.publicUrl), services);
  return {
    docs,
    requested,
    serve(...documents) {
      for (const d of documents) docs.set(d.id as string, d);
    },
    serveAt(url, document) {
      docs.set(url, document);
    },
    inboxContext(activity) {
      // Fedify builds inbox contexts this way when a request arrives; the method is
      // internal, so it isn't in the public type.
      const impl = base as unknown as {
        toInboxContext(
          recipient: string | null,
          activity: unknown,
          id: string | undefined,
          type: string,
        ): InboxContext<FederationContextData>;
      };
      return impl.toInboxContext(null, activity, activity.id as string, activity.type as string);
    },
    async parse(cls, json) {
      return await cls.fromJsonLd(json, { documentLoader, contextLoader });
    },
  };
}
