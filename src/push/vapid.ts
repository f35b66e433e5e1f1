// The VAPID key pair that signs Web Push requests (RFC 8292). Made on first use and kept
// in the `instance_settings` table, not DATA_DIR, so every web and worker process of the
// instance signs with the same key the clients subscribed with.
import webpush from "web-push";
import type { Config } from "../config.ts";
import type { Db } from "../infra/db/index.ts";

export interface VapidKeys {
  /** The uncompressed P-256 public key, base64url: what clients pass to PushManager. */
  publicKey: string;
  privateKey: string;
}

const SETTING_KEY = "web_push_vapid_keys";

// Keys never change once made, so each process reads them once per database.
const cache = new WeakMap<Db, Promise<VapidKeys>>();

export function getVapidKeys(db: Db): Promise<VapidKeys> {
  let keys = cache.get(db);
  if (!keys) {
    keys = loadOrCreate(db);
    // A failed read (database down) must not be remembered.
    keys.catch(() => cache.delete(db));
    cache.set(db, keys);
  }
  return keys;
}

async function read(db: Db): Promise<VapidKeys | undefined> {
  const row = await db
    .selectFrom("instance_settings")
    .select("value")
    .where("key", "=", SETTING_KEY)
    .executeTakeFirst();
  const value = row?.value as Partial<VapidKeys> | undefined;
  if (typeof value?.publicKey === "string" && typeof value.privateKey === "string") {
    return { publicKey: value.publicKey, privateKey: value.privateKey };
  }
  return undefined;
}

async function loadOrCreate(db: Db): Promise<VapidKeys> {
  const existing = await read(db);
  if (existing) return existing;
  const fresh = webpush.generateVAPIDKeys();
  // Processes starting together may each generate a pair; the first insert wins and all
  // read it back.
  await db
    .insertInto("instance_settings")
    .values({ key: SETTING_KEY, value: JSON.stringify(fresh) })
    .onConflict((oc) => oc.column("key").doNothing())
    .execute();
  const stored = await read(db);
  if (!stored) throw new Error("VAPID keys could not be stored");
  return stored;
}

/**
 * The `sub` claim: a contact for push services. The instance's contact email when set,
 * otherwise its public https address, otherwise a mailbox at its host (push services
 * refuse http:// subjects).
 */
export function vapidSubject(config: Pick<Config, "publicUrl" | "instance">): string {
  const email = config.instance.contactEmail.trim();
  if (email) return `mailto:${email}`;
  const url = new URL(config.publicUrl);
  if (url.protocol === "https:" && url.hostname !== "localhost") return url.origin;
  return `mailto:notifications@${url.hostname}`;
}
