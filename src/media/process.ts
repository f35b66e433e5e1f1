// Image processing with sharp: auto-orient, strip every piece of metadata (EXIF GPS is a
// home address), re-encode, bound the size, make a preview and a blurhash. A semaphore
// bounds how many images one process decodes at once, so peak memory stays bounded
// whatever the upload rate; sharp's own cache is off for the same reason.
import { encode as encodeBlurhash } from "blurhash";
import sharp, { type Metadata, type OutputInfo, type Sharp } from "sharp";
import { ApiError } from "../http/errors.ts";
import type { MediaMeta } from "../infra/db/schema.ts";
import type { Detected } from "./detect.ts";

sharp.cache(false);

/** Mastodon's limit on decoded pixels: larger images are refused, not decoded. */
export const MAX_INPUT_PIXELS = 33_177_600;
/** Mastodon keeps originals at most 8.3 megapixels (3840×2160 worth), scaling down the rest. */
export const MAX_OUTPUT_PIXELS = 8_294_400;
/**
 * A JPEG file this far over MAX_OUTPUT_PIXELS is decoded at half scale (libjpeg scales in the
 * DCT, skipping three quarters of the inverse transforms and the resize after it) when the
 * result still keeps two thirds of MAX_OUTPUT_PIXELS: a 6000×4000 photo is stored at
 * 3000×2000 instead of 3527×2351, for ~40% less decoding CPU (docs/benchmarks.md, media).
 * Smaller photos are decoded in full and scaled to the bound as before.
 */
const HALF_SCALE_MIN_INPUT_PIXELS = Math.ceil((MAX_OUTPUT_PIXELS * 2 * 4) / 3);
/** The preview (Mastodon's "small"): about 640×360 worth of pixels. */
const PREVIEW_PIXELS = 640 * 360;

export interface ProcessedFile {
  bytes: Buffer;
  mime: string;
  extension: string;
  width: number;
  height: number;
}

export interface ProcessedImage {
  original: ProcessedFile;
  preview: ProcessedFile;
  blurhash: string;
  meta: MediaMeta;
}

export class Semaphore {
  #free: number;
  readonly #waiting: (() => void)[] = [];

  constructor(size: number) {
    this.#free = size;
  }

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#free > 0) this.#free -= 1;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve));
    try {
      return await task();
    } finally {
      const next = this.#waiting.shift();
      // The slot passes straight to the next waiter, so a newcomer cannot overtake it.
      if (next) next();
      else this.#free += 1;
    }
  }
}

const semaphores = new Map<number, Semaphore>();

/** The process-wide processing limit (one semaphore per configured size). */
export function processingSlots(size: number): Semaphore {
  let s = semaphores.get(size);
  if (!s) {
    s = new Semaphore(size);
    semaphores.set(size, s);
  }
  return s;
}

function sizeMeta(width: number, height: number) {
  return {
    width,
    height,
    size: `${width}x${height}`,
    aspect: height > 0 ? Math.round((width / height) * 1e6) / 1e6 : null,
  };
}

/** Scale that brings width×height within `pixels`, never enlarging. */
function fitPixels(width: number, height: number, pixels: number): [number, number] {
  const scale = Math.min(1, Math.sqrt(pixels / (width * height)));
  // Floor, so the result never exceeds the bound by rounding.
  return [Math.max(1, Math.floor(width * scale)), Math.max(1, Math.floor(height * scale))];
}

function refused(): ApiError {
  return ApiError.unprocessable("Validation failed: File could not be processed");
}

/**
 * Processes an image upload (its bytes, or the path of a file holding them) whose type was
 * detected from its bytes. Refuses (422) images
 * over MAX_INPUT_PIXELS before decoding them, and anything sharp cannot read.
 */
