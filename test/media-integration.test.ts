// Media across features: avatars and headers, the instance configuration, outbound Notes
// with Document attachments, inbound attachments shown by their remote URL, the prune jobs.
import { Create, Document, Note } from "@fedify/vocab";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { onCreate } from "../federation/inbox/create.ts";
import { pruneRemoteMediaCache, pruneUnattachedMedia } from "../src/media/prune.ts";
import { createUserWithToken } from "./helpers/auth.ts";
import {
  AS_CONTEXT,
  type FixtureFederation,
  fixtureFederation,
  PUBLIC,
  person,
  wrapCreate,
} from "./helpers/inbox-fixtures.ts";
import { makeImage, upload } from "./helpers/media.ts";
import type { Json } from "./helpers/oauth.ts";
import { expectSchema } from "./helpers/openapi.ts";
import { createTestContext, type TestContext } from "./helpers/services.ts";

const AP = "application/activity+json";
let ctx: TestContext;
let fed: FixtureFederation;
let alice: Awaited<ReturnType<typeof createUserWithToken>>;

beforeAll(async () => {
  ctx = await createTestContext({ PUBLIC_URL: "https://roost.test" });
  alice = await createUserWithToken(ctx, { username: "alice" });
  fed = fixtureFederation(ctx.services);
});
afterAll(async () => {
  await ctx?.close();
});

const auth = () => ({ authorization: `Bearer ${alice.token}` });

describe("avatars and headers", () => {
  it("stores update_credentials uploads, shows them, and DELETE /profile/* removes them", async () => {
    const avatar = await makeImage("jpeg", { width: 800, height: 600, gps: true });
    const res = await upload(ctx.app, alice.token, avatar, {
      path: "/api/v1/accounts/update_credentials",
      method: "PATCH",
      field: "avatar",
      fields: { display_name: "Alice" },
    });
    expect(res.status).toBe(200);
    expect(res.body.display_name).toBe("Alice");
    expect(res.body.avatar).toMatch(
      /^https:\/\/roost\.test\/system\/accounts\/avatars\/\d+\/\d+\.jpg$/,
    );
    expect(res.body.avatar_static).toBe(res.body.avatar);
    const file = await ctx.app.request(new URL(res.body.avatar).pathname);
    expect(file.status).toBe(200);
    const meta = await sharp(Buffer.from(await file.arrayBuffer())).metadata();
    expect([meta.width, meta.height]).toEqual([400, 400]);
    expect(meta.exif).toBeUndefined();

    const header = await upload(
      ctx.app,
      alice.token,
      await makeImage("png", { width: 1600, height: 600 }),
      {
        path: "/api/v1/accounts/update_credentials",
        method: "PATCH",
        field: "header",
      },
    );
    expect(header.status).toBe(200);
    expect(header.body.header).toMatch(/\/system\/accounts\/headers\/\d+\/\d+\.png$/);
    const shown = await (await ctx.app.request(`/api/v1/accounts/${alice.account.id}`)).json();
    expect(shown.avatar).toBe(res.body.avatar);
    expect(shown.header).toBe(header.body.header);

    const fake = await upload(ctx.app, alice.token, Buffer.from("not an image at all, really"), {
      path: "/api/v1/accounts/update_credentials",
      method: "PATCH",
      field: "avatar",
    });
    expect(fake.status).toBe(422);

    const del = await ctx.app.request("/api/v1/profile/avatar", {
      method: "DELETE",
      headers: auth(),
    });
    expect(del.status).toBe(200);
    const after = await del.json();
    expect(after.avatar).toMatch(/missing\.png$/);
    expect((await ctx.app.request(new URL(res.body.avatar).pathname)).status).toBe(404);
  });
});

describe("instance configuration", () => {
  it("advertises the configured limits", async () => {
    const res = await (await ctx.app.request("/api/v2/instance")).json();
    const media = res.configuration.media_attachments;
    expect(media.image_size_limit).toBe(ctx.config.media.imageLimit);
    expect(media.video_size_limit).toBe(ctx.config.media.videoLimit);
    expect(res.configuration.statuses.max_media_attachments).toBe(4);
  });
});

