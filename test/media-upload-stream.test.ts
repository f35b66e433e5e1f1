// Multipart uploads are streamed to temporary files (src/media/upload.ts) rather than held
// in memory: the file limit is enforced while streaming, and no temporary file outlives
// its request, whether the upload was stored, queued or refused.
import { readdir } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUserWithToken } from "./helpers/auth.ts";
import { makeImage, upload } from "./helpers/media.ts";
import { until } from "./helpers/queue-backends.ts";
import { createTestContext, type TestContext } from "./helpers/services.ts";

let ctx: TestContext;
let token: string;

beforeAll(async () => {
  ctx = await createTestContext(
    { MEDIA_IMAGE_LIMIT: "200000", MEDIA_VIDEO_LIMIT: "300000" },
    { workers: true },
  );
  token = (await createUserWithToken(ctx, { username: "alice" })).token;
});
afterAll(async () => {
  await ctx?.close();
});

async function leftovers(): Promise<string[]> {
  try {
    return await readdir(path.join(ctx.config.dataDir, "tmp", "uploads"));
  } catch {
    return [];
  }
}

describe("streamed uploads", () => {
  it("stores a streamed image and removes the temporary file", async () => {
    const jpeg = await makeImage("jpeg", { width: 120, height: 80 });
    const res = await upload(ctx.app, token, jpeg, { filename: "a.jpg", type: "image/jpeg" });
    expect(res.status).toBe(200);
    expect(res.body.meta.original.width).toBe(120);
    expect(await leftovers()).toEqual([]);
  });

  it("queues a v2 upload from the streamed file", async () => {
    const jpeg = await makeImage("jpeg", { width: 64, height: 64 });
    const res = await upload(ctx.app, token, jpeg, { path: "/api/v2/media", type: "image/jpeg" });
    expect(res.status).toBe(202);
    expect(await leftovers()).toEqual([]);
    await until(async () => {
      const polled = await ctx.app.request(`/api/v1/media/${res.body.id}`, {
        headers: { authorization: `Bearer ${token}` },
      });
      return polled.status === 200;
    }, 20_000);
  });

  it("refuses a file over the limit while streaming, leaving nothing behind", async () => {
    // JPEG magic, then far more than the largest media limit (300,000 bytes).
    const big = new Uint8Array(400_000);
    big.set([0xff, 0xd8, 0xff, 0xe0]);
    const res = await upload(ctx.app, token, big, { filename: "big.jpg", type: "image/jpeg" });
    expect(res.status).toBe(422);
    expect(res.body.error).toMatch(/file size must be less than/);
    expect(await leftovers()).toEqual([]);
  });

  it("applies the image limit once the type is known", async () => {
    const big = new Uint8Array(250_000);
    big.set([0xff, 0xd8, 0xff, 0xe0]);
    const res = await upload(ctx.app, token, big, { filename: "big.jpg", type: "image/jpeg" });
    expect(res.status).toBe(422);
    expect(res.body.error).toMatch(/file size must be less than/);
  });

  it("treats a missing file part as a blank file", async () => {
    const res = await ctx.app.request("/api/v1/media", {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
      body: (() => {
        const form = new FormData();
        form.set("description", "no file here");
        return form;
      })(),
    });
    expect(res.status).toBe(422);
    expect(((await res.json()) as { error: string }).error).toMatch(/can't be blank/);
  });
});
