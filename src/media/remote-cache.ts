// REMOTE_MEDIA_CACHE: copies of remote attachments, avatars and headers, fetched by worker
// jobs and served from our media storage (so readers' apps never contact the remote
// server, and a post's pictures outlive it). Off by default: remote media is then shown
// by its own URL. Nothing is fetched from a domain whose media is rejected.
//
// Attachments: a media row keeps remote_url and gets file_key/preview_key when cached
// (serializer.ts prefers the copy); `media prune-remote` drops old copies again.
// Avatars and headers: accounts have only avatar_url/header_url, so a cached copy takes
// their place there, under a key derived from the remote URL. A profile refresh that
// still names the same remote picture then keeps the copy instead of fetching it again.
import { createHash } from "node:crypto";
import { ApiError } from "../http/errors.ts";
import { newId } from "../infra/ids.ts";
import { log } from "../infra/logging.ts";
import { domainPolicy } from "../moderation/domain-policy.ts";
import type { Services } from "../services.ts";
import { storeAudioVideo } from "./ffmpeg-media.ts";
import { storeImage } from "./media-files.ts";
import { processingSlots, processProfileImage } from "./process.ts";
import { PROFILE_IMAGE_SIZES, type ProfileImageKind } from "./profile-images.ts";
import { fetchRemoteMedia, RemoteMediaRefused } from "./remote-cache-fetch.ts";
import { mediaStorage } from "./storage.ts";

const logger = log("media");

/** Whether media from `host` (and, for attachments, its author's domain) may be fetched. */
async function mediaAllowed(services: Services, hosts: (string | null | undefined)[]) {
  for (const host of hosts) {
    if (host && (await domainPolicy(services.db, host)).rejectMedia) return false;
  }
  return true;
}

function hostOf(url: string): string | null {
  try {
    return new URL(url).host;
  } catch {
    return null;
  }
}

/** Queues the caching of a status's remote attachments (after status.created/updated). */
export async function enqueueRemoteAttachments(services: Services, statusId: string) {
  if (!services.config.media.remoteCache) return;
  const rows = await services.db
    .selectFrom("media_attachments")
    .select("id")
    .where("status_id", "=", statusId)
    .where("remote_url", "is not", null)
    .where("file_key", "is", null)
    // Rows of a domain whose media is rejected are typed "unknown" and never fetched.
    .where("type", "!=", "unknown")
    .execute();
  for (const row of rows) {
    await services.queues.jobs.enqueue({ type: "media.cache_remote", mediaId: row.id });
  }
}

/** The `media.cache_remote` job: fetches and stores one remote attachment. */
export async function cacheRemoteAttachment(services: Services, mediaId: string): Promise<void> {
  const { config, db } = services;
  if (!config.media.remoteCache) return;
  const row = await db
    .selectFrom("media_attachments")
    .innerJoin("accounts", "accounts.id", "media_attachments.account_id")
    .select([
      "media_attachments.id",
      "media_attachments.type",
      "media_attachments.remote_url",
      "media_attachments.file_key",
      "media_attachments.meta",
      "accounts.domain",
    ])
    .where("media_attachments.id", "=", mediaId)
    .executeTakeFirst();
  if (!row?.remote_url || row.file_key || !row.domain) return;
  if (!(await mediaAllowed(services, [row.domain, hostOf(row.remote_url)]))) return;

  const { imageLimit, videoLimit } = config.media;
  const fetched = await refusedIsFinal(row.remote_url, () =>
    fetchRemoteMedia(config, row.remote_url!, {
      maxBytes: row.type === "image" ? imageLimit : Math.max(imageLimit, videoLimit),
      limitFor: (d) => (d.type === "image" ? imageLimit : videoLimit),
    }),
  );
  if (!fetched) return;
  // A fresh name per copy: a copy pruned and fetched again gets a new URL.
  const n = newId();
  const names = { original: `cache-${n}`, small: `cache-${n}-small` };
  let set: {
    type: typeof row.type;
    content_type: string;
    file_key: string;
    preview_key: string | null;
    file_size: number;
    blurhash?: string;
    meta: string;
  };
  try {
    const { upload, detected } = fetched;
    if (detected.type === "image") {
      const stored = await storeImage(
        services,
        row.id,
        async () => ({ input: upload.path ?? (await upload.bytes()), detected }),
        names,
      );
      set = {
        ...stored,
        // The sender's focal point stays; sizes are those of our copy.
        meta: JSON.stringify({ ...row.meta, ...stored.meta }),
      };
    } else {
      const stored = await storeAudioVideo(services, row.id, upload, detected, { names });
      set = {
        ...stored,
        preview_key: stored.preview_key ?? null,
        meta: JSON.stringify({ ...row.meta, ...stored.meta }),
      };
    }
  } catch (error) {
    // Unreadable or oversized content (a 422 from the pipeline) won't improve on retry.
    if (error instanceof ApiError) {
      logger.info("Not caching {url}: {error}", { url: row.remote_url, error });
      return;
    }
    throw error;
  } finally {
    await fetched.cleanup();
  }
  const updated = await db
    .updateTable("media_attachments")
    .set({ ...set, updated_at: new Date() })
    .where("id", "=", row.id)
    // Cached by a concurrent job, or deleted meanwhile: our files go.
    .where("file_key", "is", null)
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) === 0) {
    const keys = [set.file_key, set.preview_key].filter((k): k is string => k !== null);
    await mediaStorage(config).delete(keys);
  }
}

