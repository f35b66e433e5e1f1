// Key pairs of local actors: an RSA key (HTTP and LD signatures) and an Ed25519 key (Object
// Integrity Proofs), generated on first use and stored as JWK so they survive restarts.
// Two processes may race to create them: both insert with ON CONFLICT DO NOTHING and then
// read back, so every process ends up using the pair that won.
import { exportJwk, generateCryptoKeyPair, importJwk } from "@fedify/fedify";
import { sql } from "kysely";
import type { Db } from "../src/infra/db/index.ts";

export type KeyType = "rsa" | "ed25519";
const KEY_TYPES: readonly KeyType[] = ["rsa", "ed25519"];

interface StoredKey {
  type: KeyType;
  private_jwk: JsonWebKey;
  public_jwk: JsonWebKey;
}

// Importing JWKs costs a little on every signed request; keep the imported keys per
// database handle (tests open several databases in one process).
const caches = new WeakMap<Db, Map<string, CryptoKeyPair[]>>();

function cacheOf(db: Db): Map<string, CryptoKeyPair[]> {
  let cache = caches.get(db);
  if (!cache) {
    cache = new Map();
    caches.set(db, cache);
  }
  return cache;
}

async function generate(type: KeyType): Promise<StoredKey> {
  const pair = await generateCryptoKeyPair(type === "rsa" ? "RSASSA-PKCS1-v1_5" : "Ed25519");
  return {
    type,
    private_jwk: await exportJwk(pair.privateKey),
    public_jwk: await exportJwk(pair.publicKey),
  };
}

async function toPairs(rows: StoredKey[]): Promise<CryptoKeyPair[]> {
  const byType = new Map(rows.map((r) => [r.type, r]));
  const pairs: CryptoKeyPair[] = [];
  // RSA first: Fedify signs HTTP requests with the first RSA key it finds.
  for (const type of KEY_TYPES) {
    const row = byType.get(type);
    if (!row) continue;
    pairs.push({
      privateKey: await importJwk(row.private_jwk, "private"),
      publicKey: await importJwk(row.public_jwk, "public"),
    });
  }
  return pairs;
}

function parse(value: unknown): JsonWebKey {
  return (typeof value === "string" ? JSON.parse(value) : value) as JsonWebKey;
}

/** The key pairs of a local account, created on first call. */
export async function accountKeyPairs(db: Db, accountId: string): Promise<CryptoKeyPair[]> {
  const cache = cacheOf(db);
  const cacheKey = `account:${accountId}`;
  const cached = cache.get(cacheKey);
  if (cached) return cached;
  const read = async () =>
    (
      await db
        .selectFrom("account_keys")
        .select(["type", "private_jwk", "public_jwk"])
        .where("account_id", "=", accountId)
        .execute()
    ).map((r) => ({
      type: r.type,
      private_jwk: parse(r.private_jwk),
      public_jwk: parse(r.public_jwk),
    }));
  let rows = await read();
  const missing = KEY_TYPES.filter((t) => !rows.some((r) => r.type === t));
  if (missing.length > 0) {
    for (const type of missing) {
      const key = await generate(type);
      await db
        .insertInto("account_keys")
        .values({
          account_id: accountId,
          type,
          private_jwk: JSON.stringify(key.private_jwk),
          public_jwk: JSON.stringify(key.public_jwk),
        })
        .onConflict((oc) => oc.columns(["account_id", "type"]).doNothing())
        .execute();
    }
    rows = await read();
  }
  const pairs = await toPairs(rows);
  cache.set(cacheKey, pairs);
  return pairs;
}

/** The key pairs of the instance actor, created on first call. */
export async function instanceKeyPairs(db: Db): Promise<CryptoKeyPair[]> {
  const cache = cacheOf(db);
  const cached = cache.get("instance");
  if (cached) return cached;
  const read = async () =>
    (
      await sql<{ type: KeyType; private_jwk: unknown; public_jwk: unknown }>`
        select type, private_jwk, public_jwk from instance_actor_keys`.execute(db)
    ).rows.map((r) => ({
      type: r.type,
      private_jwk: parse(r.private_jwk),
      public_jwk: parse(r.public_jwk),
    }));
  let rows = await read();
  const missing = KEY_TYPES.filter((t) => !rows.some((r) => r.type === t));
  for (const type of missing) {
    const key = await generate(type);
    await sql`insert into instance_actor_keys (type, private_jwk, public_jwk)
      values (${type}, ${JSON.stringify(key.private_jwk)}::jsonb, ${JSON.stringify(key.public_jwk)}::jsonb)
      on conflict (type) do nothing`.execute(db);
  }
  if (missing.length > 0) rows = await read();
  const pairs = await toPairs(rows);
  cache.set("instance", pairs);
  return pairs;
}
