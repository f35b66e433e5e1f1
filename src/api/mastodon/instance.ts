// Server information for clients: /api/v1/instance (the pre-4.0 shape many clients still read
// first), /api/v2/instance and the small /api/v1/instance/* lists. Public, no token needed.
import { Hono } from "hono";
import { serializeAccount } from "../../accounts/serializers.ts";
import type { Config } from "../../config.ts";
import { ApiError } from "../../http/errors.ts";
import type { AppEnv } from "../../http/types.ts";
import { ACCOUNT_LIMITS, MEDIA_LIMITS, POLL_LIMITS, STATUS_LIMITS } from "../../instance/limits.ts";
import {
  type DomainBlocksExposure,
  getInstanceSettings,
  type InstanceSettings,
} from "../../instance/settings.ts";
import { instanceActivity, instancePeers, instanceStats } from "../../instance/stats.ts";
import { serializePublicDomainBlock } from "../../moderation/domain-blocks.ts";
import { getVapidKeys } from "../../push/vapid.ts";
import type { Services } from "../../services.ts";
import { MASTODON_API_LEVEL, SOURCE_URL, VERSION_STRING } from "../../version.ts";

export function instanceRoutes(services: Services): Hono<AppEnv> {
  const { config, db } = services;
  const app = new Hono<AppEnv>();
  const settings = () => getInstanceSettings(db, config);
  const contactAccount = async (s: InstanceSettings) => {
    if (!s.contactUsername) return null;
    const account = await db
      .selectFrom("accounts")
      .selectAll()
      .where("domain", "is", null)
      .where("username", "=", s.contactUsername)
      .where("suspended_at", "is", null)
      .executeTakeFirst();
    return account ? serializeAccount(account, config) : null;
  };

  app.get("/v1/instance", async (c) => {
    const s = await settings();
    const counts = await instanceStats(services);
    return c.json({
      uri: config.domain,
      title: s.title,
      short_description: s.description,
      description: s.description,
      email: s.contactEmail,
      version: VERSION_STRING,
      urls: { streaming_api: streamingUrl(config) },
      stats: {
        user_count: counts.users,
        status_count: counts.localPosts,
        domain_count: counts.knownDomains,
      },
      thumbnail: s.thumbnailUrl,
      languages: s.languages,
      registrations: s.registrations !== "closed",
      approval_required: s.registrations === "approval",
      invites_enabled: false,
      configuration: {
        accounts: { max_featured_tags: ACCOUNT_LIMITS.maxFeaturedTags },
        statuses: statusesConfiguration(s, config),
        media_attachments: mediaConfiguration(config),
        polls: pollsConfiguration(),
      },
      contact_account: await contactAccount(s),
      rules: s.rules,
    });
  });

  app.get("/v2/instance", async (c) => {
    const s = await settings();
    const counts = await instanceStats(services);
    const vapid = await getVapidKeys(db);
    return c.json({
      domain: config.domain,
      title: s.title,
      version: VERSION_STRING,
      // AGPL: clients link here. Until package.json names a repository, point at ourselves.
      source_url: SOURCE_URL ?? config.publicUrl,
      description: s.description,
      usage: { users: { active_month: counts.activeMonth } },
      thumbnail: { url: s.thumbnailUrl ?? defaultThumbnailUrl(config) },
      icon: [],
      languages: s.languages,
      configuration: {
        urls: { streaming: streamingUrl(config), status: null },
        // The key clients pass to PushManager.subscribe for /api/v1/push/subscription.
        vapid: { public_key: vapid.publicKey },
        accounts: {
          max_featured_tags: ACCOUNT_LIMITS.maxFeaturedTags,
          max_pinned_statuses: ACCOUNT_LIMITS.maxPinnedStatuses,
        },
        statuses: statusesConfiguration(s, config),
        media_attachments: {
          ...mediaConfiguration(config),
          description_limit: MEDIA_LIMITS.descriptionLimit,
        },
        polls: pollsConfiguration(),
        translation: { enabled: false },
      },
      registrations: {
        enabled: s.registrations !== "closed",
        approval_required: s.registrations === "approval",
        message: s.registrations === "closed" ? s.registrationsMessage : null,
        url: null,
      },
      api_versions: { mastodon: MASTODON_API_LEVEL },
      contact: { email: s.contactEmail, account: await contactAccount(s) },
      rules: s.rules,
    });
  });

  app.get("/v1/instance/peers", async (c) => c.json(await instancePeers(services)));

  app.get("/v1/instance/activity", async (c) => c.json(await instanceActivity(services)));

  app.get("/v1/instance/rules", async (c) => {
    const s = await settings();
    return c.json(s.rules);
  });

  app.get("/v1/instance/extended_description", async (c) => {
    const s = await settings();
    return c.json({
      // The schema requires a timestamp; the epoch marks "never edited".
      updated_at: (s.extendedDescriptionUpdatedAt ?? new Date(0)).toISOString(),
      content: plainTextToHtml(s.extendedDescription),
    });
  });

  // The moderated servers, as public as the admin chose (Mastodon's show_domain_blocks):
  // "all", "users" (signed-in users only) or "disabled"; hidden is a 404, as in Mastodon.
  app.get("/v1/instance/domain_blocks", async (c) => {
    const s = await settings();
    const signedIn = Boolean(c.get("auth")?.user);
    const shown = (level: DomainBlocksExposure) =>
      level === "all" || (level === "users" && signedIn);
    if (!shown(s.showDomainBlocks)) throw ApiError.notFound();
    const rows = await db
      .selectFrom("domain_blocks")
      .selectAll()
      // Mastodon's "user-facing limitations": noop blocks matter only if media is rejected.
      .where((eb) => eb.or([eb("severity", "!=", "noop"), eb("reject_media", "=", true)]))
      .orderBy("domain")
      .execute();
    const withComment = shown(s.showDomainBlocksRationale);
    return c.json(rows.map((row) => serializePublicDomainBlock(row, withComment)));
  });

  return app;
}

