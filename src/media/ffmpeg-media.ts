// Storing a video or audio file: kept as uploaded, and, when ffmpeg is installed, probed for
// Mastodon's `meta.original` (width, height, frame_rate, duration, bitrate) with a preview
// frame and blurhash for video. Used for uploads (v1 at once, v2 in the worker) and for
// cached remote media. Runs inside the processing slots, like sharp.
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { ApiError } from "../http/errors.ts";
import type { MediaMeta, MediaType } from "../infra/db/schema.ts";
import { newId } from "../infra/ids.ts";
import type { Services } from "../services.ts";
import type { Detected } from "./detect.ts";
import { FfmpegError, ffmpegAvailable, firstFrame, gifToMp4, type Probe, probe } from "./ffmpeg.ts";
import { mediaKey } from "./media-files.ts";
import { processImage, processingSlots } from "./process.ts";
import { mediaStorage } from "./storage.ts";
import type { Upload } from "./upload.ts";

export interface StoredAudioVideo {
  type: MediaType;
  content_type: string;
  file_key: string;
  file_size: number;
  /** Set only when a preview frame was made. */
  preview_key?: string;
  blurhash?: string;
  meta: MediaMeta;
}

export function originalMeta(p: Probe): Record<string, number | string | null> {
  const out: Record<string, number | string | null> = {};
  if (p.video && p.width && p.height) {
    out.width = p.width;
    out.height = p.height;
    out.size = `${p.width}x${p.height}`;
    out.aspect = Math.round((p.width / p.height) * 1e6) / 1e6;
  }
  if (p.video && p.frameRate) out.frame_rate = p.frameRate;
  if (p.duration !== null) out.duration = Math.round(p.duration * 1000) / 1000;
  if (p.bitrate !== null) out.bitrate = Math.round(p.bitrate);
  return out;
}

/** ffmpeg reads files, so an in-memory upload is written out first. */
async function onDisk(services: Services, upload: Upload) {
  if (upload.path) return { file: upload.path, cleanup: async () => {} };
  const dir = path.join(services.config.dataDir, "tmp", "ffmpeg");
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, newId());
  await writeFile(file, await upload.bytes());
  return { file, cleanup: () => rm(file, { force: true }) };
}

/**
 * Stores an audio or video upload under `names.original` and, with ffmpeg, its preview
 * under `names.small`. `withPreview: false` keeps a preview the caller already has (a
 * thumbnail given with the upload). A file ffprobe cannot read is refused (422).
 */
export async function storeAudioVideo(
  services: Services,
  id: string,
  upload: Upload,
  detected: Detected,
  options: { names?: { original: string; small: string }; withPreview?: boolean } = {},
): Promise<StoredAudioVideo> {
  const names = options.names ?? { original: "original", small: "small" };
  const storage = mediaStorage(services.config);
  let described: Described = { type: detected.type, meta: { original: {} } };
  if (await ffmpegAvailable()) {
    const disk = await onDisk(services, upload);
    try {
      described = await processingSlots(services.config.media.concurrency).run(() =>
        describe(services, id, disk.file, names.small, options.withPreview !== false),
      );
    } finally {
      await disk.cleanup();
    }
  }
  const fileKey = mediaKey(id, names.original, detected.extension);
  if (upload.path) await storage.putFile(fileKey, upload.path, upload.size, detected.mime);
  else await storage.put(fileKey, await upload.bytes(), detected.mime);
  const stored: StoredAudioVideo = {
    type: described.type,
    content_type: detected.mime,
    file_key: fileKey,
    file_size: upload.size,
    meta: described.meta,
  };
  if (described.preview) {
    stored.preview_key = described.preview.key;
    stored.blurhash = described.preview.blurhash;
  }
  return stored;
}

interface Described {
  type: MediaType;
  meta: MediaMeta;
  preview?: { key: string; blurhash: string };
}

async function describe(
  services: Services,
  id: string,
  file: string,
  smallName: string,
  withPreview: boolean,
): Promise<Described> {
  let probed: Probe;
  try {
    probed = await probe(file);
  } catch (error) {
    if (error instanceof FfmpegError) throw refused();
    throw error;
  }
  if (!probed.video && !probed.audio) throw refused();
  // An MP4 with sound only is audio, as Mastodon types it.
  const type: MediaType = probed.video ? "video" : "audio";
  const meta: MediaMeta = { original: originalMeta(probed) };
  if (type !== "video" || !withPreview) return { type, meta };
  // A video whose frame can't be read still plays; it just has no preview.
  const frame = await firstFrame(file).catch(() => null);
  if (!frame) return { type, meta };
  const processed = await processImage(frame, {
    mime: "image/png",
    type: "image",
    extension: "png",
  });
  const key = mediaKey(id, smallName, processed.preview.extension);
  await mediaStorage(services.config).put(key, processed.preview.bytes, processed.preview.mime);
  meta.small = processed.meta.small;
  return { type, meta, preview: { key, blurhash: processed.blurhash } };
}

function refused(): ApiError {
  return ApiError.unprocessable("Validation failed: File could not be processed");
}

/**
 * An animated GIF (already re-encoded and bounded by sharp) as a muted MP4, with its probed
 * metadata; undefined without ffmpeg or when ffmpeg fails, and the GIF is kept as it is.
 */
export async function animatedGifAsVideo(
  services: Services,
  gif: Buffer,
): Promise<{ bytes: Buffer; original: Record<string, number | string | null> } | undefined> {
  if (!(await ffmpegAvailable())) return undefined;
  const dir = path.join(services.config.dataDir, "tmp", "ffmpeg");
  await mkdir(dir, { recursive: true });
  const base = path.join(dir, newId());
  try {
    await writeFile(`${base}.gif`, gif);
    await gifToMp4(`${base}.gif`, `${base}.mp4`);
    const probed = await probe(`${base}.mp4`);
    return { bytes: await readFile(`${base}.mp4`), original: originalMeta(probed) };
  } catch (error) {
    if (error instanceof FfmpegError) return undefined;
    throw error;
  } finally {
    await rm(`${base}.gif`, { force: true });
    await rm(`${base}.mp4`, { force: true });
  }
}
