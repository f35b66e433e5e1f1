// /api/v1/media and /api/v2/media: uploads and one's own media (and DELETE
// /api/v1/profile/avatar|header, the other way of removing an uploaded picture). v1 processes before
// answering; v2 answers 202 with url null and GET answers 206 until the worker is done.
import path from "node:path";
import type { Context } from "hono";
import { Hono } from "hono";
import { countFollowRequests, removeProfileImage } from "../../accounts/account-service.ts";
import { loadMovedAccount, serializeCredentialAccount } from "../../accounts/serializers.ts";
import { currentAccount, requireAuth } from "../../auth/middleware.ts";
import { type Params, readParams } from "../../http/body.ts";
import { ApiError } from "../../http/errors.ts";
import type { AppEnv } from "../../http/types.ts";
import { uploadRouteFor } from "../../media/limits.ts";
import { serializeMedia } from "../../media/serializer.ts";
import { createMedia, deleteMedia, findOwnMedia, updateMedia } from "../../media/service.ts";
import { asUpload, streamMultipart } from "../../media/upload.ts";

const WRITE_MEDIA = ["write", "write:media"] as const;

/** Mastodon's focus parameter: "x,y" with both in [-1, 1]. */
export function parseFocus(value: unknown): { x: number; y: number } | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  const parts = typeof value === "string" ? value.split(",") : undefined;
  const [x, y] = (parts ?? []).map((p) => Number(p.trim()));
  const ok = (n: number | undefined): n is number =>
    n !== undefined && Number.isFinite(n) && n >= -1 && n <= 1;
  if (parts?.length !== 2 || !ok(x) || !ok(y)) {
    throw ApiError.unprocessable("Validation failed: Focus must be two numbers between -1 and 1");
  }
  return { x, y };
}

function description(params: Params): string | undefined {
  const value = params.description;
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") {
    throw ApiError.unprocessable("Validation failed: Description must be a string");
  }
  return value;
}

/**
 * The upload's params. Multipart bodies are streamed: files go to DATA_DIR/tmp as they
 * arrive (bounded by the largest media limit), so a request in flight holds no copy of
 * them in memory. `done` removes the temporary files.
 */
async function uploadParams(
  c: Context<AppEnv>,
): Promise<{ params: Params; done: () => Promise<void> }> {
  const type = c.req.header("content-type") ?? "";
  if (!/^multipart\/form-data/i.test(type))
    return { params: await readParams(c), done: async () => {} };
  const { config } = c.get("services");
  const form = await streamMultipart(c, {
    tmpDir: path.join(config.dataDir, "tmp", "uploads"),
    maxFileBytes: Math.max(config.media.imageLimit, config.media.videoLimit),
    maxBodyBytes: uploadRouteFor(config, c.req.method, c.req.path)?.limit ?? config.maxBodyBytes,
    fileFields: ["file", "thumbnail"],
  });
  return { params: form.params, done: form.cleanup };
}

export function mediaRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  const upload = (async: boolean) =>
    app.post(`/${async ? "v2" : "v1"}/media`, requireAuth(WRITE_MEDIA), async (c) => {
      const services = c.get("services");
      const account = currentAccount(c);
      const { params, done } = await uploadParams(c);
      try {
        const row = await createMedia(
          services,
          account,
          {
            file: params.file,
            description: description(params),
            focus: parseFocus(params.focus),
            thumbnail: asUpload(params.thumbnail),
          },
          { async },
        );
        return c.json(
          serializeMedia(services.config, row),
          row.processing === "pending" ? 202 : 200,
        );
      } finally {
        await done();
      }
    });
  upload(false);
  upload(true);

  app.get("/v1/media/:id", requireAuth(WRITE_MEDIA), async (c) => {
    const services = c.get("services");
    const row = await findOwnMedia(services, currentAccount(c), c.req.param("id"));
    if (row.processing === "failed") {
      throw ApiError.unprocessable(
        row.processing_error ?? "Validation failed: File could not be processed",
      );
    }
    return c.json(serializeMedia(services.config, row), row.processing === "pending" ? 206 : 200);
  });

  app.put("/v1/media/:id", requireAuth(WRITE_MEDIA), async (c) => {
    const services = c.get("services");
    const { params, done } = await uploadParams(c);
    try {
      const row = await updateMedia(services, currentAccount(c), c.req.param("id"), {
        description: description(params),
        focus: parseFocus(params.focus),
        thumbnail: asUpload(params.thumbnail),
      });
      return c.json(serializeMedia(services.config, row), row.processing === "pending" ? 206 : 200);
    } finally {
      await done();
    }
  });

  app.delete("/v1/media/:id", requireAuth(WRITE_MEDIA), async (c) => {
    const services = c.get("services");
    await deleteMedia(services, currentAccount(c), c.req.param("id"));
    return c.json({});
  });

  // Back to the default picture; answers the CredentialAccount, as Mastodon 4.2+.
  for (const kind of ["avatar", "header"] as const) {
    app.delete(`/v1/profile/${kind}`, requireAuth(["write:accounts"]), async (c) => {
      const services = c.get("services");
      const viewer = currentAccount(c);
      await removeProfileImage(services, viewer.id, kind);
      const account = await services.db
        .selectFrom("accounts")
        .selectAll()
        .where("id", "=", viewer.id)
        .executeTakeFirstOrThrow();
      const user = await services.db
        .selectFrom("users")
        .selectAll()
        .where("account_id", "=", viewer.id)
        .executeTakeFirstOrThrow();
      const [moved, followRequestsCount] = await Promise.all([
        loadMovedAccount(services.db, account),
        countFollowRequests(services.db, account.id),
      ]);
      return c.json(
        serializeCredentialAccount(account, user, services.config, { moved, followRequestsCount }),
      );
    });
  }

  return app;
}
