// Video and audio with ffmpeg: probed metadata in meta.original (Mastodon's shape), a
// preview frame and blurhash for video, v2 processing in the worker, unreadable files
// refused. Without ffmpeg on PATH these are skipped (CI installs it, see .ci/run), and
// the test of the ffmpeg-less behaviour runs instead.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ffmpegAvailable } from "../src/media/ffmpeg.ts";
import { createUserWithToken } from "./helpers/auth.ts";
import { makeAnimatedGif, makeImage, upload } from "./helpers/media.ts";
import type { Json } from "./helpers/oauth.ts";
import { expectSchema } from "./helpers/openapi.ts";
import { createTestContext, type TestContext } from "./helpers/services.ts";

const hasFfmpeg = await ffmpegAvailable();
if (!hasFfmpeg) {
  console.warn(
    "media-video: ffmpeg/ffprobe not on PATH, skipping the ffmpeg tests (apt-get install -y ffmpeg)",
  );
}

let ctx: TestContext;
let alice: Awaited<ReturnType<typeof createUserWithToken>>;
let dir: string;

/** A clip made by ffmpeg's own test sources. */
function makeClip(name: string, args: string[]): Buffer {
  const file = path.join(dir, name);
  const r = spawnSync("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", ...args, file]);
  if (r.status !== 0) throw new Error(`ffmpeg failed: ${r.stderr}`);
  return readFileSync(file);
}

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), "roost-video-"));
  ctx = await createTestContext({ PUBLIC_URL: "https://roost.test" }, { workers: true });
  alice = await createUserWithToken(ctx, { username: "alice" });
});
afterAll(async () => {
  await ctx?.close();
  rmSync(dir, { recursive: true, force: true });
});

const auth = () => ({ authorization: `Bearer ${alice.token}` });

const video = () =>
  makeClip("clip.mp4", [
    ...["-f", "lavfi", "-i", "testsrc=size=320x240:rate=25:duration=2"],
    ...["-f", "lavfi", "-i", "sine=frequency=440:duration=2"],
    ...["-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest"],
  ]);

