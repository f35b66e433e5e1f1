// Benchmark: a 10 MB, 6000×4000 JPEG through POST /api/v1/media (synchronous: detected,
// decoded, auto-oriented, stripped, bounded, re-encoded, preview and blurhash made, both
// files stored) on the embedded database and local storage. BENCH_UPLOADS uploads,
// BENCH_PARALLEL at once; the server's RSS is sampled every 10 ms.
//   npm run bench:media      (MEDIA_CONCURRENCY bounds images decoded at once; default 2)
// By default Roost runs as its own process (`node src/main.ts`) and the uploads come over
// HTTP, as from an app. BENCH_IN_PROCESS=1 runs it in this process through `app.request`
// instead (the first figures in docs/benchmarks.md): the client's FormData encoding then
// shares the server's event loop. BENCH_DB=postgres runs the server on PostgreSQL
// (DATABASE_URL's server, a database of its own) instead of PGlite. BENCH_VERBOSE=1 also
// prints each upload's time and the server's CPU by thread.
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { createLocalUser } from "../src/accounts/local-account-service.ts";
import { createApp } from "../src/app.ts";
import { parseConfig } from "../src/config.ts";
import { newId } from "../src/infra/ids.ts";
import { issueAccessToken } from "../src/oauth/access-tokens.ts";
import { createServices } from "../src/services.ts";
import {
  benchEnv,
  cpuSeconds,
  percentile,
  procMemoryMiB,
  recreateDatabase,
  startRoost,
  threadCpuSeconds,
} from "./lib.ts";

const UPLOADS = Number(process.env.BENCH_UPLOADS || 24);
const PARALLEL = Number(process.env.BENCH_PARALLEL || 4);
const CONCURRENCY = process.env.MEDIA_CONCURRENCY || "2";
const IN_PROCESS = process.env.BENCH_IN_PROCESS === "1";
/** BENCH_DB=postgres: on PostgreSQL (DATABASE_URL's server, a database of its own) instead of PGlite. */
const ON_POSTGRES = process.env.BENCH_DB === "postgres";

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

/** An uploader: sends the photo once and resolves with the response's status and body. */
type Send = () => Promise<{
  status: number;
  body: { url?: string; blurhash?: string; preview_url?: string };
}>;

