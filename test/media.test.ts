// Media uploads on local storage: type detection, metadata stripping, limits, the v2 async
// flow, descriptions and focus, attaching to statuses, deletion rules and file serving.
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ffmpegAvailable } from "../src/media/ffmpeg.ts";
import { createUserWithToken } from "./helpers/auth.ts";
import { makeAnimatedGif, makeImage, upload } from "./helpers/media.ts";
import type { Json } from "./helpers/oauth.ts";
import { expectSchema } from "./helpers/openapi.ts";
import { createTestContext, type TestContext } from "./helpers/services.ts";

const hasFfmpeg = await ffmpegAvailable();

let ctx: TestContext;
let alice: Awaited<ReturnType<typeof createUserWithToken>>;
let bob: Awaited<ReturnType<typeof createUserWithToken>>;

beforeAll(async () => {
  ctx = await createTestContext({}, { workers: true });
  alice = await createUserWithToken(ctx, { username: "alice" });
  bob = await createUserWithToken(ctx, { username: "bob" });
});
afterAll(async () => {
  await ctx?.close();
});

async function call(method: string, path: string, token: string | null, body?: unknown) {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body) headers["content-type"] = "application/json";
  const res = await ctx.app.request(path, {
    method,
    headers,
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  return {
    status: res.status,
    body: (text ? JSON.parse(text) : null) as Json,
    headers: res.headers,
  };
}

/** Fetches a media URL through the app (local storage is served at /system/...). */
async function fetchFile(url: string, headers: Record<string, string> = {}) {
  const res = await ctx.app.request(new URL(url).pathname, { headers });
  return { res, bytes: Buffer.from(await res.arrayBuffer()) };
}

describe("POST /api/v1/media", () => {
  it("stores a JPEG with EXIF GPS stripped, a preview and a blurhash", async () => {
    const jpeg = await makeImage("jpeg", { width: 300, height: 200, gps: true });
    expect((await sharp(jpeg).metadata()).exif).toBeDefined();
    const res = await upload(ctx.app, alice.token, jpeg, {
      filename: "me.jpg",
      type: "image/jpeg",
    });
    expect(res.status).toBe(200);
    expectSchema("MediaAttachment", res.body);
    const m = res.body;
    expect(m.type).toBe("image");
    expect(m.url).toMatch(/\/system\/media_attachments\/\d+\/original\.jpg$/);
    expect(m.preview_url).toMatch(/\/small\.jpg$/);
    expect(m.remote_url).toBeNull();
    expect(m.blurhash).toMatch(/^[0-9A-Za-z#$%*+,\-.:;=?@[\]^_{|}~]{20,}$/);
    expect(m.meta.original).toEqual({ width: 300, height: 200, size: "300x200", aspect: 1.5 });
    expect(m.meta.small.width).toBeLessThanOrEqual(640);
    expect(m.meta.focus).toEqual({ x: 0, y: 0 });

    const { res: fileRes, bytes } = await fetchFile(m.url);
    expect(fileRes.status).toBe(200);
    expect(fileRes.headers.get("content-type")).toBe("image/jpeg");
    expect(fileRes.headers.get("cache-control")).toContain("max-age=31536000");
    const meta = await sharp(bytes).metadata();
    expect(meta.exif).toBeUndefined();
    expect(meta.xmp).toBeUndefined();
    expect(meta.iptc).toBeUndefined();
    expect(meta.width).toBe(300);

    const etag = fileRes.headers.get("etag")!;
    const again = await fetchFile(m.url, { "if-none-match": etag });
    expect(again.res.status).toBe(304);
    expect((await fetchFile(m.preview_url)).res.status).toBe(200);
  });

  it("applies EXIF orientation before stripping it", async () => {
    // Orientation 6 = rotate 90°: a 120×80 file shows as 80×120.
    const jpeg = await makeImage("jpeg", { width: 120, height: 80, orientation: 6 });
    expect((await sharp(jpeg).metadata()).orientation).toBe(6);
    const res = await upload(ctx.app, alice.token, jpeg);
    expect(res.status).toBe(200);
    expect(res.body.meta.original).toMatchObject({ width: 80, height: 120 });
  });

  it.each([
    ["png", "image/png", /original\.png$/],
    ["webp", "image/webp", /original\.webp$/],
  ] as const)("accepts %s", async (format, mime, pattern) => {
    const res = await upload(ctx.app, alice.token, await makeImage(format));
    expect(res.status).toBe(200);
    expect(res.body.url).toMatch(pattern);
    const { res: fileRes } = await fetchFile(res.body.url);
    expect(fileRes.headers.get("content-type")).toBe(mime);
  });

  // With ffmpeg installed it becomes a muted MP4 instead (test/media-video.test.ts).
  it.skipIf(hasFfmpeg)("keeps an animated GIF animated", async () => {
    const res = await upload(ctx.app, alice.token, await makeAnimatedGif(), { filename: "a.gif" });
    expect(res.status).toBe(200);
    expect(res.body.type).toBe("image");
    expect(res.body.url).toMatch(/original\.gif$/);
    expect(res.body.meta.original).toMatchObject({ width: 40, height: 30 });
    const { bytes } = await fetchFile(res.body.url);
    const meta = await sharp(bytes, { animated: true }).metadata();
    expect(meta.pages).toBe(2);
  });

  it("trusts the bytes, not the name: a JPEG named .png works, a fake image is refused", async () => {
    const jpeg = await makeImage("jpeg");
    const ok = await upload(ctx.app, alice.token, jpeg, { filename: "x.png", type: "image/png" });
    expect(ok.status).toBe(200);
    expect(ok.body.url).toMatch(/\.jpg$/);
    const fake = Buffer.from("<script>alert(1)</script>".repeat(10));
    const bad = await upload(ctx.app, alice.token, fake, { filename: "x.png", type: "image/png" });
    expect(bad.status).toBe(422);
    // A real header over garbage is refused too.
    const broken = Buffer.concat([jpeg.subarray(0, 20), Buffer.alloc(2000, 7)]);
    expect((await upload(ctx.app, alice.token, broken)).status).toBe(422);
  });

  it("refuses a decompression bomb without decoding it", async () => {
    // 6000×6000 = 36 MP of one colour: a small PNG that would need 108 MB decoded.
    const bomb = await sharp({
      create: { width: 6000, height: 6000, channels: 3, background: "white" },
    })
      .png({ compressionLevel: 9 })
      .toBuffer();
    expect(bomb.length).toBeLessThan(1_000_000);
    const res = await upload(ctx.app, alice.token, bomb);
    expect(res.status).toBe(422);
    expect(res.body.error).toMatch(/larger than/);
  });

  it("bounds the stored dimensions to 8.3 megapixels", async () => {
    const big = await makeImage("jpeg", { width: 4000, height: 3000 });
    const res = await upload(ctx.app, alice.token, big);
    expect(res.status).toBe(200);
    const { width, height } = res.body.meta.original;
    expect(width * height).toBeLessThanOrEqual(8_294_400);
    expect(width / height).toBeCloseTo(4 / 3, 2);
  });

  it("decodes a photo of 22 MP or more at half scale, still turned and stripped", async () => {
    // 6000×4000 with orientation 6 (rotate 90°) and GPS: stored as 2000×3000, not the
    // 2351×3527 a full decode scaled to 8.3 MP would give, with no EXIF left.
    const big = await makeImage("jpeg", { width: 6000, height: 4000, orientation: 6, gps: true });
    const res = await upload(ctx.app, alice.token, big);
    expect(res.status).toBe(200);
    expect(res.body.meta.original).toMatchObject({ width: 2000, height: 3000 });
    const { bytes } = await fetchFile(res.body.url);
    const stored = await sharp(bytes).metadata();
    expect([stored.format, stored.width, stored.height]).toEqual(["jpeg", 2000, 3000]);
    expect(stored.exif).toBeUndefined();
    expect(stored.orientation).toBeUndefined();
    // The top-left quarter of the source (blue) is now the top-right: rotated, not mirrored.
    const { data } = await sharp(bytes)
      .extract({ left: 1900, top: 100, width: 1, height: 1 })
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect(data[2]).toBeGreaterThan(180);
    expect(res.body.meta.small.width * res.body.meta.small.height).toBeLessThanOrEqual(640 * 360);
    expect(res.body.blurhash).toMatch(/^[0-9A-Za-z#$%*+,\-.:;=?@[\]^_{|}~]{6,}$/);
  });

  it("keeps a greyscale JPEG a JPEG", async () => {
    const grey = await sharp(await makeImage("jpeg", { width: 300, height: 200 }))
      .toColourspace("b-w")
      .jpeg()
      .toBuffer();
    expect((await sharp(grey).metadata()).channels).toBe(1);
    const res = await upload(ctx.app, alice.token, grey);
    expect(res.status).toBe(200);
    expect(res.body.url).toMatch(/original\.jpg$/);
    expect(res.body.meta.original).toMatchObject({ width: 300, height: 200 });
  });

  it("accepts an upload over the global body limit", async () => {
    // Noise does not compress: well over MAX_BODY_BYTES (1 MiB).
    const noise = await sharp(
      Buffer.from(Array.from({ length: 1200 * 1000 * 3 }, () => Math.random() * 255)),
      {
        raw: { width: 1200, height: 1000, channels: 3 },
      },
    )
      .png()
      .toBuffer();
    expect(noise.length).toBeGreaterThan(ctx.config.maxBodyBytes);
    const res = await upload(ctx.app, alice.token, noise);
    expect(res.status).toBe(200);
  });

  it("needs write:media", async () => {
    const reader = await createUserWithToken(ctx, { scopes: ["read"] });
    const res = await upload(ctx.app, reader.token, await makeImage("png"));
    expect(res.status).toBe(403);
  });
});

describe("POST /api/v2/media", () => {
  it("answers 202, then GET answers 206 until processed and 200 after", async () => {
    const res = await upload(ctx.app, alice.token, await makeImage("jpeg"), {
      path: "/api/v2/media",
      fields: { description: "A test card", focus: "0.5,-0.25" },
    });
    expect(res.status).toBe(202);
    expectSchema("MediaAttachment", res.body);
    expect(res.body.url).toBeNull();
    let polled = await call("GET", `/api/v1/media/${res.body.id}`, alice.token);
    for (let i = 0; i < 100 && polled.status === 206; i++) {
      await new Promise((r) => setTimeout(r, 100));
      polled = await call("GET", `/api/v1/media/${res.body.id}`, alice.token);
    }
    expect(polled.status).toBe(200);
    expectSchema("MediaAttachment", polled.body);
    expect(polled.body.url).toMatch(/original\.jpg$/);
    expect(polled.body.blurhash).toBeTruthy();
    expect(polled.body.description).toBe("A test card");
    expect(polled.body.meta.focus).toEqual({ x: 0.5, y: -0.25 });
    // Not someone else's to see.
    expect((await call("GET", `/api/v1/media/${res.body.id}`, bob.token)).status).toBe(404);
  });

  it("reports a refused file when polled", async () => {
    const jpeg = await makeImage("jpeg");
    const broken = Buffer.concat([jpeg.subarray(0, 20), Buffer.alloc(2000, 7)]);
    const res = await upload(ctx.app, alice.token, broken, { path: "/api/v2/media" });
    expect(res.status).toBe(202);
    let polled = await call("GET", `/api/v1/media/${res.body.id}`, alice.token);
    for (let i = 0; i < 100 && polled.status === 206; i++) {
      await new Promise((r) => setTimeout(r, 100));
      polled = await call("GET", `/api/v1/media/${res.body.id}`, alice.token);
    }
    expect(polled.status).toBe(422);
  });
});

describe("PUT and DELETE /api/v1/media/:id", () => {
  it("sets the description and focus, within limits", async () => {
    const { body: m } = await upload(ctx.app, alice.token, await makeImage("png"));
    const res = await call("PUT", `/api/v1/media/${m.id}`, alice.token, {
      description: "Alt text",
      focus: "-1,1",
    });
    expect(res.status).toBe(200);
    expect(res.body.description).toBe("Alt text");
    expect(res.body.meta.focus).toEqual({ x: -1, y: 1 });
    const long = await call("PUT", `/api/v1/media/${m.id}`, alice.token, {
      description: "x".repeat(1501),
    });
    expect(long.status).toBe(422);
    const badFocus = await call("PUT", `/api/v1/media/${m.id}`, alice.token, { focus: "2,0" });
    expect(badFocus.status).toBe(422);
    expect(
      (await call("PUT", `/api/v1/media/${m.id}`, bob.token, { description: "x" })).status,
    ).toBe(404);
  });

  it("deletes unattached media only, and only the owner's", async () => {
    const { body: m } = await upload(ctx.app, alice.token, await makeImage("png"));
    expect((await call("DELETE", `/api/v1/media/${m.id}`, bob.token)).status).toBe(404);
    expect((await call("DELETE", `/api/v1/media/${m.id}`, alice.token)).status).toBe(200);
    expect((await fetchFile(m.url)).res.status).toBe(404);
    const { body: used } = await upload(ctx.app, alice.token, await makeImage("png"));
    const post = await call("POST", "/api/v1/statuses", alice.token, { media_ids: [used.id] });
    expect(post.status).toBe(200);
    expect((await call("DELETE", `/api/v1/media/${used.id}`, alice.token)).status).toBe(422);
  });
});

describe("statuses with media", () => {
  it("attaches up to four of one's own unattached uploads", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await upload(ctx.app, alice.token, await makeImage("jpeg"))).body.id);
    }
    const tooMany = await call("POST", "/api/v1/statuses", alice.token, { media_ids: ids });
    expect(tooMany.status).toBe(422);
    const res = await call("POST", "/api/v1/statuses", alice.token, {
      status: "Four pictures",
      media_ids: ids.slice(0, 4),
    });
    expect(res.status).toBe(200);
    expectSchema("Status", res.body);
    expect(res.body.media_attachments.map((m: Json) => m.id)).toEqual(ids.slice(0, 4));
    for (const m of res.body.media_attachments) expectSchema("MediaAttachment", m);
    // Already attached: refused for another status.
    const reuse = await call("POST", "/api/v1/statuses", alice.token, { media_ids: [ids[0]] });
    expect(reuse.status).toBe(422);
    // Someone else's: refused.
    const stolen = await call("POST", "/api/v1/statuses", bob.token, { media_ids: [ids[4]] });
    expect(stolen.status).toBe(422);
  });

  it("edits alt text through PUT /api/v1/statuses/:id and shows media in only_media lists", async () => {
    const { body: m } = await upload(ctx.app, alice.token, await makeImage("jpeg"));
    const post = await call("POST", "/api/v1/statuses", alice.token, { media_ids: [m.id] });
    expect(post.status).toBe(200);
    expect(post.body.content).toBe("");
    await call("POST", "/api/v1/statuses", alice.token, { status: "no media here" });
    const edit = await call("PUT", `/api/v1/statuses/${post.body.id}`, alice.token, {
      status: "Now with words",
      media_ids: [m.id],
      media_attributes: [{ id: m.id, description: "A red card", focus: "0.1,0.2" }],
    });
    expect(edit.status).toBe(200);
    expectSchema("Status", edit.body);
    expect(edit.body.media_attachments[0].description).toBe("A red card");
    expect(edit.body.media_attachments[0].meta.focus).toEqual({ x: 0.1, y: 0.2 });

    const own = await call(
      "GET",
      `/api/v1/accounts/${alice.account.id}/statuses?only_media=true`,
      alice.token,
    );
    expect(own.status).toBe(200);
    expect(own.body.length).toBeGreaterThan(0);
    expect(own.body.every((s: Json) => s.media_attachments.length > 0)).toBe(true);
    expect(own.body.map((s: Json) => s.id)).toContain(post.body.id);
    const pub = await call("GET", "/api/v1/timelines/public?only_media=true", alice.token);
    expect(pub.body.map((s: Json) => s.id)).toContain(post.body.id);
    expect(pub.body.every((s: Json) => s.media_attachments.length > 0)).toBe(true);
  });
});
