// Checking an upload against the limits, and writing a media row's files to the storage:
// the processed image and its preview, a custom thumbnail, or the raw upload kept for the
// worker. Shared by uploads (service.ts), avatars and headers (profile-images.ts), cached
// remote media (remote-cache.ts) and the video/audio path (ffmpeg-media.ts).
import { ApiError } from "../http/errors.ts";
import type { MediaType } from "../infra/db/schema.ts";
import { newId } from "../infra/ids.ts";
import { MEDIA_LIMITS } from "../instance/limits.ts";
import type { Services } from "../services.ts";
import { type Detected, detectMedia } from "./detect.ts";
import { animatedGifAsVideo } from "./ffmpeg-media.ts";
import { processImage, processingSlots } from "./process.ts";
import { mediaStorage } from "./storage.ts";
import { asUpload, type Upload } from "./upload.ts";

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
export async function putUpload(services: Services, key: string, upload: Upload, mime: string) {
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

/** A thumbnail given by the client (an image), stored as the media's preview. */
export async function storeThumbnail(services: Services, id: string, file: Upload) {
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
