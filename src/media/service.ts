// Uploading, describing and deleting one's media, and attaching it to statuses. Images are
// processed synchronously (v1) or by the `media.process` job (v2); video and audio are
// kept as uploaded and, when ffmpeg is installed, probed with a preview frame for video
// (src/media/ffmpeg-media.ts; without it: no preview, and only the byte size as metadata).
import { sql, type Transaction } from "kysely";
import type { AccountRow } from "../auth/middleware.ts";
import type { Config } from "../config.ts";
import { ApiError } from "../http/errors.ts";
import type { Db } from "../infra/db/index.ts";
import type { Database, MediaMeta, MediaType } from "../infra/db/schema.ts";
import { newId } from "../infra/ids.ts";
import { MEDIA_LIMITS } from "../instance/limits.ts";
import type { Services } from "../services.ts";
import { type Detected, detectMedia } from "./detect.ts";
import { ffmpegAvailable } from "./ffmpeg.ts";
import { animatedGifAsVideo, storeAudioVideo } from "./ffmpeg-media.ts";
import { processImage, processingSlots } from "./process.ts";
import type { MediaRow } from "./serializer.ts";
import { LocalStorage, mediaStorage } from "./storage.ts";
import { asUpload, type Upload, uploadFromDisk, uploadFromFile } from "./upload.ts";

type Trx = Transaction<Database>;

export interface MediaInput {
  /** A File or an Upload (src/media/upload.ts); anything else is a 422. */
  file: unknown;
  description?: string;
  focus?: { x: number; y: number };
  thumbnail?: Upload;
}

const mb = (bytes: number) => `${Math.round(bytes / 1_048_576)} MB`;

export function mediaKey(id: string, name: string, extension?: string): string {
  return `media_attachments/${id}/${name}${extension ? `.${extension}` : ""}`;
}

/**
 * Checks an upload's type (from its first bytes, never its name) and size against the
 * limits. The file is not read whole: callers hand its path or bytes on when they need them.
 */
export async function readUpload(
  services: Services,
  file: unknown,
): Promise<{ upload: Upload; detected: Detected }> {
  const upload = asUpload(file);
  if (!upload) throw ApiError.unprocessable("Validation failed: File can't be blank");
  const { imageLimit, videoLimit } = services.config.media;
  if (upload.size > Math.max(imageLimit, videoLimit))
    throw tooBig(Math.max(imageLimit, videoLimit));
  const detected = detectMedia(await upload.head());
  if (!detected) throw ApiError.unprocessable("Validation failed: File content type is invalid");
  const limit = detected.type === "image" ? imageLimit : videoLimit;
  if (upload.size > limit) throw tooBig(limit);
  return { upload, detected };
}

/** What sharp reads: the file on disk when there is one, else the bytes. */
export async function imageInput(upload: Upload): Promise<Uint8Array | string> {
  return upload.path ?? (await upload.bytes());
}