export async function processImage(
  input: Uint8Array | string,
  detected: Detected,
): Promise<ProcessedImage> {
  const animated = detected.mime === "image/gif" || detected.mime === "image/webp";
  const open = (source: Uint8Array | string = input) =>
    sharp(source, {
      limitInputPixels: MAX_INPUT_PIXELS,
      animated,
      failOn: "error",
      sequentialRead: true,
    });
  let info: Metadata;
  try {
    info = await open().metadata();
  } catch (e) {
    if (/pixel limit/i.test(String(e))) throw tooLarge();
    throw refused();
  }
  if (!info.width || !info.height) throw refused();
  const frameHeight = info.pageHeight ?? info.height;
  const pages = info.pages ?? 1;
  if (info.width * frameHeight * pages > MAX_INPUT_PIXELS) throw tooLarge();
  const isAnimated = animated && pages > 1;

  // libvips takes load options after a file name; sharp has no option of its own for this.
  const halfScale =
    typeof input === "string" &&
    info.format === "jpeg" &&
    info.width * info.height >= HALF_SCALE_MIN_INPUT_PIXELS;
  // libjpeg rounds a half-scale decode's sides up.
  const decodedWidth = halfScale ? Math.ceil(info.width / 2) : info.width;
  const decodedHeight = halfScale ? Math.ceil(frameHeight / 2) : frameHeight;
  // EXIF orientation swaps the sides of quarter-turned images.
  const turned = (info.orientation ?? 1) >= 5;
  const [w0, h0] = turned ? [decodedHeight, decodedWidth] : [decodedWidth, decodedHeight];
  const [w, h] = fitPixels(w0, h0, MAX_OUTPUT_PIXELS);
  const resize = { width: w, height: h, fit: "fill" as const };

  try {
    // No withMetadata(): sharp writes no EXIF, XMP or IPTC, and converts to sRGB.
    let base = (halfScale ? open(`${input}[shrink=2]`) : open()).rotate();
    if (w !== w0 || h !== h0) base = base.resize(resize);
    let original: ProcessedFile;
    let frame: Sharp;
    if (isAnimated) {
      // Kept animated (Mastodon makes a muted MP4 of a GIF; that needs ffmpeg): a GIF stays
      // a GIF, an animated WebP a WebP. The preview is the first frame.
      const gif = detected.mime === "image/gif";
      const out = gif
        ? await base.gif().toBuffer({ resolveWithObject: true })
        : await base.webp({ quality: 85 }).toBuffer({ resolveWithObject: true });
      original = {
        bytes: out.data,
        mime: gif ? "image/gif" : "image/webp",
        extension: gif ? "gif" : "webp",
        width: out.info.width,
        height: out.info.pageHeight ?? out.info.height,
      };
      frame = sharp(out.data, { animated: false });
    } else if (detected.mime === "image/jpeg") {
      // A photo is encoded straight from the decoder, and the preview and blurhash are made
      // from that encoded original (decoded again at reduced scale: ~45 ms for a 3000×2000
      // original of 2 MB): no full-size pixels reach JavaScript, where each upload's tens of
      // MB of buffers cost a full garbage collection.
      // Without Huffman optimisation: about 8% larger, but the encode of a full-size original
      // drops from ~150 ms to ~45 ms of CPU (docs/benchmarks.md, media).
      const out = await base
        .jpeg({ quality: 85, optimiseCoding: false })
        .toBuffer({ resolveWithObject: true });
      original = {
        bytes: out.data,
        mime: "image/jpeg",
        extension: "jpg",
        width: out.info.width,
        height: out.info.height,
      };
      frame = sharp(out.data);
    } else {
      // Decoded once into raw pixels at the final size; the original, the preview and the
      // blurhash are all made from them, so the large input is decoded a single time.
      const raw = await base.raw().toBuffer({ resolveWithObject: true });
      const pixels = () =>
        sharp(raw.data, {
          raw: { width: raw.info.width, height: raw.info.height, channels: raw.info.channels },
        });
      let out: { data: Buffer; info: OutputInfo };
      let mime: string;
      let extension: string;
      if (detected.mime === "image/webp") {
        out = await pixels().webp({ quality: 85 }).toBuffer({ resolveWithObject: true });
        [mime, extension] = ["image/webp", "webp"];
      } else {
        // Lossless in, lossless out (screenshots, drawings, transparency).
        out = await pixels().png({ compressionLevel: 6 }).toBuffer({ resolveWithObject: true });
        [mime, extension] = ["image/png", "png"];
      }
      original = {
        bytes: out.data,
        mime,
        extension,
        width: raw.info.width,
        height: raw.info.height,
      };
      frame = pixels();
    }

    const [pw, ph] = fitPixels(original.width, original.height, PREVIEW_PIXELS);
    const small = await frame.resize(pw, ph, { fit: "fill" }).raw().toBuffer({
      resolveWithObject: true,
    });
    const smallPixels = () =>
      sharp(small.data, {
        raw: { width: small.info.width, height: small.info.height, channels: small.info.channels },
      });
    const alpha = small.info.channels === 4;
    const preview = alpha
      ? await smallPixels().webp({ quality: 80 }).toBuffer()
      : await smallPixels().jpeg({ quality: 80 }).toBuffer();
    const tiny = await smallPixels()
      .resize(32, 32, { fit: "inside" })
      .ensureAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const blurhash = encodeBlurhash(
      new Uint8ClampedArray(tiny.data),
      tiny.info.width,
      tiny.info.height,
      4,
      4,
    );
    return {
      original,
      preview: {
        bytes: preview,
        mime: alpha ? "image/webp" : "image/jpeg",
        extension: alpha ? "webp" : "jpg",
        width: small.info.width,
        height: small.info.height,
      },
      blurhash,
      meta: {
        original: sizeMeta(original.width, original.height),
        small: sizeMeta(small.info.width, small.info.height),
      },
    };
  } catch (e) {
    if (e instanceof ApiError) throw e;
    if (/pixel limit/i.test(String(e))) throw tooLarge();
    throw refused();
  }
}

function tooLarge(): ApiError {
  return ApiError.unprocessable(
    `Validation failed: File dimensions are larger than ${MAX_INPUT_PIXELS} pixels`,
  );
}

/** An avatar or header: cropped to Mastodon's sizes, metadata stripped, re-encoded. */
export async function processProfileImage(
  input: Uint8Array | string,
  detected: Detected,
  size: { width: number; height: number },
): Promise<ProcessedFile> {
  try {
    const image = sharp(input, { limitInputPixels: MAX_INPUT_PIXELS, failOn: "error" })
      .rotate()
      .resize(size.width, size.height, { fit: "cover", withoutEnlargement: true });
    const alpha = detected.mime !== "image/jpeg";
    const out = alpha
      ? await image.png().toBuffer({ resolveWithObject: true })
      : await image.jpeg({ quality: 90 }).toBuffer({ resolveWithObject: true });
    return {
      bytes: out.data,
      mime: alpha ? "image/png" : "image/jpeg",
      extension: alpha ? "png" : "jpg",
      width: out.info.width,
      height: out.info.height,
    };
  } catch (e) {
    if (/pixel limit/i.test(String(e))) throw tooLarge();
    throw refused();
  }
}
