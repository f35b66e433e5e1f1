// Media on S3-compatible storage: s3rver (an npm S3 server) started on 127.0.0.1 for the
// test; uploads land in the bucket, URLs point at it, deletes remove the objects.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import S3rver from "s3rver";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUserWithToken } from "./helpers/auth.ts";
import { makeImage, upload } from "./helpers/media.ts";
import { expectSchema } from "./helpers/openapi.ts";
import { createTestContext, type TestContext } from "./helpers/services.ts";

const BUCKET = "roost-media";
let server: S3rver;
let s3Dir: string;
let endpoint: string;
let ctx: TestContext;
let alice: Awaited<ReturnType<typeof createUserWithToken>>;

beforeAll(async () => {
  s3Dir = mkdtempSync(path.join(tmpdir(), "roost-s3rver-"));
  server = new S3rver({
    port: 0,
    address: "127.0.0.1",
    silent: true,
    directory: s3Dir,
    configureBuckets: [{ name: BUCKET, configs: [] }],
  });
  const { port } = await server.run();
  endpoint = `http://127.0.0.1:${port}`;
  ctx = await createTestContext(
    {
      S3_ENDPOINT: endpoint,
      S3_BUCKET: BUCKET,
      S3_ACCESS_KEY_ID: "S3RVER",
      S3_SECRET_ACCESS_KEY: "S3RVER",
      S3_FORCE_PATH_STYLE: "true",
    },
    { workers: true },
  );
  alice = await createUserWithToken(ctx, { username: "alice" });
});
afterAll(async () => {
  await ctx?.close();
  await server?.close();
  rmSync(s3Dir, { recursive: true, force: true });
});

describe("S3 storage", () => {
  it("stores the processed original and preview in the bucket, metadata stripped", async () => {
    const jpeg = await makeImage("jpeg", { width: 200, height: 100, gps: true });
    const res = await upload(ctx.app, alice.token, jpeg);
    expect(res.status).toBe(200);
    expectSchema("MediaAttachment", res.body);
    expect(res.body.url).toMatch(
      new RegExp(`^${endpoint}/${BUCKET}/media_attachments/\\d+/original\\.jpg$`),
    );
    const file = await fetch(res.body.url);
    expect(file.status).toBe(200);
    expect(file.headers.get("content-type")).toBe("image/jpeg");
    const meta = await sharp(Buffer.from(await file.arrayBuffer())).metadata();
    expect(meta.exif).toBeUndefined();
    expect(meta.width).toBe(200);
    expect((await fetch(res.body.preview_url)).status).toBe(200);
    // Roost itself does not serve S3 keys.
    const local = await ctx.app.request(
      `/system/${new URL(res.body.url).pathname.slice(BUCKET.length + 2)}`,
    );
    expect(local.status).toBe(404);
  });

  it("runs the v2 flow through the bucket and deletes objects with the media", async () => {
    const res = await upload(ctx.app, alice.token, await makeImage("png"), {
      path: "/api/v2/media",
    });
    expect(res.status).toBe(202);
    let polled = await ctx.app.request(`/api/v1/media/${res.body.id}`, {
      headers: { authorization: `Bearer ${alice.token}` },
    });
    for (let i = 0; i < 100 && polled.status === 206; i++) {
      await new Promise((r) => setTimeout(r, 100));
      polled = await ctx.app.request(`/api/v1/media/${res.body.id}`, {
        headers: { authorization: `Bearer ${alice.token}` },
      });
    }
    expect(polled.status).toBe(200);
    const body = await polled.json();
    expect((await fetch(body.url)).status).toBe(200);
    const del = await ctx.app.request(`/api/v1/media/${body.id}`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${alice.token}` },
    });
    expect(del.status).toBe(200);
    expect((await fetch(body.url)).status).toBe(404);
    expect((await fetch(body.preview_url)).status).toBe(404);
  });
});
