// Benchmark: outbound delivery. One local author with N remote followers, each on its own
// host (its own port on 127.0.0.1, so its own origin and shared inbox), posts once through
// a real Roost process (NODE_ROLE=all); the sink hosts VERIFY the HTTP signature of every
// delivery (Fedify's verifyRequest, the author's key cached after the first fetch) and
// answer 202, or 401 for a bad signature. Measured: deliveries/s from the POST until the
// last verified delivery, against a "signing floor": the same key signing N requests with
// no network (sequentially, as one core would; a concurrent figure is printed too).
//   npm run bench:delivery    (BENCH_FOLLOWERS, BENCH_WORKER_CONCURRENCY to change)
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import { signRequest, verifyRequest } from "@fedify/fedify";
import type { CryptographicKey, Multikey } from "@fedify/vocab";
import { preloadedContexts } from "@fedify/vocab-runtime";
import { accountKeyPairs } from "../federation/keys.ts";
import { createLocalUser } from "../src/accounts/local-account-service.ts";
import { parseConfig } from "../src/config.ts";
import { openDatabase } from "../src/infra/db/index.ts";
import { migrateToLatest } from "../src/infra/db/migrate.ts";
import { newId } from "../src/infra/ids.ts";
import { issueAccessToken } from "../src/oauth/access-tokens.ts";
import { benchEnv, peakRssMiB, recreateDatabase, startRoost } from "./lib.ts";

const DB = "roost_bench_delivery";
const FOLLOWERS = Number(process.env.BENCH_FOLLOWERS || 1000);
const CONCURRENCY = process.env.BENCH_WORKER_CONCURRENCY || "32";
const TIMEOUT_MS = 180_000;

type Json = Record<string, unknown>;

