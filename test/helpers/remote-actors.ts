// Remote servers on loopback for tests that go through the real HTTP inbox: each "host" is
// its own port on 127.0.0.1 (so its own origin), serving documents from a map and
// recording what it receives. Actors get RSA keys; `signed` signs a POST to our inbox
// with them as another server would (draft-cavage, what most servers still send).
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { exportSpki, generateCryptoKeyPair, signRequest } from "@fedify/fedify";

type Json = Record<string, unknown>;

export interface Served {
  body: string;
  contentType: string;
  status?: number;
}

export interface Received {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}

export interface RemoteActor {
  id: string;
  keyId: string;
  privateKey: CryptoKey;
  publicKeyPem: string;
  document: Json;
}

export interface RemoteHosts {
  /** The origins, one per host asked for, in order. */
  origins: string[];
  docs: Map<string, Served>;
  /** Every request any host received (GETs of documents and POSTs to inboxes). */
  received: Received[];
  serve(url: string, document: Json, contentType?: string): void;
  actor(origin: string, username: string, extra?: Json): Promise<RemoteActor>;
  close(): Promise<void>;
}

const AS = "https://www.w3.org/ns/activitystreams";

export async function startRemoteHosts(count: number): Promise<RemoteHosts> {
  const docs = new Map<string, Served>();
  const received: Received[] = [];
  const servers: Server[] = [];
  const origins: string[] = [];
  for (let i = 0; i < count; i++) {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const url = `http://${req.headers.host}${req.url}`;
        received.push({
          method: req.method ?? "GET",
          url,
          headers: req.headers,
          body: Buffer.concat(chunks).toString("utf8"),
        });
        if (req.method === "POST") {
          res.writeHead(202).end();
          return;
        }
        const doc = docs.get(url);
        if (!doc) {
          res.writeHead(404, { "content-type": "text/plain" }).end("not found");
          return;
        }
        res.writeHead(doc.status ?? 200, { "content-type": doc.contentType }).end(doc.body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    servers.push(server);
    origins.push(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  }
  const hosts: RemoteHosts = {
    origins,
    docs,
    received,
    serve(url, document, contentType = "application/activity+json") {
      docs.set(url, { body: JSON.stringify(document), contentType });
    },
    async actor(origin, username, extra = {}) {
      const { privateKey, publicKey } = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
      const publicKeyPem = await exportSpki(publicKey);
      const id = `${origin}/users/${username}`;
      const keyId = `${id}#main-key`;
      const document: Json = {
        "@context": [AS, "https://w3id.org/security/v1"],
        id,
        type: "Person",
        preferredUsername: username,
        name: username,
        inbox: `${id}/inbox`,
        outbox: `${id}/outbox`,
        followers: `${id}/followers`,
        following: `${id}/following`,
        endpoints: { sharedInbox: `${origin}/inbox` },
        publicKey: { id: keyId, owner: id, publicKeyPem },
        ...extra,
      };
      hosts.serve(id, document);
      return { id, keyId, privateKey, publicKeyPem, document };
    },
    async close() {
      await Promise.all(
        servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))),
      );
    },
  };
  return hosts;
}

/** A POST of `activity` to `url`, signed with `key` under `keyId` (or unsigned). */
export async function signedPost(
  url: string,
  activity: Json | string,
  signer?: { privateKey: CryptoKey; keyId: string },
): Promise<Request> {
  const request = new Request(url, {
    method: "POST",
    headers: { "content-type": "application/activity+json", accept: "application/activity+json" },
    body: typeof activity === "string" ? activity : JSON.stringify(activity),
  });
  if (!signer) return request;
  return await signRequest(request, signer.privateKey, new URL(signer.keyId));
}
