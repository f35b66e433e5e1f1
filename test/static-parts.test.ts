// The in-memory parts of rendered statuses (src/statuses/static-parts.ts): shared between
// renderings while a status is unchanged, and never stale once it changes, whichever way
// it changes: an edit, or an attachment changed without touching the status row (another
// process, a job caching a remote file), which the trigger of migration 0022 turns into a
// new version of the status.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { staticPartsOf } from "../src/statuses/static-parts.ts";
import { call as callApi } from "./helpers/api.ts";
import { createUserWithToken } from "./helpers/auth.ts";
import { makeImage, upload } from "./helpers/media.ts";
import type { Json } from "./helpers/oauth.ts";
import { createTestContext, type TestContext } from "./helpers/services.ts";

let ctx: TestContext;
let alice: Awaited<ReturnType<typeof createUserWithToken>>;

beforeAll(async () => {
  ctx = await createTestContext();
  alice = await createUserWithToken(ctx, { username: "alice" });
  await createUserWithToken(ctx, { username: "bob" });
});
afterAll(async () => {
  await ctx?.close();
});

const call = (method: string, path: string, body?: Record<string, unknown>) =>
  callApi(ctx, method, path, alice.token, body);

const row = (id: string) =>
  ctx.services.db.selectFrom("statuses").selectAll().where("id", "=", id).executeTakeFirstOrThrow();

describe("static parts of statuses", () => {
  let statusId: string;
  let mediaId: string;

  it("are loaded once and shared while the status is unchanged", async () => {
    const media = await upload(ctx.app, alice.token, await makeImage("png"), {
      fields: { description: "first alt" },
    });
    mediaId = media.body.id as string;
    const posted = await call("POST", "/api/v1/statuses", {
      status: "Hello @bob #Roost",
      media_ids: [mediaId],
    });
    expect(posted.status).toBe(200);
    statusId = posted.body.id as string;
    const first = (await staticPartsOf(ctx.services, [await row(statusId)])).get(statusId)!;
    expect(first.mentions.map((m) => m.acct)).toEqual(["bob"]);
    expect(first.tags.map((t) => t.name)).toEqual(["roost"]);
    expect(first.media.map((m) => m.description)).toEqual(["first alt"]);
    expect(first.hasPoll).toBe(false);
    const again = (await staticPartsOf(ctx.services, [await row(statusId)])).get(statusId);
    expect(again).toBe(first);
  });

  it("follow an attachment changed behind the status's back", async () => {
    await call("GET", `/api/v1/statuses/${statusId}`);
    const before = await row(statusId);
    // As another process or a job would: only the attachment row is written.
    await ctx.services.db
      .updateTable("media_attachments")
      .set({ description: "second alt" })
      .where("id", "=", mediaId)
      .execute();
    const after = await row(statusId);
    expect(after.updated_at.getTime()).toBeGreaterThan(before.updated_at.getTime());
    const shown = await call("GET", `/api/v1/statuses/${statusId}`);
    const attachments = shown.body.media_attachments as Json[];
    expect(attachments.map((m) => m.description)).toEqual(["second alt"]);
  });

  it("follow an edit that changes mentions, tags and attachments", async () => {
    await call("GET", `/api/v1/statuses/${statusId}`);
    const edited = await call("PUT", `/api/v1/statuses/${statusId}`, {
      status: "Hello again #Other",
      media_ids: [],
      poll: { options: ["yes", "no"], expires_in: 3600 },
    });
    expect(edited.status, JSON.stringify(edited.body)).toBe(200);
    const shown = await call("GET", `/api/v1/statuses/${statusId}`);
    expect(shown.body.mentions).toEqual([]);
    expect((shown.body.tags as Json[]).map((t) => t.name)).toEqual(["other"]);
    expect(shown.body.media_attachments).toEqual([]);
    expect((shown.body.poll as Json).options).toHaveLength(2);
  });
});

describe("a poll stored after its status", () => {
  it("shows once stored, even when the status was rendered without it", async () => {
    const posted = await call("POST", "/api/v1/statuses", { status: "A question soon" });
    const id = posted.body.id as string;
    expect((await call("GET", `/api/v1/statuses/${id}`)).body.poll).toBeNull();
    // As a remote post's poll arrives: its own write, after the status's.
    await ctx.services.db
      .insertInto("polls")
      .values({
        id: `${BigInt(id) + 1n}`,
        status_id: id,
        account_id: alice.account.id,
        options: JSON.stringify(["a", "b"]),
        tallies: JSON.stringify([0, 0]),
        multiple: false,
        expires_at: new Date(Date.now() + 3_600_000),
      })
      .execute();
    const shown = await call("GET", `/api/v1/statuses/${id}`);
    expect((shown.body.poll as Json | null)?.options).toHaveLength(2);
  });
});