function statusesConfiguration(s: InstanceSettings, config: Config) {
  return {
    max_characters: s.maxStatusChars,
    max_media_attachments: config.media.maxAttachments,
    characters_reserved_per_url: STATUS_LIMITS.charactersReservedPerUrl,
  };
}

function mediaConfiguration(config: Config) {
  return {
    supported_mime_types: [...MEDIA_LIMITS.supportedMimeTypes],
    image_size_limit: config.media.imageLimit,
    image_matrix_limit: MEDIA_LIMITS.imageMatrixLimit,
    video_size_limit: config.media.videoLimit,
    video_frame_rate_limit: MEDIA_LIMITS.videoFrameRateLimit,
    video_matrix_limit: MEDIA_LIMITS.videoMatrixLimit,
  };
}

function pollsConfiguration() {
  return {
    max_options: POLL_LIMITS.maxOptions,
    max_characters_per_option: POLL_LIMITS.maxCharactersPerOption,
    min_expiration: POLL_LIMITS.minExpiration,
    max_expiration: POLL_LIMITS.maxExpiration,
  };
}

/** The streaming API shares our origin; clients want the WebSocket scheme. */
export function streamingUrl(config: Pick<Config, "publicUrl">): string {
  return config.publicUrl.replace(/^http/, "ws");
}

function defaultThumbnailUrl(config: Pick<Config, "publicUrl">): string {
  // v2 requires a thumbnail object. TODO(media): serve a real default banner at this path.
  return `${config.publicUrl}/images/thumbnail.png`;
}

/** Admins write plain text; clients expect HTML. Escape it, keep paragraphs and line breaks. */
export function plainTextToHtml(text: string): string {
  const trimmed = text.trim();
  if (trimmed === "") return "";
  return trimmed
    .split(/\r?\n\s*\r?\n/)
    .map((para) => `<p>${escapeHtml(para).replace(/\r?\n/g, "<br>")}</p>`)
    .join("");
}

function escapeHtml(s: string): string {
  return s
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;")
    .replaceAll("'", "&#39;");
}
