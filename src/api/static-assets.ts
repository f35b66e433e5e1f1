// The placeholder images Mastodon serves for accounts without an avatar or header. Apps
// load these URLs from Account entities, so they must exist; they never change, hence the
// year-long immutable caching.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { Hono } from "hono";
import type { AppEnv } from "../http/types.ts";

const PUBLIC_DIR = path.resolve(fileURLToPath(import.meta.url), "../../../public");

const ASSETS = ["/avatars/original/missing.png", "/headers/original/missing.png"] as const;

export function staticAssetRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  for (const asset of ASSETS) {
    // Tiny files: read once at start-up rather than on every request.
    const body = readFileSync(path.join(PUBLIC_DIR, asset));
    app.get(asset, (c) =>
      c.body(new Uint8Array(body), 200, {
        "Content-Type": "image/png",
        "Cache-Control": "public, max-age=31536000, immutable",
      }),
    );
  }
  return app;
}
