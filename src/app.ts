// The HTTP application: middleware order, then routes. Handlers live in src/api.
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import { federationMiddleware } from "../federation/middleware.ts";
import { healthRoutes } from "./api/health.ts";
import { accountStatusesRoutes } from "./api/mastodon/account-statuses.ts";
import { accountRoutes } from "./api/mastodon/accounts.ts";
import { accountRelationshipRoutes } from "./api/mastodon/accounts-relationships.ts";
import { adminAccountRoutes } from "./api/mastodon/admin/accounts.ts";
import { adminActionLogRoutes } from "./api/mastodon/admin/action-logs.ts";
import { adminAnalyticsRoutes } from "./api/mastodon/admin/analytics.ts";
import { adminAnnouncementRoutes } from "./api/mastodon/admin/announcements.ts";
import { adminCanonicalEmailBlockRoutes } from "./api/mastodon/admin/canonical-email-blocks.ts";
import { adminDomainAllowRoutes } from "./api/mastodon/admin/domain-allows.ts";
import { adminDomainBlockRoutes } from "./api/mastodon/admin/domain-blocks.ts";
import { adminEmailDomainBlockRoutes } from "./api/mastodon/admin/email-domain-blocks.ts";
import { adminIpBlockRoutes } from "./api/mastodon/admin/ip-blocks.ts";
import { adminReportRoutes } from "./api/mastodon/admin/reports.ts";
import { adminRuleRoutes } from "./api/mastodon/admin/rules.ts";
import { adminSettingsRoutes } from "./api/mastodon/admin/settings.ts";
import { adminTrendRoutes } from "./api/mastodon/admin/trends.ts";
import { announcementRoutes } from "./api/mastodon/announcements.ts";
import { appsRoutes } from "./api/mastodon/apps.ts";
import { conversationRoutes } from "./api/mastodon/conversations.ts";
import { credentialRoutes } from "./api/mastodon/credentials.ts";
import { domainBlockRoutes } from "./api/mastodon/domain-blocks.ts";
import { featuredTagRoutes } from "./api/mastodon/featured-tags.ts";
import { filterRoutes } from "./api/mastodon/filters.ts";
import { filterV1Routes } from "./api/mastodon/filters-v1.ts";
import { followRequestRoutes } from "./api/mastodon/follow-requests.ts";
import { instanceRoutes } from "./api/mastodon/instance.ts";
import { launchRoutes } from "./api/mastodon/launch.ts";
import { launchExtraRoutes } from "./api/mastodon/launch-extras.ts";
import { listRoutes } from "./api/mastodon/lists.ts";
import { listsOfThingsRoutes } from "./api/mastodon/lists-of-things.ts";
import { markerRoutes } from "./api/mastodon/markers.ts";
import { mediaRoutes } from "./api/mastodon/media.ts";
import { notificationRequestRoutes } from "./api/mastodon/notification-requests.ts";
import { notificationRoutes } from "./api/mastodon/notifications.ts";
import { notificationV2Routes } from "./api/mastodon/notifications-v2.ts";
import { pollRoutes } from "./api/mastodon/polls.ts";
import { profileRoutes } from "./api/mastodon/profile.ts";
import { pushRoutes } from "./api/mastodon/push.ts";
import { registrationRoutes } from "./api/mastodon/registrations.ts";
import { reportRoutes } from "./api/mastodon/reports.ts";
import { scheduledStatusRoutes } from "./api/mastodon/scheduled-statuses.ts";
import { searchRoutes } from "./api/mastodon/search.ts";
import { statusRoutes } from "./api/mastodon/statuses.ts";
import { statusActionRoutes } from "./api/mastodon/statuses-actions.ts";
import { streamingRoutes } from "./api/mastodon/streaming.ts";
import { suggestionRoutes } from "./api/mastodon/suggestions.ts";
import { tagRoutes } from "./api/mastodon/tags.ts";
import { timelineRoutes } from "./api/mastodon/timelines.ts";
import { translationRoutes } from "./api/mastodon/translations.ts";
import { trendRoutes } from "./api/mastodon/trends.ts";
import { mediaFileRoutes } from "./api/media-files.ts";
import { oauthRoutes } from "./api/oauth/routes.ts";
import { staticAssetRoutes } from "./api/static-assets.ts";
import { wellKnownRoutes } from "./api/well-known.ts";
import { authenticate, rejectInvalidToken } from "./auth/middleware.ts";
import { ApiError, renderError } from "./http/errors.ts";
import { clientIp } from "./http/middleware/client-ip.ts";
import { corsMiddleware } from "./http/middleware/cors.ts";
import { metricsMiddleware, metricsRoute } from "./http/middleware/metrics.ts";
import { rateLimitMiddleware } from "./http/middleware/rate-limit.ts";
import { securityHeaders } from "./http/middleware/security-headers.ts";
import type { AppEnv } from "./http/types.ts";
import { uploadBodyLimits, uploadRouteFor } from "./media/limits.ts";
import { noAccessMiddleware } from "./moderation/ip-blocks.ts";
import type { Services } from "./services.ts";
import { authPageRoutes } from "./web/auth-pages.ts";
import { publicPageRoutes } from "./web/public-pages-routes.ts";