async function refusedIsFinal<T>(url: string, task: () => Promise<T>): Promise<T | undefined> {
  try {
    return await task();
  } catch (error) {
    if (error instanceof RemoteMediaRefused) {
      logger.info("Not caching {url}: {error}", { url, error: error.message });
      return undefined;
    }
    throw error;
  }
}

// -- Avatars and headers --

const COLUMN = { avatar: "avatar_url", header: "header_url" } as const;

function profileKeyPrefix(accountId: string, kind: ProfileImageKind): string {
  return `accounts/${kind}s/${accountId}/remote-`;
}

/** The key of our copy of `remoteUrl`, without its extension. */
function profileKeyStem(accountId: string, kind: ProfileImageKind, remoteUrl: string): string {
  const digest = createHash("sha256").update(remoteUrl).digest("hex").slice(0, 24);
  return `${profileKeyPrefix(accountId, kind)}${digest}`;
}

/** Our storage key behind a URL, when the URL is one of our cached profile copies. */
function cachedProfileKey(
  services: Services,
  accountId: string,
  kind: ProfileImageKind,
  url: string | null,
) {
  if (!url) return null;
  const base = mediaStorage(services.config).url("");
  if (!url.startsWith(base)) return null;
  const key = url.slice(base.length);
  return key.startsWith(profileKeyPrefix(accountId, kind)) ? key : null;
}

interface ProfileImageValues {
  avatar_url: string | null;
  header_url: string | null;
}

/**
 * Called by the actor upsert (federation/remote-accounts.ts) before it writes: where the
 * stored row shows our copy of the very picture the actor still names, the copy is kept
 * in `values`. Returns what to do once the row is written: remove copies no longer used
 * and queue the fetch of pictures not cached yet.
 */
export async function prepareProfileImageCache(
  services: Services,
  uri: string,
  values: ProfileImageValues,
): Promise<(account: { id: string; domain: string | null } & ProfileImageValues) => Promise<void>> {
  const existing = await services.db
    .selectFrom("accounts")
    .select(["id", "avatar_url", "header_url"])
    .where("uri", "=", uri)
    .executeTakeFirst();
  const stale: string[] = [];
  for (const kind of ["avatar", "header"] as const) {
    const column = COLUMN[kind];
    const key = existing && cachedProfileKey(services, existing.id, kind, existing[column]);
    if (!existing || !key) continue;
    const remote = values[column];
    if (
      services.config.media.remoteCache &&
      remote &&
      key.startsWith(`${profileKeyStem(existing.id, kind, remote)}.`)
    ) {
      values[column] = existing[column];
    } else {
      stale.push(key);
    }
  }
  return async (account) => {
    if (stale.length)
      await mediaStorage(services.config)
        .delete(stale)
        .catch(() => {});
    if (!services.config.media.remoteCache || account.domain === null) return;
    for (const kind of ["avatar", "header"] as const) {
      const url = account[COLUMN[kind]];
      if (url && !cachedProfileKey(services, account.id, kind, url)) {
        await services.queues.jobs.enqueue({
          type: "media.cache_profile_image",
          accountId: account.id,
          kind,
          url,
        });
      }
    }
  };
}

/** The `media.cache_profile_image` job: our copy of a remote avatar or header. */
export async function cacheRemoteProfileImage(
  services: Services,
  job: { accountId: string; kind: ProfileImageKind; url: string },
): Promise<void> {
  const { config, db } = services;
  if (!config.media.remoteCache) return;
  const column = COLUMN[job.kind];
  const account = await db
    .selectFrom("accounts")
    .select(["id", "domain", column])
    .where("id", "=", job.accountId)
    .executeTakeFirst();
  // The profile changed since the job was queued: a newer job has the new picture.
  if (!account?.domain || account[column] !== job.url) return;
  if (!(await mediaAllowed(services, [account.domain, hostOf(job.url)]))) return;
  const fetched = await refusedIsFinal(job.url, () =>
    fetchRemoteMedia(config, job.url, {
      maxBytes: config.media.imageLimit,
      limitFor: () => config.media.imageLimit,
    }),
  );
  if (!fetched) return;
  let key: string;
  try {
    if (fetched.detected.type !== "image") {
      logger.info("Not caching {url}: not an image", { url: job.url });
      return;
    }
    const input = fetched.upload.path ?? (await fetched.upload.bytes());
    const processed = await processingSlots(config.media.concurrency)
      .run(() => processProfileImage(input, fetched.detected, PROFILE_IMAGE_SIZES[job.kind]))
      .catch((error) => {
        if (error instanceof ApiError) return null;
        throw error;
      });
    if (!processed) {
      logger.info("Not caching {url}: unreadable image", { url: job.url });
      return;
    }
    key = `${profileKeyStem(account.id, job.kind, job.url)}.${processed.extension}`;
    await mediaStorage(config).put(key, processed.bytes, processed.mime);
  } finally {
    await fetched.cleanup();
  }
  const copyUrl = mediaStorage(config).url(key);
  const updated = await db
    .updateTable("accounts")
    .set({ [column]: copyUrl })
    .where("id", "=", account.id)
    .where(column, "=", job.url)
    .executeTakeFirst();
  if (Number(updated.numUpdatedRows) > 0) return;
  // Not applied: unless a concurrent job stored this same copy (same key), it is unused.
  const now = await db
    .selectFrom("accounts")
    .select(column)
    .where("id", "=", account.id)
    .executeTakeFirst();
  if (now?.[column] !== copyUrl) await mediaStorage(config).delete([key]);
}
