// Request body limits of the upload routes. The global MAX_BODY_BYTES (1 MiB) would refuse
// any photo, so these routes get limits of their own, derived from the media limits; the
// exact per-type limit is checked once the file's type is known (src/media/media-files.ts).
import type { Config } from "../config.ts";

/** Room for the multipart boundaries and the other form fields around the file. */
const FORM_OVERHEAD = 256 * 1024;

export function uploadBodyLimits(config: Config) {
  const { imageLimit, videoLimit } = config.media;
  return {
    /** POST /api/v1|v2/media: one file of any type. */
    upload: Math.max(imageLimit, videoLimit) + FORM_OVERHEAD,
    /** PUT /api/v1/media/:id (a thumbnail) and update_credentials (avatar and header). */
    images: 2 * imageLimit + FORM_OVERHEAD,
  };
}

export interface UploadRoute {
  /** Bytes the whole body may hold. */
  limit: number;
  /**
   * A multipart body is streamed to disk by the handler (src/media/upload.ts), which bounds
   * it as it goes; other routes read their bodies whole.
   */
  streamed: boolean;
}

/** The upload route a request is for, or undefined for every other request. */
export function uploadRouteFor(
  config: Config,
  method: string,
  path: string,
): UploadRoute | undefined {
  const p = path.replace(/\/+$/, "");
  if (method === "POST" && (p === "/api/v1/media" || p === "/api/v2/media")) {
    return { limit: uploadBodyLimits(config).upload, streamed: true };
  }
  if (method === "PUT" && /^\/api\/v1\/media\/[^/]+$/.test(p)) {
    return { limit: uploadBodyLimits(config).images, streamed: true };
  }
  if (method === "PATCH" && p === "/api/v1/accounts/update_credentials") {
    return { limit: uploadBodyLimits(config).images, streamed: false };
  }
  return undefined;
}
