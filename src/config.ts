// The one place that reads the environment. Everything else receives a Config.
import { existsSync } from "node:fs";
import path from "node:path";
import { z } from "zod";

export class ConfigError extends Error {
  override name = "ConfigError";
}

const bool = z
  .enum(["true", "false", "1", "0", "yes", "no", ""])
  .transform((v) => v === "true" || v === "1" || v === "yes");

const port = z.coerce.number().int().min(0).max(65535);

const url = (protocols: string[]) =>
  z.string().refine(
    (v) => {
      try {
        return protocols.includes(new URL(v).protocol);
      } catch {
        return false;
      }
    },
    `must be a URL starting with ${protocols.map((p) => `${p}//`).join(" or ")}`,
  );

const schema = z.object({
  PUBLIC_URL: url(["http:", "https:"]).default("http://localhost:3000"),
  PORT: port.default(3000),
  HOST: z.string().min(1).default("0.0.0.0"),
  DATA_DIR: z.string().min(1).default("./data"),
  DATABASE_URL: url(["postgres:", "postgresql:"]).optional(),
  REDIS_URL: url(["redis:", "rediss:"]).optional(),
  // Namespaces every Redis key and channel, so instances (or test runs) can share one Redis.
  REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/, "may hold only letters, digits, '_', '.' and '-'")
    .default("roost"),
  NODE_ROLE: z.enum(["all", "web", "worker"]).default("all"),
  // Connections each process keeps to PostgreSQL (not used with the embedded database).
  DB_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  // HTTP processes sharing the port (Node's cluster): one per core uses them all.
  WEB_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(1),
  // Read, not set: V8 flags given here win over Roost's own (src/infra/gc-tuning.ts).
  NODE_OPTIONS: z.string().optional(),
  SECRET_KEY: z.string().min(32, "must be at least 32 characters").optional(),
  SMTP_URL: url(["smtp:", "smtps:"]).optional(),
  MAIL_FROM: z.string().min(3).optional(),
  // Seconds a notification email waits to gather the notifications that follow it.
  NOTIFICATION_EMAIL_DELAY: z.coerce.number().min(0).max(86_400).default(300),
  TRUST_PROXY: bool.default(false),
  FEDERATION_ALLOW_PRIVATE_ADDRESS: bool.default(false),
  // Allowlist federation (Mastodon's LIMITED_FEDERATION_MODE): only admin-allowed domains.
  LIMITED_FEDERATION_MODE: bool.default(false),
  // Trends: unreviewed hashtags and posts stay off the public trends until staff approve them.
  TRENDS_REQUIRE_REVIEW: bool.default(false),
  // The daily report mailed to admins (new users, activity, open reports): hour of day, UTC.
  ADMIN_REPORT_HOUR: z.coerce.number().int().min(0).max(23).default(6),
  ADMIN_REPORT_ENABLED: bool.default(true),
  LOG_LEVEL: z.enum(["trace", "debug", "info", "warning", "error", "fatal"]).default("info"),
  INSTANCE_TITLE: z.string().min(1).max(200).default("Roost"),
  INSTANCE_DESCRIPTION: z.string().max(5000).default("A Roost community."),
  INSTANCE_CONTACT_EMAIL: z.string().default(""),
  REGISTRATIONS: z.enum(["open", "approval", "closed"]).default("open"),
  MAX_STATUS_CHARS: z.coerce.number().int().min(1).max(100_000).default(500),
  MAX_BODY_BYTES: z.coerce.number().int().min(1024).default(1_048_576),
  RATE_LIMIT: bool.default(true),
  // How long a process may answer reads with a token it looked up (src/auth/token-cache.ts).
  TOKEN_CACHE_TTL_MS: z.coerce.number().int().min(0).max(60_000).default(1000),
  RATE_LIMIT_EXEMPT_LOOPBACK: bool.default(true),
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(8),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(10_000),
  METRICS_ENABLED: bool.default(true),
  // Media storage: local disk under DATA_DIR unless S3_BUCKET is set.
  S3_ENDPOINT: url(["http:", "https:"]).optional(),
  S3_BUCKET: z.string().min(3).max(63).optional(),
  S3_REGION: z.string().min(1).default("us-east-1"),
  S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  S3_PUBLIC_URL: url(["http:", "https:"]).optional(),
  S3_FORCE_PATH_STYLE: bool.default(false),
  // Upload limits (Mastodon's: images 16 MiB, video and audio 99 MiB) and processing.
  MEDIA_IMAGE_LIMIT: z.coerce.number().int().min(1024).default(16_777_216),
  MEDIA_VIDEO_LIMIT: z.coerce.number().int().min(1024).default(103_809_024),
  MEDIA_MAX_ATTACHMENTS: z.coerce.number().int().min(1).max(20).default(4),
  MEDIA_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
  // Remote attachments, avatars and headers: false shows them by their own URLs; true
  // fetches a copy in a worker job and serves it from the media storage.
  REMOTE_MEDIA_CACHE: bool.default(false),
  // Tracing is on when an OTLP endpoint is set; the exporter reads the other OTEL_* itself.
  OTEL_EXPORTER_OTLP_ENDPOINT: url(["http:", "https:"]).optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: url(["http:", "https:"]).optional(),
  OTEL_SERVICE_NAME: z.string().min(1).default("roost"),
});

export type Config = ReturnType<typeof toConfig>;

