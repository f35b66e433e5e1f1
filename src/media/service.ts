// Uploading, describing and deleting one's media, and attaching it to statuses. Images are
// processed synchronously (v1) or by the `media.process` job (v2); video and audio are
// kept as uploaded (no ffmpeg: no preview, and only the byte size as metadata).
import type { Transaction } from "kysely";
import type { AccountRow } from "../auth/middleware.ts";
import type { Config } from "../config.ts";
import { ApiError } from "../http/errors.ts";
import type { Db } from "../infra/db/index.ts";
import type { Database, MediaMeta } from "../infra/db/schema.ts";
import { newId } from "../infra/ids.ts";
import { MEDIA_LIMITS } from "../instance/limits.ts";
import type { Services } from "../services.ts";
import { type Detected, detectMedia } from "./detect.ts";
import { processImage, processingSlots } from "./process.ts";
import type { MediaRow } from "./serializer.ts";
import { mediaStorage } from "./storage.ts";

type Trx = Transaction<Database>;

export interface MediaInput {
  file: File;
  description?: string;
  focus?: { x: number; y: number };
  thumbnail?: File;
}

const mb = (bytes: number) => `${Math.round(bytes / 1_048_576)} MB`;

export function mediaKey(id: string, name: string, extension?: string): string {
  return `media_attachments/${id}/${name}${extension ? `.${extension}` : ""}`;
}

/** Reads an upload and checks its type (from its bytes) and size against the limits. */
export async function readUpload(
  services: Services,
  file: unknown,
): Promise<{ bytes: Buffer; detected: Detected }> {
  if (!(file instanceof File))
    throw ApiError.unprocessable("Validation failed: File can't be blank");
  const { imageLimit, videoLimit } = services.config.media;
  // Refused before reading when it cannot fit any limit.
  if (file.size > Math.max(imageLimit, videoLimit)) throw tooBig(Math.max(imageLimit, videoLimit));
  const bytes = Buffer.from(await file.arrayBuffer());
  const detected = detectMedia(bytes);
  if (!detected) throw ApiError.unprocessable("Validation failed: File content type is invalid");
  const limit = detected.type === "image" ? imageLimit : videoLimit;
  if (bytes.length > limit) throw tooBig(limit);
  return { bytes, detected };
}

function tooBig(limit: number): ApiError {
  return ApiError.unprocessable(`Validation failed: File file size must be less than ${mb(limit)}`);
}

export function checkDescription(description: string | undefined): void {
  if (description !== undefined && [...description].length > MEDIA_LIMITS.descriptionLimit) {
    throw ApiError.unprocessable(
      `Validation failed: Description is too long (maximum is ${MEDIA_LIMITS.descriptionLimit} characters)`,
    );
  }
}

/** Stores the processed image's files and returns the row's columns for them. */
async function storeImage(services: Services, id: string, bytes: Uint8Array, detected: Detected) {
  const storage = mediaStorage(services.config);
  const processed = await processingSlots(services.config.media.concurrency).run(() =>
    processImage(bytes, detected),
  );
  const fileKey = mediaKey(id, "original", processed.original.extension);
  const previewKey = mediaKey(id, "small", processed.preview.extension);
  await storage.put(fileKey, processed.original.bytes, processed.original.mime);
  await storage.put(previewKey, processed.preview.bytes, processed.preview.mime);
  return {
    content_type: processed.original.mime,
    file_key: fileKey,
    preview_key: previewKey,
    file_size: processed.original.bytes.length,
    blurhash: processed.blurhash,
    meta: processed.meta,
  };
}

/**
 * Creates a media attachment. With `async`, images are queued for the worker and the row
 * stays `pending`; otherwise they are processed before answering.
 */
