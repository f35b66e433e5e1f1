// Benchmark: a 10 MB, 6000×4000 JPEG through POST /api/v1/media (synchronous: detected,
// decoded, auto-oriented, stripped, bounded to 8.3 MP, re-encoded, preview and blurhash
// made, both files stored) in one in-process Roost on the embedded database and local
// storage. BENCH_UPLOADS uploads, BENCH_PARALLEL at once; RSS is sampled every 10 ms.
//   npm run bench:media      (MEDIA_CONCURRENCY bounds images decoded at once; default 2)
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { createLocalUser } from "../src/accounts/local-account-service.ts";
import { createApp } from "../src/app.ts";
import { parseConfig } from "../src/config.ts";
import { newId } from "../src/infra/ids.ts";
import { issueAccessToken } from "../src/oauth/access-tokens.ts";
import { createServices } from "../src/services.ts";
import { percentile } from "./lib.ts";

const UPLOADS = Number(process.env.BENCH_UPLOADS || 24);
const PARALLEL = Number(process.env.BENCH_PARALLEL || 4);
const CONCURRENCY = process.env.MEDIA_CONCURRENCY || "2";

const mb = (n: number) => `${(n / 1_048_576).toFixed(0)} MiB`;
const ms = (n: number) => `${n.toFixed(0)} ms`;

/** A photo-like 6000×4000 JPEG of about 10 MB: noise over a gradient, at a quality that lands there. */
async function makePhoto(): Promise<Buffer> {
  const width = 6000;
  const height = 4000;
  const raw = Buffer.alloc(width * height * 3);
  let seed = 42;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      const noise = (seed >>> 24) & 0x3f;
      const i = (y * width + x) * 3;
      raw[i] = ((x * 255) / width + noise) & 0xff;
      raw[i + 1] = ((y * 255) / height + noise) & 0xff;
      raw[i + 2] = (128 + noise) & 0xff;
    }
  }
  let quality = 80;
  for (;;) {
    const jpeg = await sharp(raw, { raw: { width, height, channels: 3 } })
      .jpeg({ quality })
      .toBuffer();
    if (jpeg.length >= 9_500_000 || quality >= 98) return jpeg;
    quality += 3;
  }
}

async function main() {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "roost-bench-media-"));
  const config = parseConfig({
    DATA_DIR: dataDir,
    SECRET_KEY: "bench-secret-key-bench-secret-key-0123456789",
    LOG_LEVEL: "warning",
    RATE_LIMIT: "false",
    MEDIA_CONCURRENCY: CONCURRENCY,
  });
  const services = await createServices(config);
  const app = createApp(services);
  try {
    const { account } = await createLocalUser(services.db, config, {
      username: "bench",
      email: "bench@example.com",
      password: "correct horse battery",
      confirmed: true,
    });
    const appRow = await services.db
      .insertInto("oauth_applications")
      .values({
        id: newId(),
        name: "bench",
        website: null,
        redirect_uris: JSON.stringify(["urn:ietf:wg:oauth:2.0:oob"]),
        scopes: "read write",
        client_id: "bench",
        client_secret: "bench",
        owner_account_id: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    const { access_token: token } = await issueAccessToken(services.db, {
      applicationId: appRow.id,
      accountId: account.id,
      scopes: ["write"],
    });

    const photo = await makePhoto();
    const meta = await sharp(photo).metadata();
    console.log(
      `media benchmark: ${os.cpus().length} cores, ${mb(photo.length)} (${photo.length} bytes) ` +
        `${meta.width}×${meta.height} JPEG, ${UPLOADS} uploads, ${PARALLEL} at once, ` +
        `MEDIA_CONCURRENCY=${config.media.concurrency}`,
    );

    const uploadOnce = async (): Promise<number> => {
      const form = new FormData();
      form.set("file", new File([new Uint8Array(photo)], "photo.jpg", { type: "image/jpeg" }));
      const started = performance.now();
      const res = await app.request("/api/v1/media", {
        method: "POST",
        headers: { authorization: `Bearer ${token}` },
        body: form,
      });
      const body = (await res.json()) as { url?: string; blurhash?: string; preview_url?: string };
      if (res.status !== 200 || !body.url || !body.blurhash || !body.preview_url) {
        throw new Error(`Upload failed: ${res.status} ${JSON.stringify(body)}`);
      }
      return performance.now() - started;
    };

    await uploadOnce(); // warm-up: sharp's and the database's first-use costs
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 10);
    const times: number[] = [];
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: PARALLEL }, async () => {
        while (next < UPLOADS) {
          next += 1;
          times.push(await uploadOnce());
        }
      }),
    );
    const total = performance.now() - started;
    clearInterval(sampler);
    times.sort((a, b) => a - b);
    console.log(
      `upload → processed (original, preview, blurhash), per upload: p50 ${ms(percentile(times, 50))}, ` +
        `p99 ${ms(percentile(times, 99))}, max ${ms(times.at(-1)!)}`,
    );
    console.log(
      `throughput ${((UPLOADS * 1000) / total).toFixed(2)} uploads/s; RSS before ${mb(baseline)}, ` +
        `peak ${mb(peak)} (+${mb(peak - baseline)})`,
    );
  } finally {
    await services.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
