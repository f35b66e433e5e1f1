// More endpoints apps call when they start or open a profile or settings screen (the
// official app, Ivory, Ice Cubes, Phanpy, Elk): translation languages, featured tags,
// scheduled posts, the notification policy and filtered-notification requests. Roost has
// none of these features yet, so each answers with Mastodon's "empty" shape rather than a
// 404, which several apps treat as a broken server.
import { Hono } from "hono";
import { requireAuth } from "../../auth/middleware.ts";
import { pageParams } from "../../http/pagination.ts";
import type { AppEnv } from "../../http/types.ts";

const NOTIFICATIONS = ["read", "read:notifications"] as const;

export function launchExtraRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  // No translation service: no source language has targets. Public, as in Mastodon.
  app.get("/v1/instance/translation_languages", (c) => c.json({}));

  // TODO(profile features): featuring hashtags on one's profile.
  app.get("/v1/featured_tags", requireAuth(["read", "read:accounts"]), (c) => c.json([]));
  app.get("/v1/featured_tags/suggestions", requireAuth(["read", "read:accounts"]), (c) =>
    c.json([]),
  );

  // Scheduled posts are not supported; the list is validated like the real one.
  app.get("/v1/scheduled_statuses", requireAuth(["read", "read:statuses"]), (c) => {
    pageParams(c);
    return c.json([]);
  });

  // Every notification is accepted (nothing is filtered into requests), so the policy is
  // "accept" throughout and there are never pending requests.
  app.get("/v2/notifications/policy", requireAuth(NOTIFICATIONS), (c) =>
    c.json({
      for_not_following: "accept",
      for_not_followers: "accept",
      for_new_accounts: "accept",
      for_private_mentions: "accept",
      for_limited_accounts: "accept",
      summary: { pending_requests_count: 0, pending_notifications_count: 0 },
    }),
  );
  // The v1 shape (Mastodon 4.3), still called by apps that have not moved to v2.
  app.get("/v1/notifications/policy", requireAuth(NOTIFICATIONS), (c) =>
    c.json({
      filter_not_following: false,
      filter_not_followers: false,
      filter_new_accounts: false,
      filter_private_mentions: false,
      summary: { pending_requests_count: 0, pending_notifications_count: 0 },
    }),
  );
  app.get("/v1/notifications/requests", requireAuth(NOTIFICATIONS), (c) => {
    pageParams(c, { maxLimit: 80, defaultLimit: 40 });
    return c.json([]);
  });
  app.get("/v1/notifications/requests/merged", requireAuth(NOTIFICATIONS), (c) =>
    c.json({ merged: true }),
  );

  return app;
}
