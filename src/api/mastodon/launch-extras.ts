// More endpoints apps call when they start (the official app, Ivory, Ice Cubes, Phanpy,
// Elk). Roost has no translation service, so the list of translation languages is
// Mastodon's "empty" shape rather than a 404, which several apps treat as a broken server.
// (Featured tags, scheduled posts and the notification policy have their own files now.)
import { Hono } from "hono";
import type { AppEnv } from "../../http/types.ts";

export function launchExtraRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  // No translation service: no source language has targets. Public, as in Mastodon.
  app.get("/v1/instance/translation_languages", (c) => c.json({}));

  return app;
}
