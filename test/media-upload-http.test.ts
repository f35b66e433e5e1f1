// Uploads over a real HTTP connection, as apps send them: the multipart body is read from the
// socket's own stream (src/media/upload.ts), with or without a declared length, and bounded
// either way.
import { readdir } from "node:fs/promises";
import http from "node:http";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { uploadBodyLimits } from "../src/media/limits.ts";
import { createUserWithToken } from "./helpers/auth.ts";
import { makeImage } from "./helpers/media.ts";
import type { Json } from "./helpers/oauth.ts";
import { expectSchema } from "./helpers/openapi.ts";
import { type ServedApp, serveApp } from "./helpers/serve.ts";
import { createTestContext, type TestContext } from "./helpers/services.ts";

const FILE_LIMIT = 200_000;

let ctx: TestContext;
let served: ServedApp;
let token: string;

beforeAll(async () => {
  ctx = await createTestContext({
    MEDIA_IMAGE_LIMIT: String(FILE_LIMIT),
    MEDIA_VIDEO_LIMIT: String(FILE_LIMIT),
  });
  served = await serveApp(ctx.app.fetch);
  token = (await createUserWithToken(ctx, { username: "uploader" })).token;
});
afterAll(async () => {
  await served?.close();
  await ctx?.close();
});

const BOUNDARY = "----roost-test-boundary";

/** A multipart body holding `bytes` as the file field, split into chunks of `chunk` bytes. */
function multipart(bytes: Buffer, field = "file"): Buffer {
  return Buffer.concat([
    Buffer.from(
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="description"\r\n\r\nA test\r\n` +
        `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${field}"; filename="a.jpg"\r\n` +
        "Content-Type: image/jpeg\r\n\r\n",
    ),
    bytes,
    Buffer.from(`\r\n--${BOUNDARY}--\r\n`),
  ]);
}

interface Sent {
  status: number;
  body: Json;
}

/**
 * Sends `body` with node:http: with its length declared, or chunked (no Content-Length),
 * 16 KiB at a time, as a client streaming from disk would.
 */
function send(
  method: string,
  urlPath: string,
  body: Buffer,
  mode: "declared" | "chunked",
): Promise<Sent> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${served.url}${urlPath}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": `multipart/form-data; boundary=${BOUNDARY}`,
        ...(mode === "declared" ? { "content-length": String(body.length) } : {}),
      },
    });
    req.on("response", (res) => {
      const parts: Buffer[] = [];
      res.on("data", (d: Buffer) => parts.push(d));
      res.on("end", () => {
        const text = Buffer.concat(parts).toString("utf8");
        resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : null });
      });
    });
    // The server may answer and stop reading before the whole body is sent.
    req.on("error", reject);
    for (let i = 0; i < body.length; i += 16 * 1024) req.write(body.subarray(i, i + 16 * 1024));
    req.end();
  });
}

async function tmpFiles(): Promise<string[]> {
  return await readdir(path.join(ctx.config.dataDir, "tmp", "uploads")).catch(() => []);
}

describe("uploads over HTTP", () => {
  it("stores a photo sent with a declared length, and one sent chunked", async () => {
    const jpeg = await makeImage("jpeg", { width: 300, height: 200 });
    for (const mode of ["declared", "chunked"] as const) {
      const res = await send("POST", "/api/v1/media", multipart(jpeg), mode);
      expect(res.status, mode).toBe(200);
      expectSchema("MediaAttachment", res.body);
      expect(res.body.description).toBe("A test");
      expect((res.body.meta as Json).original).toMatchObject({ width: 300, height: 200 });
      const file = await fetch(`${served.url}${new URL(res.body.url as string).pathname}`);
      expect(file.status).toBe(200);
      expect(file.headers.get("content-type")).toBe("image/jpeg");
    }
    expect(await tmpFiles()).toEqual([]);
  });

  it("sets a thumbnail through PUT with a streamed body", async () => {
    const jpeg = await makeImage("jpeg");
    const created = await send("POST", "/api/v1/media", multipart(jpeg), "declared");
    const res = await send(
      "PUT",
      `/api/v1/media/${created.body.id}`,
      multipart(await makeImage("png"), "thumbnail"),
      "chunked",
    );
    expect(res.status).toBe(200);
    expect(res.body.description).toBe("A test");
    expect(res.body.preview_url).not.toBe(created.body.preview_url);
  });

  it("refuses a declared length over the route's limit before reading the body", async () => {
    const limit = uploadBodyLimits(ctx.config).upload;
    const res = await new Promise<number>((resolve, reject) => {
      const req = http.request(`${served.url}/api/v1/media`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${token}`,
          "content-type": `multipart/form-data; boundary=${BOUNDARY}`,
          "content-length": String(limit + 1),
        },
      });
      req.on("response", (r) => {
        r.resume();
        resolve(r.statusCode ?? 0);
        req.destroy();
      });
      req.on("error", reject);
      // Headers only: the answer must come without the body.
      req.flushHeaders();
    });
    expect(res).toBe(413);
  });

  it("bounds a chunked body: the file by the media limit, the whole body by the route's", async () => {
    const tooBigFile = await send(
      "POST",
      "/api/v1/media",
      multipart(Buffer.alloc(FILE_LIMIT + 1000, 7)),
      "chunked",
    );
    expect(tooBigFile.status).toBe(422);
    expect(tooBigFile.body.error).toMatch(/file size must be less than/);

    const limit = uploadBodyLimits(ctx.config).upload;
    const huge = await send(
      "POST",
      "/api/v1/media",
      multipart(Buffer.alloc(limit + 100_000, 7)),
      "chunked",
    );
    expect(huge).toEqual({ status: 413, body: { error: "Request entity too large" } });
    expect(await tmpFiles()).toEqual([]);
  });
});
