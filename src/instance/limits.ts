// Fixed limits announced to clients in /api/v1|v2/instance `configuration`. The upload and
// status code should read these same constants so what we announce is what we enforce.
// The configurable ones (MEDIA_IMAGE_LIMIT, MEDIA_VIDEO_LIMIT, MEDIA_MAX_ATTACHMENTS) are
// announced from config.media instead; the values here are their defaults.

export const STATUS_LIMITS = {
  maxMediaAttachments: 4,
  // Every URL counts as this many characters towards max_characters, whatever its length.
  charactersReservedPerUrl: 23,
} as const;

export const MEDIA_LIMITS = {
  supportedMimeTypes: [
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "image/avif",
    "image/heic",
    "image/heif",
    "video/mp4",
    "video/webm",
    "video/quicktime",
    "video/ogg",
    "audio/mpeg",
    "audio/mp3",
    "audio/ogg",
    "audio/vorbis",
    "audio/wav",
    "audio/wave",
    "audio/x-wav",
    "audio/flac",
    "audio/aac",
    "audio/mp4",
    "audio/m4a",
    "audio/x-m4a",
    "audio/webm",
  ],
  imageSizeLimit: 16_777_216, // 16 MiB
  imageMatrixLimit: 33_177_600, // 7680×4320 pixels
  videoSizeLimit: 103_809_024, // 99 MiB
  videoFrameRateLimit: 120,
  videoMatrixLimit: 8_294_400, // 3840×2160 pixels
  descriptionLimit: 1500,
} as const;

export const POLL_LIMITS = {
  maxOptions: 4,
  maxCharactersPerOption: 50,
  minExpiration: 300, // 5 minutes
  maxExpiration: 2_629_746, // one month
} as const;

export const ACCOUNT_LIMITS = {
  maxFeaturedTags: 10,
  maxPinnedStatuses: 5,
} as const;