/** A multipart body built once: the photo as the `file` part, as an app sends it. */
function multipartBody(photo: Buffer): { body: Buffer; type: string } {
  const boundary = "----roostbench7c1f0e";
  const head =
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="photo.jpg"\r\n` +
    "Content-Type: image/jpeg\r\n\r\n";
  return {
    body: Buffer.concat([Buffer.from(head), photo, Buffer.from(`\r\n--${boundary}--\r\n`)]),
    type: `multipart/form-data; boundary=${boundary}`,
  };
}

function httpSender(url: string, token: string, photo: Buffer): Send {
  const { body, type } = multipartBody(photo);
  const agent = new http.Agent({ keepAlive: true, maxSockets: PARALLEL });
  return () =>
    new Promise((resolve, reject) => {
      const req = http.request(`${url}/api/v1/media`, {
        method: "POST",
        agent,
        headers: {
          authorization: `Bearer ${token}`,
          "content-type": type,
          "content-length": String(body.length),
        },
      });
      req.once("error", reject);
      req.once("response", (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.once("error", reject);
        res.once("end", () => {
          try {
            resolve({
              status: res.statusCode ?? 0,
              body: JSON.parse(Buffer.concat(chunks).toString()),
            });
          } catch (e) {
            reject(e);
          }
        });
      });
      req.end(body);
    });
}

async function main() {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "roost-bench-media-"));
  const env = {
    DATA_DIR: dataDir,
    SECRET_KEY: "bench-secret-key-bench-secret-key-0123456789",
    LOG_LEVEL: "warning",
    RATE_LIMIT: "false",
    MEDIA_CONCURRENCY: CONCURRENCY,
  };
  const pgEnv = ON_POSTGRES ? benchEnv("roost_bench_media") : undefined;
  if (pgEnv) {
    await recreateDatabase(pgEnv, "roost_bench_media");
    Object.assign(env, { DATABASE_URL: pgEnv.databaseUrl });
  }
  const config = parseConfig(env);
  // The user and token are made here, then (HTTP) the database is handed to the server.
  const services = await createServices(config);
  let stop = async () => {};
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
    let send: Send;
    let rss: () => number;
    let cpu: () => number;
    let threads: () => Map<string, number> = () => new Map();
    if (IN_PROCESS) {
      const app = createApp(services);
      send = async () => {
        const form = new FormData();
        form.set("file", new File([new Uint8Array(photo)], "photo.jpg", { type: "image/jpeg" }));
        const res = await app.request("/api/v1/media", {
          method: "POST",
          headers: { authorization: `Bearer ${token}` },
          body: form,
        });
        return { status: res.status, body: await res.json() };
      };
      rss = () => process.memoryUsage().rss;
      cpu = () => {
        const { user, system } = process.cpuUsage();
        return (user + system) / 1e6;
      };
    } else {
      await services.close();
      const roost = await startRoost(
        { adminUrl: "", databaseUrl: pgEnv?.databaseUrl ?? "", seconds: 0, connections: PARALLEL },
        env,
      );
      stop = () => roost.stop();
      send = httpSender(roost.url, token, photo);
      rss = () => procMemoryMiB(roost.pid, "VmRSS") * 1_048_576;
      cpu = () => cpuSeconds(roost.pid);
      threads = () => threadCpuSeconds(roost.pid);
    }
    console.log(
      `media benchmark: ${os.cpus().length} cores, ${mb(photo.length)} (${photo.length} bytes) ` +
        `${meta.width}×${meta.height} JPEG, ${UPLOADS} uploads, ${PARALLEL} at once, ` +
        `MEDIA_CONCURRENCY=${config.media.concurrency}, ${ON_POSTGRES ? "PostgreSQL" : "PGlite"}, ` +
        (IN_PROCESS ? "in process (app.request)" : "over HTTP to `node src/main.ts`"),
    );

    const uploadOnce = async (): Promise<number> => {
      const started = performance.now();
      const { status, body } = await send();
      if (status !== 200 || !body.url || !body.blurhash || !body.preview_url) {
        throw new Error(`Upload failed: ${status} ${JSON.stringify(body)}`);
      }
      return performance.now() - started;
    };

    await uploadOnce(); // warm-up: sharp's and the database's first-use costs
    const baseline = rss();
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, rss());
    }, 10);
    const times: number[] = [];
    let next = 0;
    const cpuBefore = cpu();
    const threadsBefore = threads();
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
    const cpuPerUpload = ((cpu() - cpuBefore) * 1000) / UPLOADS;
    clearInterval(sampler);
    if (process.env.BENCH_VERBOSE) {
      console.log(`in order of completion: ${times.map(Math.round).join(" ")}`);
      const perThread = [...threads()]
        .map(
          ([name, s]) => [name, ((s - (threadsBefore.get(name) ?? 0)) * 1000) / UPLOADS] as const,
        )
        .filter(([, perUpload]) => perUpload >= 1)
        .sort((a, b) => b[1] - a[1]);
      console.log(
        `server CPU per upload by thread: ${perThread.map(([n, t]) => `${n} ${t.toFixed(0)} ms`).join(", ")}`,
      );
    }
    times.sort((a, b) => a - b);
    console.log(
      `upload → processed (original, preview, blurhash), per upload: p50 ${ms(percentile(times, 50))}, ` +
        `p99 ${ms(percentile(times, 99))}, max ${ms(times.at(-1)!)}`,
    );
    console.log(
      `throughput ${((UPLOADS * 1000) / total).toFixed(2)} uploads/s, server CPU ` +
        `${cpuPerUpload.toFixed(0)} ms per upload; server RSS before ${mb(baseline)}, ` +
        `peak ${mb(peak)} (+${mb(peak - baseline)})`,
    );
  } finally {
    if (IN_PROCESS) await services.close();
    await stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