// PGlite lives inside one process: splitting roles needs a shared PostgreSQL.
const checked = schema.superRefine((env, ctx) => {
  if (env.NODE_ROLE !== "all" && !env.DATABASE_URL) {
    ctx.addIssue({
      code: "custom",
      path: ["NODE_ROLE"],
      message: `=${env.NODE_ROLE} needs DATABASE_URL (the embedded database serves one process only)`,
    });
  }
  // Children split the streaming clients and the rate limits between them: they must share
  // pub/sub and counters, which only Redis provides across processes.
  if (env.WEB_CONCURRENCY > 1 && (!env.DATABASE_URL || !env.REDIS_URL)) {
    ctx.addIssue({
      code: "custom",
      path: ["WEB_CONCURRENCY"],
      message:
        "above 1 needs DATABASE_URL and REDIS_URL (processes share the database, live events and rate limits)",
    });
  }
});

function toConfig(env: z.infer<typeof schema>) {
  const publicUrl = new URL(env.PUBLIC_URL);
  return {
    publicUrl: publicUrl.origin,
    /** The handle domain: `@user@<domain>`. */
    domain: publicUrl.host,
    port: env.PORT,
    host: env.HOST,
    dataDir: path.resolve(env.DATA_DIR),
    databaseUrl: env.DATABASE_URL,
    redisUrl: env.REDIS_URL,
    redisPrefix: env.REDIS_PREFIX,
    dbPoolSize: env.DB_POOL_SIZE,
    role: env.NODE_ROLE,
    webConcurrency: env.WEB_CONCURRENCY,
    nodeOptions: env.NODE_OPTIONS,
    secretKey: env.SECRET_KEY,
    smtpUrl: env.SMTP_URL,
    mailFrom: env.MAIL_FROM ?? `Roost <notifications@${publicUrl.hostname}>`,
    notificationEmailDelayMs: Math.round(env.NOTIFICATION_EMAIL_DELAY * 1000),
    trustProxy: env.TRUST_PROXY,
    trendsRequireReview: env.TRENDS_REQUIRE_REVIEW,
    adminReportHour: env.ADMIN_REPORT_HOUR,
    adminReportEnabled: env.ADMIN_REPORT_ENABLED,
    allowPrivateAddress: env.FEDERATION_ALLOW_PRIVATE_ADDRESS,
    limitedFederationMode: env.LIMITED_FEDERATION_MODE,
    logLevel: env.LOG_LEVEL,
    instance: {
      title: env.INSTANCE_TITLE,
      description: env.INSTANCE_DESCRIPTION,
      contactEmail: env.INSTANCE_CONTACT_EMAIL,
      registrations: env.REGISTRATIONS,
      maxStatusChars: env.MAX_STATUS_CHARS,
    },
    maxBodyBytes: env.MAX_BODY_BYTES,
    tokenCacheTtlMs: env.TOKEN_CACHE_TTL_MS,
    rateLimit: { enabled: env.RATE_LIMIT, exemptLoopback: env.RATE_LIMIT_EXEMPT_LOOPBACK },
    workerConcurrency: env.WORKER_CONCURRENCY,
    shutdownTimeoutMs: env.SHUTDOWN_TIMEOUT_MS,
    metricsEnabled: env.METRICS_ENABLED,
    s3: env.S3_BUCKET
      ? {
          endpoint: env.S3_ENDPOINT,
          bucket: env.S3_BUCKET,
          region: env.S3_REGION,
          accessKeyId: env.S3_ACCESS_KEY_ID,
          secretAccessKey: env.S3_SECRET_ACCESS_KEY,
          publicUrl: env.S3_PUBLIC_URL,
          forcePathStyle: env.S3_FORCE_PATH_STYLE,
        }
      : undefined,
    media: {
      imageLimit: env.MEDIA_IMAGE_LIMIT,
      videoLimit: env.MEDIA_VIDEO_LIMIT,
      maxAttachments: env.MEDIA_MAX_ATTACHMENTS,
      /** Images processed at once per process: bounds peak memory. */
      concurrency: env.MEDIA_CONCURRENCY,
      /** Fetch and serve copies of remote media (src/media/remote-cache.ts). */
      remoteCache: env.REMOTE_MEDIA_CACHE,
    },
    /** Where OpenTelemetry is configured by the standard OTEL_* variables. */
    otel: {
      endpoint: env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? env.OTEL_EXPORTER_OTLP_ENDPOINT,
      serviceName: env.OTEL_SERVICE_NAME,
    },
  };
}

/**
 * Parses an environment. Empty strings count as unset, as in most deployment tools.
 * Throws ConfigError with one line naming the variable at fault.
 */
export function parseConfig(env: Record<string, string | undefined>): Config {
  const cleaned: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== "") cleaned[k] = v;
  const result = checked.safeParse(cleaned);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const name = issue.path.join(".");
    const got = cleaned[name];
    const shown =
      got === undefined || issue.code === "custom" ? "" : ` (got ${JSON.stringify(got)})`;
    const sep = issue.message.startsWith("=") ? "" : " ";
    throw new ConfigError(`Invalid configuration: ${name}${sep}${issue.message}${shown}`);
  }
  return toConfig(result.data);
}

/** Reads `.env` (if present) into the environment, then parses it. Variables already set win. */
export function loadConfig(envFile = ".env"): Config {
  if (existsSync(envFile)) {
    try {
      process.loadEnvFile(envFile);
    } catch (e) {
      throw new ConfigError(
        `Invalid configuration: cannot read ${envFile}: ${(e as Error).message}`,
      );
    }
  }
  return parseConfig(process.env);
}
