// Uploading, describing and deleting one's media. Images are processed synchronously (v1)
// or by the `media.process` job (v2, processPendingMedia below); video and audio are kept
// as uploaded and, when ffmpeg is installed, probed with a preview frame for video
// (src/media/ffmpeg-media.ts; without it: no preview, and only the byte size as metadata).
// Upload checks and file storing are in media-files.ts, attaching media to statuses in
// status-attachments.ts, and the prune jobs in prune.ts.
import type { AccountRow } from "../auth/middleware.ts";
import { ApiError } from "../http/errors.ts";
import type { MediaMeta } from "../infra/db/schema.ts";
import { newId } from "../infra/ids.ts";
import type { Services } from "../services.ts";
import { detectMedia } from "./detect.ts";
import { ffmpegAvailable } from "./ffmpeg.ts";
import { storeAudioVideo } from "./ffmpeg-media.ts";
import {
  checkDescription,
  imageInput,
  mediaKey,
  putUpload,
  readUpload,
  storeImage,
  storeThumbnail,
} from "./media-files.ts";
import type { MediaRow } from "./serializer.ts";
import { LocalStorage, mediaStorage } from "./storage.ts";
import { type Upload, uploadFromDisk, uploadFromFile } from "./upload.ts";

export interface MediaInput {
  /** A File or an Upload (src/media/upload.ts); anything else is a 422. */
  file: unknown;
  description?: string;
  focus?: { x: number; y: number };
  thumbnail?: Upload;
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

/** Deletes media rows and their files (and a pending upload's raw file); prune.ts uses it too. */
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