interface Sinks {
  origins: string[];
  verified: number;
  refused: number;
  lastAt: number;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/** N loopback hosts that check every POST's signature against the author's published key. */
async function startSinks(count: number, actor: () => Json | null): Promise<Sinks> {
  const keys = new Map<string, CryptographicKey | Multikey | null>();
  const keyCache = {
    get: async (id: URL) => keys.get(id.href),
    set: async (id: URL, key: CryptographicKey | Multikey | null) => {
      keys.set(id.href, key);
    },
  };
  const documentLoader = async (url: string) => {
    const doc = actor();
    if (!doc || !url.startsWith(doc.id as string)) throw new Error(`Not found: ${url}`);
    return { contextUrl: null, documentUrl: doc.id as string, document: doc };
  };
  const contextLoader = async (url: string) => ({
    contextUrl: null,
    documentUrl: url,
    document: preloadedContexts[url] ?? { "@context": {} },
  });
  const servers: Server[] = [];
  const sinks: Sinks = {
    origins: [],
    verified: 0,
    refused: 0,
    lastAt: 0,
    async close() {
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    },
  };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(req);
    if (req.method !== "POST") return res.writeHead(404).end();
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === "string") headers.set(name, value);
    }
    const request = new Request(`http://${req.headers.host}${req.url}`, {
      method: "POST",
      headers,
      body: new Uint8Array(body),
    });
    const key = await verifyRequest(request, { documentLoader, contextLoader, keyCache }).catch(
      () => null,
    );
    if (!key) {
      sinks.refused++;
      return res.writeHead(401).end();
    }
    sinks.verified++;
    sinks.lastAt = performance.now();
    res.writeHead(202).end();
  };
  for (let i = 0; i < count; i++) {
    const server = createServer((req, res) => {
      handle(req, res).catch(() => res.writeHead(500).end());
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    servers.push(server);
    sinks.origins.push(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  }
  return sinks;
}

/** Signing N requests like the deliveries (RFC 9421, the author's RSA key), no network. */
async function signingFloor(
  privateKey: CryptoKey,
  keyId: URL,
  origins: string[],
  body: string,
  parallel: number,
): Promise<number> {
  const t0 = performance.now();
  let next = 0;
  const one = async () => {
    while (next < origins.length) {
      const origin = origins[next++]!;
      const request = new Request(`${origin}/inbox`, {
        method: "POST",
        headers: { "content-type": "application/activity+json" },
        body,
      });
      await signRequest(request, privateKey, keyId, { spec: "rfc9421" });
    }
  };
  await Promise.all(Array.from({ length: parallel }, one));
  return performance.now() - t0;
}

async function main() {
  const env = benchEnv(DB);
  const log = (line: string) => console.log(line);
  log(
    `delivery benchmark: ${FOLLOWERS} followers on ${FOLLOWERS} hosts, ${os.cpus().length} cores, ` +
      `load ${os
        .loadavg()
        .map((n) => n.toFixed(2))
        .join(" ")}, worker concurrency ${CONCURRENCY}, ${env.redisUrl ? "BullMQ" : "SQL queue"}`,
  );
  await recreateDatabase(env, DB);

  let actorDoc: Json | null = null;
  const sinks = await startSinks(FOLLOWERS, () => actorDoc);

  // The author and its remote followers, one per host, written straight to the database.
  const config = parseConfig({
    DATABASE_URL: env.databaseUrl,
    SECRET_KEY: "bench-secret-key-bench-secret-key-0123456789",
    PUBLIC_URL: "http://127.0.0.1:3000",
    LOG_LEVEL: "warning",
  });
  const handle = await openDatabase(config, { poolSize: 2 });
  await migrateToLatest(handle.db);
  const db = handle.db;
  const author = await createLocalUser(db, config, {
    username: "author",
    email: "author@bench.example",
    password: randomBytes(12).toString("hex"),
    confirmed: true,
  });
  const app = await db
    .insertInto("oauth_applications")
    .values({
      id: newId(),
      name: "bench",
      website: null,
      redirect_uris: JSON.stringify(["urn:ietf:wg:oauth:2.0:oob"]),
      scopes: "read write",
      client_id: randomBytes(16).toString("hex"),
      client_secret: randomBytes(24).toString("hex"),
      owner_account_id: null,
    })
    .returning("id")
    .executeTakeFirstOrThrow();
  const token = (
    await issueAccessToken(db, {
      applicationId: app.id,
      accountId: author.account.id,
      scopes: ["read", "write"],
    })
  ).access_token;
  const remotes = sinks.origins.map((origin, i) => ({
    id: newId(),
    username: `follower${i}`,
    domain: new URL(origin).host,
    uri: `${origin}/users/follower${i}`,
    url: null,
    inbox_url: `${origin}/users/follower${i}/inbox`,
    shared_inbox_url: `${origin}/inbox`,
    fetched_at: new Date(),
  }));
  for (let i = 0; i < remotes.length; i += 500) {
    await db
      .insertInto("accounts")
      .values(remotes.slice(i, i + 500))
      .execute();
    await db
      .insertInto("follows")
      .values(
        remotes.slice(i, i + 500).map((r) => ({
          id: newId(),
          account_id: r.id,
          target_account_id: author.account.id,
          uri: `${r.uri}#follow`,
        })),
      )
      .execute();
  }
  // The author's keys, made now so the floor signs with the very key deliveries use.
  const [rsa] = await accountKeyPairs(db, author.account.id);
  if (!rsa) throw new Error("No RSA key");
  await handle.close();

  const roost = await startRoost(env, {
    FEDERATION_ALLOW_PRIVATE_ADDRESS: "true",
    WORKER_CONCURRENCY: CONCURRENCY,
  });
  try {
    const res = await fetch(`${roost.url}/users/author`, {
      headers: { accept: "application/activity+json" },
    });
    actorDoc = (await res.json()) as Json;
    const keyId = new URL((actorDoc.publicKey as { id: string }).id);
    // A body of the deliveries' size, signed with the same key to the same N origins. The
    // floor is taken before and after the deliveries (the machine's load drifts); the
    // faster of the two counts, so the ratio errs against Roost.
    const body = JSON.stringify({ ...actorDoc, padding: "x".repeat(1500) });
    const before = await signingFloor(rsa.privateKey, keyId, sinks.origins, body, 1);

    const t0 = performance.now();
    const posted = await fetch(`${roost.url}/api/v1/statuses`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ status: "Delivery benchmark post", visibility: "public" }),
    });
    if (posted.status !== 200) throw new Error(`POST: ${posted.status}`);
    const deadline = Date.now() + TIMEOUT_MS;
    while (sinks.verified + sinks.refused < FOLLOWERS && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const elapsed = sinks.lastAt - t0;
    if (sinks.verified < FOLLOWERS) {
      log(`only ${sinks.verified} verified deliveries (${sinks.refused} refused) in time`);
    }
    const rate = (sinks.verified / elapsed) * 1000;
    const peak = peakRssMiB(roost.pid);

    const after = await signingFloor(rsa.privateKey, keyId, sinks.origins, body, 1);
    const sequential = Math.min(before, after);
    const concurrent = await signingFloor(
      rsa.privateKey,
      keyId,
      sinks.origins,
      body,
      Number(CONCURRENCY),
    );
    const floor = (FOLLOWERS / sequential) * 1000;
    const floorParallel = (FOLLOWERS / concurrent) * 1000;
    log(
      `deliveries: ${sinks.verified} verified, ${sinks.refused} refused, ` +
        `${elapsed.toFixed(0)} ms from POST to last delivery: ${rate.toFixed(0)} deliveries/s; ` +
        `Roost's peak RSS ${peak.toFixed(0)} MiB`,
    );
    log(
      `signing floor: ${FOLLOWERS} requests in ${sequential.toFixed(0)} ms sequential ` +
        `(before ${before.toFixed(0)} ms, after ${after.toFixed(0)} ms) ` +
        `(${floor.toFixed(0)}/s), ${concurrent.toFixed(0)} ms with ${CONCURRENCY} at once ` +
        `(${floorParallel.toFixed(0)}/s)`,
    );
    log(
      `ratio deliveries/s : signing floor = ${(rate / floor).toFixed(2)} ` +
        `(target >= 0.5); against the concurrent floor ${(rate / floorParallel).toFixed(2)}`,
    );
  } finally {
    await roost.stop();
    await sinks.close();
  }
}

await main();
