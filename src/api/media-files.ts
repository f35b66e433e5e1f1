// GET /system/<key>: local media files. Keys never change content (a new upload or
// thumbnail gets a new key), so they are cached for a year and revalidated by ETag.
// With S3 storage the bucket serves files and this route answers 404.
import { createReadStream } from "node:fs";
import { Readable } from "node:stream";
import { Hono } from "hono";
import type { AppEnv } from "../http/types.ts";
import { mimeOfExtension } from "../media/detect.ts";
import {
  IMMUTABLE_CACHE_CONTROL,
  isSafeKey,
  LocalStorage,
  mediaStorage,
} from "../media/storage.ts";
import type { Services } from "../services.ts";

export function mediaFileRoutes(services: Services): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.on(["GET", "HEAD"], "/system/*", async (c) => {
    const storage = mediaStorage(services.config);
    const key = decodeURIComponent(c.req.path.slice("/system/".length));
    // Pending raw uploads are not public: they have not been checked or stripped yet.
    if (!(storage instanceof LocalStorage) || !isSafeKey(key) || key.endsWith("/upload")) {
      return c.text("Not found", 404);
    }
    const stat = await storage.stat(key);
    if (!stat) return c.text("Not found", 404);
    const etag = `"${stat.size.toString(36)}-${Math.floor(stat.mtimeMs).toString(36)}"`;
    const headers: Record<string, string> = {
      "Cache-Control": IMMUTABLE_CACHE_CONTROL,
      ETag: etag,
      "Content-Type": mimeOfExtension(key.split(".").pop() ?? ""),
      // Served from our origin: never let a browser sniff it into something executable.
      "X-Content-Type-Options": "nosniff",
      "Content-Security-Policy": "default-src 'none'; sandbox",
    };
    const inm = c.req.header("if-none-match");
    if (inm?.split(",").some((t) => t.trim() === etag || t.trim() === `W/${etag}`)) {
      return c.body(null, 304, headers);
    }
    if (c.req.method === "HEAD") {
      return c.body(null, 200, { ...headers, "Content-Length": String(stat.size) });
    }
    // Streamed: a video may be 99 MB.
    const stream = Readable.toWeb(createReadStream(storage.pathOf(key))) as ReadableStream;
    return c.body(stream, 200, { ...headers, "Content-Length": String(stat.size) });
  });
  return app;
}
