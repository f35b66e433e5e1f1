// The media jobs: processing queued uploads, and the prune of day-old unattached uploads.
// Each worker process enqueues a prune every hour from a timer (not at start, so a fresh
// queue holds only what callers put there); several workers just prune more often, which
// is harmless since a prune deletes only what is already due.
import { log } from "../infra/logging.ts";
import type { Services } from "../services.ts";
import { pruneUnattachedMedia } from "./prune.ts";
import { processPendingMedia } from "./service.ts";

export const PRUNE_EVERY_MS = 60 * 60 * 1000;
const logger = log("media");

export async function runMediaProcess(services: Services, mediaId: string): Promise<void> {
  await processPendingMedia(services, mediaId);
}

export async function runMediaPrune(services: Services): Promise<void> {
  const removed = await pruneUnattachedMedia(services);
  if (removed) logger.info("Removed {removed} unattached media uploads", { removed });
}

/** Starts the hourly prune; returns the function that stops it. */
export function scheduleMediaPrune(services: Services, everyMs = PRUNE_EVERY_MS): () => void {
  const timer = setInterval(() => {
    services.queues.jobs.enqueue({ type: "media.prune" }).catch((error) => {
      logger.warning("Could not enqueue the media prune: {error}", { error });
    });
  }, everyMs);
  // Never what keeps a process alive.
  timer.unref();
  return () => clearInterval(timer);
}
