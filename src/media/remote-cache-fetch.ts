// Downloads one remote media file for the cache, with the guards federation uses: every
// hop (redirects included) is checked against the private-address rule unless
// FEDERATION_ALLOW_PRIVATE_ADDRESS is set, the whole download has a deadline, and the
// body is streamed to a temporary file and cut off as soon as it passes the size limit,
// so a lying or missing Content-Length costs at most `maxBytes` of disk and no memory.
import { createWriteStream } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import path from "node:path";
import { Readable, Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { validatePublicUrl } from "@fedify/vocab-runtime";
import type { Config } from "../config.ts";
import { newId } from "../infra/ids.ts";
import { ROOST_VERSION } from "../version.ts";
import { type Detected, detectMedia } from "./detect.ts";
import { type Upload, uploadFromDisk } from "./upload.ts";

const MAX_REDIRECTS = 5;
export const REMOTE_FETCH_TIMEOUT_MS = 60_000;

/**
 * A download that can never succeed as it is (refused address, 4xx, too large, not a media
 * type): the job gives up instead of retrying. Other errors (timeouts, 5xx) are retried.
 */
export class RemoteMediaRefused extends Error {
  override name = "RemoteMediaRefused";
}

export interface FetchedMedia {
  upload: Upload;
  detected: Detected;
  /** Removes the temporary file. */
  cleanup(): Promise<void>;
}

export interface FetchOptions {
  /** Bytes allowed before the type is known; the type's own limit is checked after. */
  maxBytes: number;
  /** The limit for the detected type (images have a smaller one than video). */
  limitFor(detected: Detected): number;
  timeoutMs?: number;
}

class TooLarge extends Error {}

/** Fetches `url` into DATA_DIR/tmp; throws RemoteMediaRefused for what retrying won't fix. */
export async function fetchRemoteMedia(
  config: Config,
  url: string,
  options: FetchOptions,
): Promise<FetchedMedia> {
  const signal = AbortSignal.timeout(options.timeoutMs ?? REMOTE_FETCH_TIMEOUT_MS);
  let current = url;
  let response: Response;
  for (let hop = 0; ; hop++) {
    await checkUrl(config, current);
    response = await fetch(current, {
      redirect: "manual",
      signal,
      headers: {
        "user-agent": `Roost/${ROOST_VERSION} (+${config.publicUrl}/)`,
        accept: "image/*, video/*, audio/*",
      },
    });
    const location = response.headers.get("location");
    if (response.status >= 300 && response.status < 400 && location) {
      await response.body?.cancel();
      if (hop >= MAX_REDIRECTS) throw new RemoteMediaRefused(`Too many redirects: ${url}`);
      current = new URL(location, current).href;
      continue;
    }
    break;
  }
  if (!response.ok || !response.body) {
    await response.body?.cancel();
    const message = `Fetching ${current} answered ${response.status}`;
    // A server error may pass; a 4xx (gone, forbidden) will not.
    if (response.status >= 500 || response.status === 429) throw new Error(message);
    throw new RemoteMediaRefused(message);
  }
  const declared = Number(response.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > options.maxBytes) {
    await response.body.cancel();
    throw new RemoteMediaRefused(`${current} is larger than ${options.maxBytes} bytes`);
  }

  const dir = path.join(config.dataDir, "tmp", "remote-media");
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, newId());
  const cleanup = () => rm(file, { force: true });
  let size = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      size += chunk.length;
      // Stops the download mid-stream: nothing past the limit is read, let alone kept.
      if (size > options.maxBytes) done(new TooLarge());
      else done(null, chunk);
    },
  });
  try {
    await pipeline(Readable.fromWeb(response.body as never), counter, createWriteStream(file));
  } catch (error) {
    await cleanup();
    if (error instanceof TooLarge) {
      throw new RemoteMediaRefused(`${current} is larger than ${options.maxBytes} bytes`);
    }
    throw error;
  }
  const upload = uploadFromDisk(file, size);
  // The type comes from the bytes; the server's Content-Type is only its word.
  const detected = size > 0 ? detectMedia(await upload.head()) : undefined;
  if (!detected) {
    await cleanup();
    throw new RemoteMediaRefused(`${current} is not a supported media type`);
  }
  if (size > options.limitFor(detected)) {
    await cleanup();
    throw new RemoteMediaRefused(`${current} is over the ${detected.type} size limit`);
  }
  return { upload, detected, cleanup };
}

async function checkUrl(config: Config, url: string): Promise<void> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new RemoteMediaRefused(`Not a URL: ${url}`);
  }
  if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
    throw new RemoteMediaRefused(`Not an HTTP URL: ${url}`);
  }
  if (config.allowPrivateAddress) return;
  try {
    await validatePublicUrl(url);
  } catch (error) {
    throw new RemoteMediaRefused(`Refused ${url}: ${(error as Error).message}`);
  }
}
