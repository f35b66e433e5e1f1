// Test images made with sharp, and multipart upload requests against the app.
import sharp from "sharp";
import type { Json } from "./oauth.ts";

export async function makeImage(
  format: "jpeg" | "png" | "webp" | "gif",
  options: { width?: number; height?: number; gps?: boolean; orientation?: number } = {},
): Promise<Buffer> {
  const width = options.width ?? 120;
  const height = options.height ?? 80;
  let image = sharp({
    create: { width, height, channels: 3, background: { r: 200, g: 40, b: 90 } },
  }).composite([
    {
      input: await sharp({
        create: {
          width: Math.max(1, Math.floor(width / 2)),
          height: Math.max(1, Math.floor(height / 2)),
          channels: 3,
          background: { r: 20, g: 160, b: 220 },
        },
      })
        .png()
        .toBuffer(),
      left: 0,
      top: 0,
    },
  ]);
  if (options.orientation) image = image.withMetadata({ orientation: options.orientation });
  if (options.gps) {
    image = image.withExif({
      IFD0: { Make: "RoostCam" },
      IFD3: {
        GPSLatitudeRef: "N",
        GPSLatitude: "48/1 51/1 24/1",
        GPSLongitudeRef: "E",
        GPSLongitude: "2/1 21/1 3/1",
      },
    });
  }
  return await image.toFormat(format).toBuffer();
}

/** A two-frame 40×30 animated GIF. */
export async function makeAnimatedGif(): Promise<Buffer> {
  const frame = (r: number) =>
    sharp({ create: { width: 40, height: 30, channels: 3, background: { r, g: 0, b: 0 } } })
      .png()
      .toBuffer();
  return await sharp([await frame(255), await frame(0)], { join: { animated: true } })
    .gif({ loop: 0, delay: [100, 100] })
    .toBuffer();
}

export interface Uploaded {
  status: number;
  body: Json;
}

export async function upload(
  app: { request: (path: string, init: RequestInit) => Response | Promise<Response> },
  token: string,
  bytes: Uint8Array,
  options: {
    path?: string;
    method?: string;
    filename?: string;
    type?: string;
    fields?: Record<string, string>;
    field?: string;
  } = {},
): Promise<Uploaded> {
  const form = new FormData();
  form.set(
    options.field ?? "file",
    new File([new Uint8Array(bytes)], options.filename ?? "upload.bin", {
      type: options.type ?? "application/octet-stream",
    }),
  );
  for (const [k, v] of Object.entries(options.fields ?? {})) form.set(k, v);
  const res = await app.request(options.path ?? "/api/v1/media", {
    method: options.method ?? "POST",
    headers: { authorization: `Bearer ${token}` },
    body: form,
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}