describe("federation", () => {
  it("sends attachments as Documents in the outbound Note", async () => {
    const { body: m } = await upload(
      ctx.app,
      alice.token,
      await makeImage("jpeg", { width: 320, height: 240 }),
      {
        fields: { description: "A test pattern", focus: "0.5,-0.25" },
      },
    );
    const post = await ctx.app.request("/api/v1/statuses", {
      method: "POST",
      headers: { ...auth(), "content-type": "application/json" },
      body: JSON.stringify({ status: "With a picture", media_ids: [m.id] }),
    });
    const status = await post.json();
    const res = await ctx.app.request(`/users/alice/statuses/${status.id}`, {
      headers: { Accept: AP },
    });
    expect(res.status).toBe(200);
    const json = await res.json();
    const note = await Note.fromJsonLd(json);
    const docs = [];
    for await (const a of note.getAttachments()) docs.push(a);
    expect(docs).toHaveLength(1);
    const doc = docs[0] as Document;
    expect(doc).toBeInstanceOf(Document);
    expect(doc.mediaType).toBe("image/jpeg");
    expect(doc.name?.toString()).toBe("A test pattern");
    expect(doc.width).toBe(320);
    expect(doc.height).toBe(240);
    expect((doc.url as URL).href).toBe(m.url);
    // Mastodon's extensions, which Fedify's Document cannot hold, are in the JSON itself.
    const attachment = [json.attachment].flat()[0] as Json;
    expect(attachment.blurhash).toBe(m.blurhash);
    expect(attachment.focalPoint).toEqual([0.5, -0.25]);
  });

  it("stores inbound attachments as remote media shown by their URL", async () => {
    const actor = "https://remote.test/users/carol";
    fed.serve(person(actor));
    const note: Json = {
      "@context": [
        AS_CONTEXT,
        {
          toot: "http://joinmastodon.org/ns#",
          blurhash: "toot:blurhash",
          focalPoint: { "@container": "@list", "@id": "toot:focalPoint" },
        },
      ],
      id: "https://remote.test/users/carol/statuses/1",
      type: "Note",
      attributedTo: actor,
      content: "<p>Look</p>",
      to: [PUBLIC],
      cc: [],
      attachment: [
        {
          type: "Document",
          mediaType: "image/png",
          url: "https://remote.test/media/1.png",
          name: "A remote picture",
          blurhash: "LEHV6nWB2yk8pyo0adR*.7kCMdnj",
          focalPoint: [0.25, -0.5],
          width: 640,
          height: 480,
        },
        { type: "Document", mediaType: "video/mp4", url: "https://remote.test/media/2.mp4" },
      ],
    };
    const json = wrapCreate(note);
    await onCreate(fed.inboxContext(json), await fed.parse(Create, json));
    const row = await ctx.services.db
      .selectFrom("statuses")
      .select("id")
      .where("uri", "=", note.id)
      .executeTakeFirstOrThrow();
    const res = await ctx.app.request(`/api/v1/statuses/${row.id}`);
    const body = await res.json();
    expectSchema("Status", body);
    const [image, video] = body.media_attachments;
    expect(image).toMatchObject({
      type: "image",
      url: "https://remote.test/media/1.png",
      remote_url: "https://remote.test/media/1.png",
      preview_url: "https://remote.test/media/1.png",
      description: "A remote picture",
      blurhash: "LEHV6nWB2yk8pyo0adR*.7kCMdnj",
    });
    expect(image.meta.original).toMatchObject({ width: 640, height: 480 });
    expect(image.meta.focus).toEqual({ x: 0.25, y: -0.5 });
    expect(video).toMatchObject({
      type: "video",
      url: "https://remote.test/media/2.mp4",
      preview_url: null,
    });
    // Nothing cached, so nothing to prune; the rows stay.
    expect(await pruneRemoteMediaCache(ctx.services.db, ctx.config, 0)).toBe(0);
  });
});

describe("pruning", () => {
  it("removes unattached uploads older than a day", async () => {
    const { body: m } = await upload(ctx.app, alice.token, await makeImage("png"));
    expect(await pruneUnattachedMedia(ctx.services)).toBe(0);
    const removed = await pruneUnattachedMedia(ctx.services, Date.now() + 25 * 3600 * 1000);
    expect(removed).toBeGreaterThanOrEqual(1);
    const gone = await ctx.app.request(`/api/v1/media/${m.id}`, { headers: auth() });
    expect(gone.status).toBe(404);
    expect((await ctx.app.request(new URL(m.url).pathname)).status).toBe(404);
  });
});