/** Stores an upload as it is, from disk when it was streamed there. */
async function putUpload(services: Services, key: string, upload: Upload, mime: string) {
  const storage = mediaStorage(services.config);
  if (upload.path) await storage.putFile(key, upload.path, upload.size, mime);
  else await storage.put(key, await upload.bytes(), mime);
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

/**
 * Stores the processed image's files and returns the row's columns for them. The input is
 * loaded inside the processing slot, so waiting uploads don't hold their bytes in memory.
 */
export async function storeImage(
  services: Services,
  id: string,
  load: () => Promise<{ input: Uint8Array | string; detected: Detected }>,
  // Cached remote copies take fresh names, so a re-fetch never reuses a URL caches hold.
  names = { original: "original", small: "small" },
) {
  const storage = mediaStorage(services.config);
  const { processed, video } = await processingSlots(services.config.media.concurrency).run(
    async () => {
      const { input, detected } = await load();
      const processed = await processImage(input, detected);
      // Only an animated GIF comes out as a GIF: with ffmpeg it becomes a muted MP4 (gifv).
      const video =
        processed.original.mime === "image/gif"
          ? await animatedGifAsVideo(services, processed.original.bytes)
          : undefined;
      return { processed, video };
    },
  );
  const original = video
    ? { bytes: video.bytes, mime: "video/mp4", extension: "mp4" }
    : processed.original;
  const fileKey = mediaKey(id, names.original, original.extension);
  const previewKey = mediaKey(id, names.small, processed.preview.extension);
  await storage.put(fileKey, original.bytes, original.mime);
  await storage.put(previewKey, processed.preview.bytes, processed.preview.mime);
  return {
    type: (video ? "gifv" : "image") as MediaType,
    content_type: original.mime,
    file_key: fileKey,
    preview_key: previewKey,
    file_size: original.bytes.length,
    blurhash: processed.blurhash,
    meta: video ? { ...processed.meta, original: video.original } : processed.meta,
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
  const { upload, detected } = await readUpload(services, input.file);
  const id = newId();
  const meta: MediaMeta = input.focus ? { focus: input.focus } : {};
  const base = {
    id,
    account_id: account.id,
    type: detected.type,
    description: input.description ?? null,
  };

  // Video and audio: probed (and a video's frame taken) with ffmpeg in the worker for v2;
  // without ffmpeg there is nothing to process, so they are stored at once.
  const queued = options.async && (detected.type === "image" || (await ffmpegAvailable()));
  if (detected.type !== "image" && !queued) {
    const stored = await storeAudioVideo(services, id, upload, detected, {
      withPreview: !input.thumbnail,
    });
    const thumb = input.thumbnail ? await storeThumbnail(services, id, input.thumbnail) : null;
    return await services.db
      .insertInto("media_attachments")
      .values({
        ...base,
        ...stored,
        preview_key: thumb?.preview_key ?? stored.preview_key ?? null,
        blurhash: thumb?.blurhash ?? stored.blurhash ?? null,
        meta: JSON.stringify({ ...stored.meta, ...meta }),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  if (queued) {
    // A thumbnail given with a video is small: stored now, and kept by the worker.
    const thumb =
      detected.type !== "image" && input.thumbnail
        ? await storeThumbnail(services, id, input.thumbnail)
        : null;
    // The raw upload waits in the storage (shared by web and worker processes).
    await putUpload(services, mediaKey(id, "upload"), upload, detected.mime);
    const row = await services.db
      .insertInto("media_attachments")
      .values({
        ...base,
        processing: "pending",
        meta: JSON.stringify(meta),
        ...(thumb ? { preview_key: thumb.preview_key, blurhash: thumb.blurhash } : {}),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await services.queues.jobs.enqueue({ type: "media.process", mediaId: id });
    return row;
  }

  const stored = await storeImage(services, id, async () => ({
    input: await imageInput(upload),
    detected,
  }));
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
  // Read inside the processing slot, so queued jobs don't hold their uploads in memory.
  const load = async () => {
    const bytes = await storage.get(uploadKey);
    const detected = bytes && detectMedia(bytes);
    if (!bytes || !detected) throw ApiError.unprocessable("The upload is missing");
    return { input: bytes, detected };
  };
  let set: Record<string, unknown>;
  try {
    if (row.type !== "image") {
      // Video or audio (queued only when ffmpeg is installed).
      const upload = await storedUpload(services, uploadKey);
      const detected = upload && detectMedia(await upload.head());
      if (!upload || !detected) throw ApiError.unprocessable("The upload is missing");
      const stored = await storeAudioVideo(services, mediaId, upload, detected, {
        withPreview: row.preview_key === null,
      });
      set = {
        ...stored,
        preview_key: row.preview_key ?? stored.preview_key ?? null,
        blurhash: row.blurhash ?? stored.blurhash ?? null,
        meta: JSON.stringify({ ...stored.meta, ...row.meta }),
        processing: "ready",
      };
    } else {
      const stored = await storeImage(services, mediaId, load);
      set = {
        ...stored,
        meta: JSON.stringify({ ...stored.meta, ...row.meta }),
        processing: "ready",
      };
    }
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    set = { processing: "failed", processing_error: e.message };
  }
  await services.db
    .updateTable("media_attachments")
    .set({ ...set, updated_at: new Date() })
    .where("id", "=", mediaId)
    .execute();
  await storage.delete([uploadKey]);
}

/** A queued upload, read from its file where the storage is local disk. */
async function storedUpload(services: Services, key: string): Promise<Upload | undefined> {
  const storage = mediaStorage(services.config);
  if (storage instanceof LocalStorage) {
    const found = await storage.stat(key);
    return found ? uploadFromDisk(storage.pathOf(key), found.size) : undefined;
  }
  const bytes = await storage.get(key);
  return bytes ? uploadFromFile(new File([new Uint8Array(bytes)], "upload")) : undefined;
}

async function storeThumbnail(services: Services, id: string, file: Upload) {
  const { upload, detected } = await readUpload(services, file);
  if (detected.type !== "image") {
    throw ApiError.unprocessable("Validation failed: Thumbnail content type is invalid");
  }
  const processed = await processingSlots(services.config.media.concurrency).run(async () =>
    processImage(await imageInput(upload), detected),
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
  changes: { description?: string; focus?: { x: number; y: number }; thumbnail?: Upload },
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
    // Reserved for a scheduled status (src/scheduled) until it is published.
    .where("scheduled_status_id", "is", null)
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

/** A status's media as an edit records it (status_edits.media): ids and alt texts, in order. */
export interface EditedMedia {
  id: string;
  description: string | null;
}

export async function mediaOfVersion(trx: Trx, statusId: string): Promise<EditedMedia[]> {
  return await trx
    .selectFrom("media_attachments")
    .select(["id", "description"])
    .where("status_id", "=", statusId)
    .orderBy("position")
    .orderBy("id")
    .execute();
}

export const UNATTACHED_TTL_MS = 24 * 60 * 60 * 1000;

/** Removes uploads never attached (or left by a deleted status, remote ones too) for over a day. */
export async function pruneUnattachedMedia(services: Services, now = Date.now()): Promise<number> {
  const rows = await services.db
    .selectFrom("media_attachments")
    .selectAll()
    .where("status_id", "is", null)
    .where("scheduled_status_id", "is", null)
    // Remote rows (remote_url set) lose their status only when the post is deleted: they
    // go too, with any copy REMOTE_MEDIA_CACHE made of them.
    .where("created_at", "<", new Date(now - UNATTACHED_TTL_MS))
    // Dropped from a post by an edit: still shown in its edit history.
    .where(({ exists, not, selectFrom }) =>
      not(
        exists(
          selectFrom("status_edits")
            .select(sql.lit(1).as("one"))
            .where(
              sql<boolean>`status_edits.media @> jsonb_build_array(jsonb_build_object('id', media_attachments.id::text))`,
            ),
        ),
      ),
    )
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