export async function createMedia(
  services: Services,
  account: AccountRow,
  input: MediaInput,
  options: { async: boolean },
): Promise<MediaRow> {
  checkDescription(input.description);
  const { bytes, detected } = await readUpload(services, input.file);
  const storage = mediaStorage(services.config);
  const id = newId();
  const meta: MediaMeta = input.focus ? { focus: input.focus } : {};
  const base = {
    id,
    account_id: account.id,
    type: detected.type,
    description: input.description ?? null,
  };

  if (detected.type !== "image") {
    const fileKey = mediaKey(id, "original", detected.extension);
    await storage.put(fileKey, bytes, detected.mime);
    let previewKey: string | null = null;
    let blurhash: string | null = null;
    if (input.thumbnail) {
      const thumb = await storeThumbnail(services, id, input.thumbnail);
      previewKey = thumb.preview_key;
      blurhash = thumb.blurhash;
    }
    return await services.db
      .insertInto("media_attachments")
      .values({
        ...base,
        content_type: detected.mime,
        file_key: fileKey,
        preview_key: previewKey,
        blurhash,
        file_size: bytes.length,
        meta: JSON.stringify({ ...meta, original: {} }),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  if (options.async) {
    // The raw upload waits in the storage (shared by web and worker processes).
    await storage.put(mediaKey(id, "upload"), bytes, detected.mime);
    const row = await services.db
      .insertInto("media_attachments")
      .values({ ...base, processing: "pending", meta: JSON.stringify(meta) })
      .returningAll()
      .executeTakeFirstOrThrow();
    await services.queues.jobs.enqueue({ type: "media.process", mediaId: id });
    return row;
  }

  const stored = await storeImage(services, id, bytes, detected);
  return await services.db
    .insertInto("media_attachments")
    .values({ ...base, ...stored, meta: JSON.stringify({ ...stored.meta, ...meta }) })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** The `media.process` job: processes a queued upload; a refused file marks the row failed. */
export async function processPendingMedia(services: Services, mediaId: string): Promise<void> {
  const row = await services.db
    .selectFrom("media_attachments")
    .selectAll()
    .where("id", "=", mediaId)
    .executeTakeFirst();
  if (row?.processing !== "pending") return;
  const storage = mediaStorage(services.config);
  const uploadKey = mediaKey(mediaId, "upload");
  const bytes = await storage.get(uploadKey);
  const detected = bytes && detectMedia(bytes);
  let set: Record<string, unknown>;
  if (!bytes || !detected) {
    set = { processing: "failed", processing_error: "The upload is missing" };
  } else {
    try {
      const stored = await storeImage(services, mediaId, bytes, detected);
      set = {
        ...stored,
        meta: JSON.stringify({ ...stored.meta, ...row.meta }),
        processing: "ready",
      };
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      set = { processing: "failed", processing_error: e.message };
    }
  }
  await services.db
    .updateTable("media_attachments")
    .set({ ...set, updated_at: new Date() })
    .where("id", "=", mediaId)
    .execute();
  await storage.delete([uploadKey]);
}

async function storeThumbnail(services: Services, id: string, file: File) {
  const { bytes, detected } = await readUpload(services, file);
  if (detected.type !== "image") {
    throw ApiError.unprocessable("Validation failed: Thumbnail content type is invalid");
  }
  const processed = await processingSlots(services.config.media.concurrency).run(() =>
    processImage(bytes, detected),
  );
  // A fresh key per thumbnail, so caches never serve the old one under the new URL.
  const key = mediaKey(id, `thumb-${newId()}`, processed.preview.extension);
  await mediaStorage(services.config).put(key, processed.preview.bytes, processed.preview.mime);
  return { preview_key: key, blurhash: processed.blurhash };
}

/** One of the account's own uploads, or 404 (others' media is not theirs to see here). */
export async function findOwnMedia(
  services: Services,
  account: AccountRow,
  id: string,
): Promise<MediaRow> {
  if (!/^\d{1,19}$/.test(id)) throw ApiError.notFound();
  const row = await services.db
    .selectFrom("media_attachments")
    .selectAll()
    .where("id", "=", id)
    .where("account_id", "=", account.id)
    .executeTakeFirst();
  if (!row) throw ApiError.notFound();
  return row;
}

export async function updateMedia(
  services: Services,
  account: AccountRow,
  id: string,
  changes: { description?: string; focus?: { x: number; y: number }; thumbnail?: File },
): Promise<MediaRow> {
  const row = await findOwnMedia(services, account, id);
  checkDescription(changes.description);
  const set: Record<string, unknown> = { updated_at: new Date() };
  if (changes.description !== undefined) set.description = changes.description;
  if (changes.focus) set.meta = JSON.stringify({ ...row.meta, focus: changes.focus });
  const oldThumb = row.preview_key?.includes("/thumb-") ? row.preview_key : null;
  if (changes.thumbnail) {
    const thumb = await storeThumbnail(services, id, changes.thumbnail);
    set.preview_key = thumb.preview_key;
    set.blurhash = thumb.blurhash;
  }
  const updated = await services.db
    .updateTable("media_attachments")
    .set(set)
    .where("id", "=", id)
    .returningAll()
    .executeTakeFirstOrThrow();
  if (changes.thumbnail && oldThumb) await mediaStorage(services.config).delete([oldThumb]);
  return updated;
}

/** Deletes an unattached upload and its files; attached media goes with its status. */
export async function deleteMedia(
  services: Services,
  account: AccountRow,
  id: string,
): Promise<void> {
  const row = await findOwnMedia(services, account, id);
  if (row.status_id) {
    throw ApiError.unprocessable("Media attachment is currently used by a status");
  }
  await removeMediaRows(services, [row]);
}

export async function removeMediaRows(services: Services, rows: MediaRow[]): Promise<void> {
  if (rows.length === 0) return;
  await services.db
    .deleteFrom("media_attachments")
    .where(
      "id",
      "in",
      rows.map((r) => r.id),
    )
    .execute();
  const keys = rows.flatMap((r) =>
    [
      r.file_key,
      r.preview_key,
      r.processing === "pending" ? mediaKey(r.id, "upload") : null,
    ].filter((k): k is string => k !== null),
  );
  await mediaStorage(services.config).delete(keys);
}

/**
 * Checks media ids for a new status: at most the configured number, the author's own,
 * processed, and not attached to another status. Returns them in the order given.
 */
export async function checkMediaForStatus(
  services: Services,
  account: AccountRow,
  ids: string[],
  statusId?: string,
): Promise<string[]> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return [];
  const max = services.config.media.maxAttachments;
  if (unique.length > max) {
    throw ApiError.unprocessable(`Validation failed: Media attachments limit of ${max} exceeded`);
  }
  if (!unique.every((id) => /^\d{1,19}$/.test(id))) {
    throw ApiError.unprocessable("Validation failed: Media ids are invalid");
  }
  const rows = await services.db
    .selectFrom("media_attachments")
    .select(["id", "status_id", "processing"])
    .where("id", "in", unique)
    .where("account_id", "=", account.id)
    .execute();
  const usable = rows.filter((r) => r.status_id === null || r.status_id === statusId);
  if (usable.length !== unique.length) {
    throw ApiError.unprocessable("Validation failed: Media ids are invalid");
  }
  if (usable.some((r) => r.processing !== "ready")) {
    throw ApiError.unprocessable("Validation failed: Media attachments are still being processed");
  }
  return unique;
}

/** Attaches checked media to a status inside its transaction, in the order given. */
export async function attachMedia(trx: Trx, statusId: string, ids: string[]): Promise<void> {
  for (const [position, id] of ids.entries()) {
    await trx
      .updateTable("media_attachments")
      .set({ status_id: statusId, position, updated_at: new Date() })
      .where("id", "=", id)
      // Attached elsewhere since it was checked: left alone rather than stolen.
      .where((eb) => eb.or([eb("status_id", "is", null), eb("status_id", "=", statusId)]))
      .execute();
  }
}

/** Edits descriptions of a status's media (PUT /statuses/:id `media_attributes[]`). */
export async function updateAttachedDescriptions(
  trx: Trx,
  statusId: string,
  attributes: { id: string; description?: string; focus?: { x: number; y: number } }[],
): Promise<void> {
  for (const attr of attributes) {
    checkDescription(attr.description);
    const row = await trx
      .selectFrom("media_attachments")
      .select("meta")
      .where("id", "=", attr.id)
      .where("status_id", "=", statusId)
      .executeTakeFirst();
    if (!row) continue;
    const set: Record<string, unknown> = { updated_at: new Date() };
    if (attr.description !== undefined) set.description = attr.description;
    if (attr.focus) set.meta = JSON.stringify({ ...row.meta, focus: attr.focus });
    await trx.updateTable("media_attachments").set(set).where("id", "=", attr.id).execute();
  }
}

export const UNATTACHED_TTL_MS = 24 * 60 * 60 * 1000;

/** Removes uploads never attached (or left by a deleted status) for over a day. */
export async function pruneUnattachedMedia(services: Services, now = Date.now()): Promise<number> {
  const rows = await services.db
    .selectFrom("media_attachments")
    .selectAll()
    .where("status_id", "is", null)
    .where("remote_url", "is", null)
    .where("created_at", "<", new Date(now - UNATTACHED_TTL_MS))
    .limit(1000)
    .execute();
  await removeMediaRows(services, rows);
  return rows.length;
}

/** `media prune-remote`: drops cached copies of remote media older than `days`. */
export async function pruneRemoteMediaCache(db: Db, config: Config, days: number): Promise<number> {
  const cutoff = new Date(Date.now() - days * 86_400_000);
  const rows = await db
    .selectFrom("media_attachments")
    .select(["id", "file_key", "preview_key"])
    .where("remote_url", "is not", null)
    .where("file_key", "is not", null)
    .where("created_at", "<", cutoff)
    .execute();
  const keys = rows.flatMap((r) => [r.file_key, r.preview_key].filter((k): k is string => !!k));
  await mediaStorage(config).delete(keys);
  if (rows.length) {
    await db
      .updateTable("media_attachments")
      .set({ file_key: null, preview_key: null })
      .where(
        "id",
        "in",
        rows.map((r) => r.id),
      )
      .execute();
  }
  return rows.length;
}