describe.runIf(hasFfmpeg)("video and audio with ffmpeg", () => {
  it("POST /api/v1/media probes a video and makes its preview", async () => {
    const res = await upload(ctx.app, alice.token, video(), { filename: "clip.mp4" });
    expect(res.status).toBe(200);
    expectSchema("MediaAttachment", res.body);
    expect(res.body.type).toBe("video");
    expect(res.body.url).toMatch(/\/original\.mp4$/);
    expect(res.body.preview_url).toMatch(/\/small\.jpg$/);
    expect(res.body.blurhash).toEqual(expect.any(String));
    const original = res.body.meta.original;
    expect(original).toMatchObject({ width: 320, height: 240, frame_rate: "25/1" });
    expect(original.duration).toBeCloseTo(2, 0);
    expect(original.bitrate).toBeGreaterThan(0);
    expect(res.body.meta.small).toMatchObject({ width: 320, height: 240 });

    const preview = await ctx.app.request(new URL(res.body.preview_url).pathname);
    expect(preview.status).toBe(200);
    const meta = await sharp(Buffer.from(await preview.arrayBuffer())).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(["jpeg", 320, 240]);
  });

  it("POST /api/v2/media processes video in the worker", async () => {
    const res = await upload(ctx.app, alice.token, video(), {
      path: "/api/v2/media",
      filename: "clip.mp4",
    });
    expect(res.status).toBe(202);
    expect(res.body.url).toBeNull();
    let body: Json = {};
    const end = Date.now() + 20_000;
    for (;;) {
      const got = await ctx.app.request(`/api/v1/media/${res.body.id}`, { headers: auth() });
      if (got.status === 200) {
        body = await got.json();
        break;
      }
      expect(got.status).toBe(206);
      if (Date.now() > end) throw new Error("video never processed");
      await new Promise((r) => setTimeout(r, 100));
    }
    expectSchema("MediaAttachment", body);
    expect(body.type).toBe("video");
    expect(body.url).toMatch(/\/original\.mp4$/);
    expect(body.preview_url).toMatch(/\/small\.jpg$/);
    expect(body.meta.original).toMatchObject({ width: 320, height: 240 });
  });

  it("types sound-only files as audio, with duration and no preview", async () => {
    const mp3 = makeClip("tone.mp3", [
      ...["-f", "lavfi", "-i", "sine=frequency=440:duration=3"],
      ...["-c:a", "libmp3lame", "-b:a", "64k"],
    ]);
    const res = await upload(ctx.app, alice.token, mp3, { filename: "tone.mp3" });
    expect(res.status).toBe(200);
    expectSchema("MediaAttachment", res.body);
    expect(res.body.type).toBe("audio");
    expect(res.body.preview_url).toBeNull();
    expect(res.body.meta.original.duration).toBeCloseTo(3, 0);
    expect(res.body.meta.original.width).toBeUndefined();
  });

  it("turns an animated GIF into a muted MP4 (gifv), as Mastodon does", async () => {
    const res = await upload(ctx.app, alice.token, await makeAnimatedGif(), { filename: "a.gif" });
    expect(res.status).toBe(200);
    expectSchema("MediaAttachment", res.body);
    expect(res.body.type).toBe("gifv");
    expect(res.body.url).toMatch(/\/original\.mp4$/);
    expect(res.body.preview_url).toMatch(/\/small\.(jpg|webp)$/);
    expect(res.body.blurhash).toEqual(expect.any(String));
    expect(res.body.meta.original).toMatchObject({ width: 40, height: 30 });
    expect(res.body.meta.original.duration).toBeGreaterThan(0);
    const file = await ctx.app.request(new URL(res.body.url).pathname);
    expect(file.headers.get("content-type")).toBe("video/mp4");
    const saved = path.join(dir, "gifv.mp4");
    writeFileSync(saved, Buffer.from(await file.arrayBuffer()));
    const streams = spawnSync("ffprobe", [
      ...["-v", "error", "-show_entries", "stream=codec_type", "-of", "csv=p=0", saved],
    ]);
    // Muted: one video stream, no audio.
    expect(streams.stdout.toString().trim()).toBe("video");
  });

  it("keeps a still GIF an image", async () => {
    const res = await upload(ctx.app, alice.token, await makeImage("gif"), { filename: "s.gif" });
    expect(res.status).toBe(200);
    expect(res.body.type).toBe("image");
  });

  it("refuses a file that only looks like a video", async () => {
    // An MP4 header and then nothing ffmpeg can read.
    const fake = Buffer.concat([
      Buffer.from([0, 0, 0, 0x18]),
      Buffer.from("ftypisom\0\0\x02\0isomiso2", "latin1"),
      Buffer.alloc(4096, 7),
    ]);
    const res = await upload(ctx.app, alice.token, fake, { filename: "fake.mp4" });
    expect(res.status).toBe(422);
  });
});

describe.runIf(!hasFfmpeg)("video without ffmpeg", () => {
  it("stores video as uploaded, with no preview and no duration", async () => {
    // An MP4 header is all detection needs; nothing reads the rest without ffmpeg.
    const clip = Buffer.concat([
      Buffer.from([0, 0, 0, 0x18]),
      Buffer.from("ftypisom\0\0\x02\0isomiso2", "latin1"),
      Buffer.alloc(4096, 7),
    ]);
    const res = await upload(ctx.app, alice.token, clip, { filename: "clip.mp4" });
    expect(res.status).toBe(200);
    expect(res.body.type).toBe("video");
    expect(res.body.preview_url).toBeNull();
    expect(res.body.meta.original?.duration).toBeUndefined();
  });
});

describe("instance configuration", () => {
  it("advertises video and audio types", async () => {
    const body = await (await ctx.app.request("/api/v2/instance")).json();
    const types: string[] = body.configuration.media_attachments.supported_mime_types;
    expect(types).toEqual(expect.arrayContaining(["video/mp4", "video/webm", "audio/mpeg"]));
  });
});
