// Edit history with media: each version of GET /api/v1/statuses/:id/history lists the
// attachments it had, with their alt text as it was then.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pruneUnattachedMedia } from "../src/media/prune.ts";
import { createUserWithToken } from "./helpers/auth.ts";
import { makeImage, upload } from "./helpers/media.ts";
import type { Json } from "./helpers/oauth.ts";
import { expectSchema } from "./helpers/openapi.ts";
import { createTestContext, type TestContext } from "./helpers/services.ts";

let ctx: TestContext;
let alice: Awaited<ReturnType<typeof createUserWithToken>>;

beforeAll(async () => {
  ctx = await createTestContext();
  alice = await createUserWithToken(ctx, { username: "alice" });
});
afterAll(async () => {
  await ctx?.close();
});

async function call(method: string, path: string, body?: Record<string, unknown>) {
  const res = await ctx.app.request(path, {
    method,
    headers: {
      authorization: `Bearer ${alice.token}`,
      ...(body ? { "content-type": "application/json" } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as Json };
}

async function uploadImage(description: string): Promise<string> {
  const res = await upload(ctx.app, alice.token, await makeImage("png"), {
    fields: { description },
  });
  expect(res.status).toBe(200);
  return res.body.id as string;
}

describe("GET /api/v1/statuses/:id/history with media", () => {
  it("shows the media of a status never edited", async () => {
    const first = await uploadImage("a red square");
    const created = await call("POST", "/api/v1/statuses", {
      status: "one picture",
      media_ids: [first],
    });
    expect(created.status).toBe(200);
    const history = await call("GET", `/api/v1/statuses/${created.body.id}/history`);
    expect(history.status).toBe(200);
    expect(history.body).toHaveLength(1);
    expectSchema("StatusEdit", history.body[0]);
    expect(history.body[0].media_attachments.map((m: Json) => m.id)).toEqual([first]);
  });

  it("keeps each version's attachments and alt texts", async () => {
    const first = await uploadImage("first alt");
    const second = await uploadImage("second alt");
    const created = await call("POST", "/api/v1/statuses", {
      status: "version one",
      media_ids: [first],
    });
    const id = created.body.id as string;

    // v2: a second picture, and the first one's alt text changed.
    const v2 = await call("PUT", `/api/v1/statuses/${id}`, {
      status: "version two",
      media_ids: [first, second],
      media_attributes: [{ id: first, description: "first alt, corrected" }],
    });
    expect(v2.status).toBe(200);
    // v3: the first picture dropped.
    const v3 = await call("PUT", `/api/v1/statuses/${id}`, {
      status: "version three",
      media_ids: [second],
    });
    expect(v3.status).toBe(200);
    expect(v3.body.media_attachments.map((m: Json) => m.id)).toEqual([second]);

    const history = await call("GET", `/api/v1/statuses/${id}/history`);
    expect(history.status).toBe(200);
    for (const version of history.body) expectSchema("StatusEdit", version);
    const shown = history.body.map((v: Json) =>
      v.media_attachments.map((m: Json) => [m.id, m.description]),
    );
    expect(shown).toEqual([
      [[first, "first alt"]],
      [
        [first, "first alt, corrected"],
        [second, "second alt"],
      ],
      [[second, "second alt"]],
    ]);
    const firstInV1 = history.body[0].media_attachments[0];
    expect(firstInV1.url).toMatch(/\/system\/media_attachments\//);
    expect(firstInV1.type).toBe("image");

    // The dropped picture is unattached now, but history still shows it: the prune of
    // day-old unattached uploads leaves it alone.
    await pruneUnattachedMedia(ctx.services, Date.now() + 48 * 3600 * 1000);
    const later = await call("GET", `/api/v1/statuses/${id}/history`);
    expect(later.body[0].media_attachments.map((m: Json) => m.id)).toEqual([first]);
  });

  it("shows no media for versions without any", async () => {
    const created = await call("POST", "/api/v1/statuses", { status: "text only" });
    const id = created.body.id as string;
    const pic = await uploadImage("added later");
    await call("PUT", `/api/v1/statuses/${id}`, { status: "now with a picture", media_ids: [pic] });
    const history = await call("GET", `/api/v1/statuses/${id}/history`);
    expect(history.body.map((v: Json) => v.media_attachments.length)).toEqual([0, 1]);
  });
});
