// REMOTE_MEDIA_CACHE: remote attachments, avatars and headers fetched by worker jobs from a
// local HTTP server (private addresses allowed in this test's config), processed like
// uploads and served from our storage; domains with reject_media and private addresses
// (with the guard on) are never fetched; oversized files are cut off.
import { readdir } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { Create, Image, Person } from "@fedify/vocab";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { onCreate } from "../federation/inbox/create.ts";
import { upsertRemoteActor } from "../federation/remote-accounts.ts";
import { newId } from "../src/infra/ids.ts";
import { pruneRemoteMediaCache, pruneUnattachedMedia } from "../src/media/prune.ts";
import { cacheRemoteAttachment } from "../src/media/remote-cache.ts";
import { fetchRemoteMedia } from "../src/media/remote-cache-fetch.ts";
import { createDomainBlock } from "../src/moderation/domain-blocks.ts";
import type { Services } from "../src/services.ts";
import {
  AS_CONTEXT,
  fixtureFederation,
  PUBLIC,
  person,
  wrapCreate,
} from "./helpers/inbox-fixtures.ts";
import { makeImage } from "./helpers/media.ts";
import type { Json } from "./helpers/oauth.ts";
import { expectSchema } from "./helpers/openapi.ts";
import { createTestContext, type TestContext } from "./helpers/services.ts";

const IMAGE_LIMIT = 300_000;

interface Route {
  status?: number;
  headers?: Record<string, string>;
  body?: Buffer;
  /** Sent in chunks without a Content-Length, as a lying server would. */
  chunked?: boolean;
}

let ctx: TestContext;
let server: Server;
let origin: string;
const routes = new Map<string, Route>();
const requests: string[] = [];
/** Bytes a chunked route has written so far. */
const sent = new Map<string, number>();

beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push(req.url ?? "");
    const route = routes.get(req.url ?? "");
    if (!route) {
      res.writeHead(404).end();
      return;
    }
    if (route.chunked) {
      res.writeHead(200, { "content-type": "image/jpeg" });
      const body = route.body ?? Buffer.alloc(0);
      let offset = 0;
      const next = () => {
        if (offset >= body.length || res.destroyed) return res.end();
        res.write(body.subarray(offset, offset + 65_536), (error) => {
          if (!error) setImmediate(next);
        });
        offset += 65_536;
        sent.set(req.url ?? "", offset);
      };
      next();
      return;
    }
    res.writeHead(route.status ?? 200, route.headers ?? {}).end(route.body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  ctx = await createTestContext(
    {
      PUBLIC_URL: "https://roost.test",
      REMOTE_MEDIA_CACHE: "true",
      FEDERATION_ALLOW_PRIVATE_ADDRESS: "true",
      MEDIA_IMAGE_LIMIT: String(IMAGE_LIMIT),
    },
    { workers: true },
  );
});
afterAll(async () => {
  await ctx?.close();
  await new Promise((resolve) => server?.close(resolve));
});

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, ms = 20_000) {
  const end = Date.now() + ms;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > end) throw new Error(`Timed out; last value: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const mediaRow = (services: Services, remoteUrl: string) =>
  services.db
    .selectFrom("media_attachments")
    .selectAll()
    .where("remote_url", "=", remoteUrl)
    .executeTakeFirst();

/** Delivers a Create of a Note with these attachments from `actor`; returns the status id. */
async function receive(actor: string, n: number, attachments: Json[]): Promise<string> {
  const fed = fixtureFederation(ctx.services);
  fed.serve(person(actor));
  const note: Json = {
    "@context": AS_CONTEXT,
    id: `${actor}/statuses/${n}`,
    type: "Note",
    attributedTo: actor,
    content: "<p>Look</p>",
    to: [PUBLIC],
    cc: [],
    attachment: attachments,
  };
  const json = wrapCreate(note);
  await onCreate(fed.inboxContext(json), await fed.parse(Create, json));
  const row = await ctx.services.db
    .selectFrom("statuses")
    .select("id")
    .where("uri", "=", note.id as string)
    .executeTakeFirstOrThrow();
  return row.id;
}

describe("remote attachments", () => {
  it("are fetched by a job, processed, and served from our storage", async () => {
    const photo = await makeImage("jpeg", { width: 900, height: 600, gps: true });
    routes.set("/media/photo.jpg", { headers: { "content-type": "image/jpeg" }, body: photo });
    // Reached through a redirect, which is followed (and checked again).
    routes.set("/go/photo", { status: 302, headers: { location: "/media/photo.jpg" } });
    const url = `${origin}/go/photo`;
    const statusId = await receive("https://remote.test/users/dana", 1, [
      {
        type: "Document",
        mediaType: "image/jpeg",
        url,
        name: "A photo",
        width: 900,
        height: 600,
      },
    ]);
    const row = await until(
      () => mediaRow(ctx.services, url),
      (r) => !!r?.file_key,
    );
    expect(row?.file_key).toMatch(/^media_attachments\/\d+\/cache-\d+\.jpg$/);
    expect(row?.preview_key).toMatch(/^media_attachments\/\d+\/cache-\d+-small\.jpg$/);
    expect(requests).toContain("/go/photo");
    expect(requests).toContain("/media/photo.jpg");

    const res = await ctx.app.request(`/api/v1/statuses/${statusId}`);
    const body = await res.json();
    expectSchema("Status", body);
    const [media] = body.media_attachments;
    expect(media.url).toMatch(/^https:\/\/roost\.test\/system\/media_attachments\/\d+\/cache-/);
    expect(media.preview_url).toMatch(/-small\.jpg$/);
    expect(media.remote_url).toBe(url);
    expect(media.description).toBe("A photo");
    expect(media.blurhash).toEqual(expect.any(String));
    expect(media.meta.original).toMatchObject({ width: 900, height: 600 });
    expect(media.meta.small.width).toBeLessThan(900);

    // The copy went through sharp: metadata (GPS) stripped.
    const file = await ctx.app.request(new URL(media.url).pathname);
    expect(file.status).toBe(200);
    const meta = await sharp(Buffer.from(await file.arrayBuffer())).metadata();
    expect(meta.exif).toBeUndefined();
    expect([meta.width, meta.height]).toEqual([900, 600]);

    // `media prune-remote` drops the copy; the post shows the remote URL again.
    expect(await pruneRemoteMediaCache(ctx.services.db, ctx.config, -1)).toBeGreaterThanOrEqual(1);
    const after = await (await ctx.app.request(`/api/v1/statuses/${statusId}`)).json();
    expect(after.media_attachments[0].url).toBe(url);
    expect((await ctx.app.request(new URL(media.url).pathname)).status).toBe(404);
  });

  it("removes the copy a day after its post is deleted", async () => {
    routes.set("/media/gone.png", { body: await makeImage("png") });
    const url = `${origin}/media/gone.png`;
    const statusId = await receive("https://remote.test/users/dana", 3, [
      { type: "Document", mediaType: "image/png", url },
    ]);
    const row = await until(
      () => mediaRow(ctx.services, url),
      (r) => !!r?.file_key,
    );
    const copy = `/system/${row!.file_key}`;
    expect((await ctx.app.request(copy)).status).toBe(200);
    // What a Delete does to the row: the status goes, the media is left unattached.
    await ctx.services.db.deleteFrom("statuses").where("id", "=", statusId).execute();
    await pruneUnattachedMedia(ctx.services, Date.now() + 25 * 3600 * 1000);
    expect(await mediaRow(ctx.services, url)).toBeUndefined();
    expect((await ctx.app.request(copy)).status).toBe(404);
  });

  it("cuts off files over the size limit while streaming, and leaves them uncached", async () => {
    // A JPEG signature then far more than the limit, without a Content-Length.
    const big = Buffer.concat([
      Buffer.from([0xff, 0xd8, 0xff, 0xe0]),
      Buffer.alloc(32 * 1024 * 1024),
    ]);
    routes.set("/media/big.jpg", { body: big, chunked: true });
    const url = `${origin}/media/big.jpg`;
    const limits = { maxBytes: IMAGE_LIMIT, limitFor: () => IMAGE_LIMIT };
    await expect(fetchRemoteMedia(ctx.config, url, limits)).rejects.toThrow(
      /larger than 300000 bytes/,
    );
    // The download was stopped, not read to the end and thrown away.
    await new Promise((r) => setTimeout(r, 300));
    expect(sent.get("/media/big.jpg")).toBeLessThan(big.length / 2);
    const tmp = path.join(ctx.config.dataDir, "tmp", "remote-media");
    expect(await readdir(tmp).catch(() => [])).toEqual([]);

    // Through the job: refused for good, the post keeps showing the remote URL.
    const statusId = await receive("https://remote.test/users/dana", 2, [
      { type: "Document", mediaType: "image/jpeg", url },
    ]);
    const row = await mediaRow(ctx.services, url);
    await cacheRemoteAttachment(ctx.services, row!.id);
    expect((await mediaRow(ctx.services, url))?.file_key).toBeNull();
    const body = await (await ctx.app.request(`/api/v1/statuses/${statusId}`)).json();
    expect(body.media_attachments[0].url).toBe(url);
  });

  it("never fetches media of a domain with reject_media", async () => {
    await createDomainBlock(ctx.services, null, "nomedia.test", {
      severity: "noop",
      reject_media: true,
    });
    routes.set("/media/blocked.png", { body: await makeImage("png") });
    const url = `${origin}/media/blocked.png`;
    await receive("https://nomedia.test/users/erin", 1, [
      { type: "Document", mediaType: "image/png", url },
    ]);
    const row = await mediaRow(ctx.services, url);
    // Even when its job runs (queued before the block, say), nothing is fetched.
    await cacheRemoteAttachment(ctx.services, row!.id);
    await new Promise((r) => setTimeout(r, 500));
    expect(requests).not.toContain("/media/blocked.png");
    expect((await mediaRow(ctx.services, url))?.file_key).toBeNull();
  });

  it("refuses private addresses when FEDERATION_ALLOW_PRIVATE_ADDRESS is off", async () => {
    routes.set("/media/private.png", { body: await makeImage("png") });
    const url = `${origin}/media/private.png`;
    // A row as the inbox stores it, written here so that no worker job races the check.
    const account = await ctx.services.db
      .insertInto("accounts")
      .values({
        id: newId(),
        username: "fern",
        domain: "remote.test",
        uri: "https://remote.test/users/fern",
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    const row = await ctx.services.db
      .insertInto("media_attachments")
      .values({ id: newId(), account_id: account.id, type: "image", remote_url: url, meta: "{}" })
      .returning("id")
      .executeTakeFirstOrThrow();
    const guarded = { ...ctx.services, config: { ...ctx.config, allowPrivateAddress: false } };
    await cacheRemoteAttachment(guarded, row.id);
    expect(requests).not.toContain("/media/private.png");
    expect((await mediaRow(ctx.services, url))?.file_key).toBeNull();
  });
});

describe("remote avatars and headers", () => {
  it("are cached, kept while the actor names the same picture, and replaced when it changes", async () => {
    routes.set("/avatars/1.png", { body: await makeImage("png", { width: 800, height: 800 }) });
    routes.set("/avatars/2.jpg", { body: await makeImage("jpeg", { width: 500, height: 500 }) });
    routes.set("/headers/1.jpg", { body: await makeImage("jpeg", { width: 1600, height: 600 }) });
    const actor = (icon: string) =>
      new Person({
        id: new URL("https://remote.test/users/gil"),
        preferredUsername: "gil",
        inbox: new URL("https://remote.test/users/gil/inbox"),
        icon: new Image({ url: new URL(`${origin}${icon}`) }),
        image: new Image({ url: new URL(`${origin}/headers/1.jpg`) }),
      });
    const first = await upsertRemoteActor(ctx.services, actor("/avatars/1.png"));
    const read = () =>
      ctx.services.db
        .selectFrom("accounts")
        .select(["avatar_url", "header_url"])
        .where("id", "=", first.id)
        .executeTakeFirstOrThrow();
    const cached = await until(read, (a) =>
      [a.avatar_url, a.header_url].every((u) => u?.startsWith("https://roost.test/system/")),
    );
    expect(cached.avatar_url).toMatch(
      new RegExp(`/system/accounts/avatars/${first.id}/remote-[0-9a-f]+\\.png$`),
    );
    const shown = await (await ctx.app.request(`/api/v1/accounts/${first.id}`)).json();
    expect(shown.avatar).toBe(cached.avatar_url);
    expect(shown.header).toBe(cached.header_url);
    const file = await ctx.app.request(new URL(cached.avatar_url!).pathname);
    const meta = await sharp(Buffer.from(await file.arrayBuffer())).metadata();
    expect([meta.width, meta.height]).toEqual([400, 400]);

    // A refresh naming the same pictures keeps the copies and fetches nothing.
    const fetches = requests.length;
    await upsertRemoteActor(ctx.services, actor("/avatars/1.png"));
    expect(await read()).toEqual(cached);
    await new Promise((r) => setTimeout(r, 500));
    expect(requests.length).toBe(fetches);

    // A new avatar: shown by its URL at once, then cached; the old copy is removed.
    await upsertRemoteActor(ctx.services, actor("/avatars/2.jpg"));
    expect((await read()).avatar_url).toBe(`${origin}/avatars/2.jpg`);
    expect((await ctx.app.request(new URL(cached.avatar_url!).pathname)).status).toBe(404);
    const changed = await until(
      read,
      (a) => a.avatar_url?.endsWith(".jpg") === true && a.avatar_url.includes("/system/"),
    );
    expect(changed.avatar_url).not.toBe(cached.avatar_url);
    expect(changed.header_url).toBe(cached.header_url);
  });
});
