// Remote actors as account rows: created on first sight, refreshed when seen again or when
// stale. The actor's id is the key (accounts.uri is unique); the handle is
// preferredUsername@host-of-id. Profile HTML goes through the shared sanitizer.
import { type DocumentLoader, exportSpki } from "@fedify/fedify";
import {
  type Actor,
  type Object as APObject,
  Application,
  Group,
  type Image,
  isActor,
  PropertyValue,
  Service,
} from "@fedify/vocab";
import type { AccountRow } from "../src/auth/middleware.ts";
import type { AccountField } from "../src/infra/db/schema.ts";
import { newId } from "../src/infra/ids.ts";
import { prepareProfileImageCache } from "../src/media/remote-cache.ts";
import { blockMarksFor } from "../src/moderation/domain-blocks.ts";
import { domainPolicy, federationPolicy } from "../src/moderation/domain-policy.ts";
import type { Services } from "../src/services.ts";
import { enqueueFeaturedFetch } from "./featured-fetch.ts";
import { sanitizeHtml } from "./objects/sanitize.ts";

export interface ActorFetchOptions {
  documentLoader?: DocumentLoader;
  contextLoader?: DocumentLoader;
}

/** How long a fetched remote profile counts as fresh. */
export const REMOTE_ACCOUNT_TTL_MS = 24 * 60 * 60 * 1000;

export function isStale(account: Pick<AccountRow, "domain" | "fetched_at">): boolean {
  if (account.domain === null) return false;
  return !account.fetched_at || Date.now() - account.fetched_at.getTime() > REMOTE_ACCOUNT_TTL_MS;
}

function cleanHtml(html: string | null | undefined): string {
  return html ? sanitizeHtml(html) : "";
}

function text(value: unknown): string {
  return value == null ? "" : String(value);
}

function imageUrl(image: Image | null): string | null {
  const url = image?.url;
  if (!url) return null;
  const href = url instanceof URL ? url : url.href;
  return href && /^https?:$/.test(href.protocol) ? href.href : null;
}

/** Creates or refreshes the account row of a remote actor. */
export async function upsertRemoteActor(
  services: Services,
  actor: Actor,
  options: ActorFetchOptions = {},
): Promise<AccountRow> {
  if (!actor.id) throw new TypeError("Actor without an id");
  const uri = actor.id.href;
  const domain = actor.id.host;
  const username = text(actor.preferredUsername) || actor.id.pathname.split("/").pop() || domain;
  const loader = { ...options, suppressError: true };
  const fields: AccountField[] = [];
  for await (const item of actor.getAttachments(loader)) {
    if (item instanceof PropertyValue && fields.length < 16) {
      fields.push({ name: text(item.name), value: cleanHtml(text(item.value)), verified_at: null });
    }
  }
  const [icon, image, key] = await Promise.all([
    actor.getIcon(loader).catch(() => null),
    actor.getImage(loader).catch(() => null),
    actor.getPublicKey(loader).catch(() => null),
  ]);
  let publicKeyPem: string | null = null;
  if (key?.publicKey) publicKeyPem = await exportSpki(key.publicKey).catch(() => null);
  const values = {
    username,
    domain,
    display_name: text(actor.name).slice(0, 200),
    note: cleanHtml(text(actor.summary)),
    url: actor.url instanceof URL ? actor.url.href : (actor.url?.href?.href ?? null),
    inbox_url: actor.inboxId?.href ?? null,
    shared_inbox_url: actor.endpoints?.sharedInbox?.href ?? null,
    outbox_url: actor.outboxId?.href ?? null,
    followers_url: actor.followersId?.href ?? null,
    following_url: actor.followingId?.href ?? null,
    featured_url: actor.featuredId?.href ?? null,
    avatar_url: imageUrl(icon),
    header_url: imageUrl(image),
    locked: actor.manuallyApprovesFollowers ?? false,
    bot: actor instanceof Service || actor instanceof Application,
    group: actor instanceof Group,
    discoverable: actor.discoverable ?? null,
    indexable: actor.indexable ?? false,
    fields: JSON.stringify(fields),
    also_known_as: JSON.stringify(actor.aliasIds.map((u) => u.href)),
    public_key_id: key?.id?.href ?? null,
    public_key_pem: publicKeyPem,
    fetched_at: new Date(),
    updated_at: new Date(),
  };
  // A domain block applies to accounts first seen after it too (Mastodon marks them so),
  // and a domain whose media is rejected gets default avatars and headers.
  const marks = await blockMarksFor(services.db, domain);
  if ((await domainPolicy(services.db, domain)).rejectMedia) {
    values.avatar_url = null;
    values.header_url = null;
  }
  // REMOTE_MEDIA_CACHE: keeps a cached copy of an unchanged picture, queues new ones.
  const afterWrite = await prepareProfileImageCache(services, uri, values);
  const id = newId();
  const row = await services.db
    .insertInto("accounts")
    .values({ id, uri, ...values, ...marks })
    .onConflict((oc) => oc.column("uri").doUpdateSet(values))
    .returningAll()
    .executeTakeFirstOrThrow();
  await afterWrite(row);
  // First sight or a refresh: its pinned posts are (re)read by a job.
  await enqueueFeaturedFetch(services, row);
  return row;
}

/** The account row of an actor URI, if known. */
export async function findAccountByUri(
  services: Services,
  uri: string | URL,
): Promise<AccountRow | undefined> {
  const href = typeof uri === "string" ? uri : uri.href;
  return await services.db
    .selectFrom("accounts")
    .selectAll()
    .where("uri", "=", href)
    .executeTakeFirst();
}

/**
 * The account of an actor named in an activity: the stored row when fresh, else the actor
 * fetched (through `getActor`, usually `activity.getActor(ctx)`) and stored.
 */
export async function accountOfActor(
  services: Services,
  id: URL | null,
  getActor: () => Promise<APObject | null>,
  options: ActorFetchOptions = {},
): Promise<AccountRow | null> {
  if (!id) return null;
  // Nothing from a suspended domain is taken in (the inbox's second gate, after the
  // signature check in federation/middleware.ts), nor resolved for local users.
  if ((await federationPolicy(services, id)).suspended) return null;
  const known = await findAccountByUri(services, id);
  if (known && !isStale(known)) return known;
  if (known && known.domain === null) return known;
  const actor = await getActor().catch(() => null);
  if (!actor || !isActor(actor) || actor.id?.href !== id.href) return known ?? null;
  return await upsertRemoteActor(services, actor, options);
}
