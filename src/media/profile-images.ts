// Avatars and headers of local accounts: cropped to Mastodon's sizes, stripped of metadata,
// stored under a fresh key each time (so caches never show a stale picture) and referenced
// by URL from accounts.avatar_url / header_url, which the serializers and actors already use.

import { ApiError } from "../http/errors.ts";
import { newId } from "../infra/ids.ts";
import type { Services } from "../services.ts";
import { imageInput, readUpload } from "./media-files.ts";
import { processingSlots, processProfileImage } from "./process.ts";
import { mediaStorage } from "./storage.ts";

export type ProfileImageKind = "avatar" | "header";

export const PROFILE_IMAGE_SIZES = {
  avatar: { width: 400, height: 400 },
  header: { width: 1500, height: 500 },
} as const;

/** Processes and stores an uploaded avatar or header; returns its public URL. */
export async function storeProfileImage(
  services: Services,
  accountId: string,
  kind: ProfileImageKind,
  file: unknown,
): Promise<string> {
  const { upload, detected } = await readUpload(services, file);
  if (detected.type !== "image") {
    throw ApiError.unprocessable(
      `Validation failed: ${kind === "avatar" ? "Avatar" : "Header"} content type is invalid`,
    );
  }
  const processed = await processingSlots(services.config.media.concurrency).run(async () =>
    processProfileImage(await imageInput(upload), detected, PROFILE_IMAGE_SIZES[kind]),
  );
  const storage = mediaStorage(services.config);
  const key = `accounts/${kind}s/${accountId}/${newId()}.${processed.extension}`;
  await storage.put(key, processed.bytes, processed.mime);
  return storage.url(key);
}

/** Deletes the file behind a URL when it is one of ours (remote URLs are left alone). */
export async function deleteProfileImage(services: Services, url: string | null): Promise<void> {
  if (!url) return;
  const storage = mediaStorage(services.config);
  const prefix = storage.url("");
  if (!url.startsWith(prefix)) return;
  const key = url.slice(prefix.length);
  if (key.startsWith("accounts/")) await storage.delete([key]).catch(() => {});
}