export function createApp(services: Services): Hono<AppEnv> {
  const { config } = services;
  const app = new Hono<AppEnv>();

  app.use("*", async (c, next) => {
    c.set("services", services);
    await next();
  });
  app.use("*", clientIp(config.trustProxy));
  // Addresses an admin shut out (IP blocks with severity no_access) get nothing at all.
  app.use("*", noAccessMiddleware());
  if (config.metricsEnabled) app.use("*", metricsMiddleware());
  app.use("*", securityHeaders());
  app.use("*", corsMiddleware());
  const tooLarge = () => {
    throw ApiError.payloadTooLarge();
  };
  const defaultLimit = bodyLimit({ maxSize: config.maxBodyBytes, onError: tooLarge });
  // Uploads have their own, larger limits (src/media/limits.ts); everything else the default.
  const uploadLimits = new Map(
    [...new Set(Object.values(uploadBodyLimits(config)))].map((n) => [
      n,
      bodyLimit({ maxSize: n, onError: tooLarge }),
    ]),
  );
  app.use("*", (c, next) => {
    // GET and HEAD carry no body. Asking for one would also make @hono/node-server build a
    // full fetch Request for every such request, ~0.08 ms of each home page.
    if (c.req.method === "GET" || c.req.method === "HEAD") return next();
    const upload = uploadRouteFor(config, c.req.method, c.req.path);
    if (!upload) return defaultLimit(c, next);
    // Upload bodies are not read here: hono's limit would buffer a body without a length
    // whole, and touching the body at all routes the file through a copying web stream. A
    // declared length is checked at once; a streamed multipart body is bounded as it goes
    // to disk (src/media/upload.ts).
    const length = c.req.header("content-length");
    if (length !== undefined && !c.req.header("transfer-encoding"))
      return Number(length) > upload.limit ? tooLarge() : next();
    const multipart = /^multipart\/form-data/i.test(c.req.header("content-type") ?? "");
    if (upload.streamed && multipart) return next();
    return uploadLimits.get(upload.limit)!(c, next);
  });
  // ActivityPub and WebFinger (Fedify) before the routes; other paths pass straight through.
  app.use("*", federationMiddleware(services));
  // Authenticate first so limits are per valid token; a bad token counts against the IP.
  app.use("/api/*", authenticate());
  app.use("/api/*", rateLimitMiddleware(services));
  app.use("/api/*", rejectInvalidToken());
  app.use("/oauth/*", rateLimitMiddleware(services));

  app.route("/", healthRoutes(services));
  if (config.metricsEnabled) app.route("/", metricsRoute(services));
  app.route("/", wellKnownRoutes(services));
  app.route("/", oauthRoutes());
  app.route("/", authPageRoutes());
  // Profile and post pages for browsers (ActivityPub clients get JSON from Fedify first).
  app.route("/", publicPageRoutes());
  app.route("/", staticAssetRoutes());
  app.route("/", mediaFileRoutes(services));
  app.route("/api", instanceRoutes(services));
  app.route("/api", appsRoutes());
  // Before any `/v1/accounts/:id` route, so the fixed paths win.
  app.route("/api", credentialRoutes());
  app.route("/api", registrationRoutes());
  // Before the notification routes: `/notifications/policy` is not a notification id.
  app.route("/api", launchExtraRoutes());
  // Mastodon API resources: one line each (statuses, accounts, timelines, ...).
  app.route("/api", accountRelationshipRoutes()); // before accountRoutes: fixed paths
  app.route("/api", accountRoutes());
  app.route("/api", followRequestRoutes());
  app.route("/api", timelineRoutes());
  app.route("/api", listRoutes());
  app.route("/api", notificationRequestRoutes()); // before notificationRoutes: fixed paths
  app.route("/api", notificationRoutes());
  app.route("/api", notificationV2Routes());
  app.route("/api", markerRoutes());
  app.route("/api", statusRoutes());
  app.route("/api", pollRoutes());
  app.route("/api", statusActionRoutes());
  app.route("/api", accountStatusesRoutes());
  app.route("/api", searchRoutes());
  app.route("/api", tagRoutes());
  app.route("/api", trendRoutes());
  app.route("/api", suggestionRoutes());
  app.route("/api", listsOfThingsRoutes());
  app.route("/api", launchRoutes());
  app.route("/api", filterRoutes());
  app.route("/api", filterV1Routes());
  app.route("/api", conversationRoutes());
  app.route("/api", pushRoutes());
  app.route("/api", streamingRoutes());
  app.route("/api", mediaRoutes());
  app.route("/api", adminDomainBlockRoutes());
  app.route("/api", adminDomainAllowRoutes());
  app.route("/api", adminEmailDomainBlockRoutes());
  app.route("/api", adminCanonicalEmailBlockRoutes());
  app.route("/api", adminIpBlockRoutes());
  app.route("/api", adminRuleRoutes());
  app.route("/api", adminSettingsRoutes());
  app.route("/api", scheduledStatusRoutes());
  app.route("/api", domainBlockRoutes());
  app.route("/api", featuredTagRoutes());
  app.route("/api", profileRoutes());
  app.route("/api", translationRoutes());
  app.route("/api", reportRoutes());
  app.route("/api", adminAccountRoutes());
  app.route("/api", adminReportRoutes());
  app.route("/api", adminActionLogRoutes());
  app.route("/api", adminAnalyticsRoutes());
  app.route("/api", adminTrendRoutes());
  app.route("/api", announcementRoutes());
  app.route("/api", adminAnnouncementRoutes());
  // -- end of API resources --

  app.all("/api/*", () => {
    throw ApiError.notFound("Record not found");
  });
  app.notFound((c) => {
    if (c.req.path.startsWith("/api/") || c.req.path.startsWith("/oauth/")) {
      return c.json({ error: "Record not found" }, 404);
    }
    return c.text("Not found", 404);
  });
  app.onError(renderError);
  return app;
}
