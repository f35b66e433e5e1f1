// Profile extras: deleting the avatar or header (back to the defaults, federated as a profile
// Update), endorsements (feature an account you follow), and translation, which Roost does
// not offer: Mastodon's "not configured" answer, never a 500.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Job } from "../workers/jobs.ts";
import { call } from "./helpers/api.ts";
import { createUserWithToken } from "./helpers/auth.ts";
import { makeImage, upload } from "./helpers/media.ts";
import { expectResponseSchema, expectSchema } from "./helpers/openapi.ts";
import { createTestContext, type TestContext } from "./helpers/services.ts";

let ctx: TestContext;
/** Every job enqueued on the `jobs` queue, whatever the backend. */
const enqueued: Job[] = [];

beforeAll(async () => {
  ctx = await createTestContext();
  const queue = ctx.services.queues.jobs;
  const enqueue = queue.enqueue.bind(queue);
  queue.enqueue = (message, options) => {
    enqueued.push(message as Job);
    return enqueue(message, options);
  };
  const many = queue.enqueueMany?.bind(queue);
  if (many) {
    queue.enqueueMany = (messages, options) => {
      enqueued.push(...(messages as Job[]));
      return many(messages, options);
    };
  }
});
afterAll(async () => {
  await ctx?.close();
});

// biome-ignore lint/suspicious/noExplicitAny: JSON bodies of many shapes
type Json = any;

function profileUpdatesFor(accountId: string): number {
  return enqueued.filter(
    (j) =>
      j.type === "event" &&
      j.subscriber === "federation" &&
      j.name === "account.updated" &&
      (j.payload as { accountId: string }).accountId === accountId,
  ).length;
}

describe("profile images", () => {
  it("deletes the avatar and the header, answering the CredentialAccount", async () => {
    const user = await createUserWithToken(ctx);
    const png = await makeImage("png", { width: 300, height: 200 });
    for (const field of ["avatar", "header"]) {
      const res = await upload(ctx.app, user.token, png, {
        path: "/api/v1/accounts/update_credentials",
        method: "PATCH",
        field,
        filename: "picture.png",
        type: "image/png",
      });
      expect(res.status).toBe(200);
    }
    const before = await call(ctx, "GET", "/api/v1/accounts/verify_credentials", user.token);
    const defaults = { avatar: before.body.avatar, header: before.body.header };
    expect(defaults.avatar).not.toMatch(/missing/);
    expect(defaults.header).not.toMatch(/missing/);
    const updatesBefore = profileUpdatesFor(user.account.id);

    const noAvatar = await call(ctx, "DELETE", "/api/v1/profile/avatar", user.token);
    expect(noAvatar.status).toBe(200);
    expectResponseSchema("DELETE", "/api/v1/profile/avatar", 200, noAvatar.body);
    expect(noAvatar.body.id).toBe(user.account.id);
    expect(noAvatar.body.avatar).not.toBe(defaults.avatar);
    expect(noAvatar.body.avatar).toMatch(/missing/);
    expect(noAvatar.body.header).toBe(defaults.header);
    expect(profileUpdatesFor(user.account.id)).toBe(updatesBefore + 1);

    const noHeader = await call(ctx, "DELETE", "/api/v1/profile/header", user.token);
    expect(noHeader.status).toBe(200);
    expectResponseSchema("DELETE", "/api/v1/profile/header", 200, noHeader.body);
    expect(noHeader.body.header).toMatch(/missing/);
    expect(profileUpdatesFor(user.account.id)).toBe(updatesBefore + 2);

    // Nothing left to delete: same answer, no Update sent.
    const again = await call(ctx, "DELETE", "/api/v1/profile/header", user.token);
    expect(again.status).toBe(200);
    expect(again.body.header).toBe(noHeader.body.header);
    expect(profileUpdatesFor(user.account.id)).toBe(updatesBefore + 2);

    const row = await ctx.services.db
      .selectFrom("accounts")
      .select(["avatar_url", "header_url"])
      .where("id", "=", user.account.id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ avatar_url: null, header_url: null });

    expect((await call(ctx, "DELETE", "/api/v1/profile/avatar")).status).toBe(401);
    const readOnly = await createUserWithToken(ctx, { scopes: ["read"] });
    expect((await call(ctx, "DELETE", "/api/v1/profile/avatar", readOnly.token)).status).toBe(403);
  });
});

describe("endorsements", () => {
  it("endorses only followed accounts and lists them", async () => {
    const user = await createUserWithToken(ctx);
    const friend = await createUserWithToken(ctx);
    const stranger = await createUserWithToken(ctx);
    expect(
      (await call(ctx, "POST", `/api/v1/accounts/${friend.account.id}/follow`, user.token)).status,
    ).toBe(200);

    const endorsed = await call(
      ctx,
      "POST",
      `/api/v1/accounts/${friend.account.id}/endorse`,
      user.token,
    );
    expect(endorsed.status).toBe(200);
    expectResponseSchema("POST", "/api/v1/accounts/{id}/endorse", 200, endorsed.body);
    expect(endorsed.body.endorsed).toBe(true);

    const refused = await call(
      ctx,
      "POST",
      `/api/v1/accounts/${stranger.account.id}/endorse`,
      user.token,
    );
    expect(refused.status).toBe(422);

    const list = await call(ctx, "GET", "/api/v1/endorsements", user.token);
    expectResponseSchema("GET", "/api/v1/endorsements", 200, list.body);
    expect(list.body.map((a: Json) => a.id)).toEqual([friend.account.id]);

    const un = await call(
      ctx,
      "POST",
      `/api/v1/accounts/${friend.account.id}/unendorse`,
      user.token,
    );
    expect(un.status).toBe(200);
    expectResponseSchema("POST", "/api/v1/accounts/{id}/unendorse", 200, un.body);
    expect(un.body.endorsed).toBe(false);
    expect((await call(ctx, "GET", "/api/v1/endorsements", user.token)).body).toEqual([]);
  });
});

describe("translation", () => {
  it("answers Mastodon's not-configured error and advertises no languages", async () => {
    const user = await createUserWithToken(ctx);
    const other = await createUserWithToken(ctx);
    const status = await call(ctx, "POST", "/api/v1/statuses", user.token, {
      status: "Bonjour tout le monde",
      language: "fr",
    });
    const res = await call(
      ctx,
      "POST",
      `/api/v1/statuses/${status.body.id}/translate`,
      user.token,
      {
        lang: "en",
      },
    );
    expect(res.status).toBe(404);
    expect(typeof res.body.error).toBe("string");
    // A status the viewer may not see is just as missing.
    const dm = await call(ctx, "POST", "/api/v1/statuses", user.token, {
      status: "secret",
      visibility: "direct",
    });
    const hidden = await call(ctx, "POST", `/api/v1/statuses/${dm.body.id}/translate`, other.token);
    expect(hidden.status).toBe(404);
    expect((await call(ctx, "POST", `/api/v1/statuses/${status.body.id}/translate`)).status).toBe(
      401,
    );

    const languages = await call(ctx, "GET", "/api/v1/instance/translation_languages");
    expect(languages.status).toBe(200);
    expect(languages.body).toEqual({});
    const instance = await call(ctx, "GET", "/api/v2/instance");
    expectSchema("Instance", instance.body);
    expect(instance.body.configuration.translation.enabled).toBe(false);
  });
});
