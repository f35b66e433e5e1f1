// Services emit domain events after their commit, with the payloads subscribers need.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { createUserWithToken } from "./helpers/auth.ts";
import type { Json } from "./helpers/oauth.ts";
import { createTestContext, type TestContext } from "./helpers/services.ts";

const emitted = vi.hoisted(() => [] as { name: string; payload: Record<string, unknown> }[]);
vi.mock("../src/events/emit.ts", async (importOriginal) => {
  const actual = await importOriginal<typeof import("../src/events/emit.ts")>();
  return {
    ...actual,
    emitEvent: async (...args: Parameters<typeof actual.emitEvent>) => {
      emitted.push({ name: args[1], payload: args[2] as Record<string, unknown> });
      await actual.emitEvent(...args);
    },
  };
});

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => {
  await ctx?.close();
});

async function call(method: string, path: string, token: string, body?: object): Promise<Json> {
  const res = await ctx.app.request(path, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body ? JSON.stringify(body) : undefined,
  });
  expect(res.status).toBe(200);
  return await res.json();
}

describe("status events", () => {
  it("emits created, updated, favourite and deleted events", async () => {
    const a = await createUserWithToken(ctx, { username: "ev_a" });
    const b = await createUserWithToken(ctx, { username: "ev_b" });
    const s = await call("POST", "/api/v1/statuses", a.token, {
      status: "hi @ev_b",
      visibility: "direct",
    });
    expect(emitted.at(-1)).toEqual({ name: "status.created", payload: { statusId: s.id } });
    await call("PUT", `/api/v1/statuses/${s.id}`, a.token, { status: "hello @ev_b" });
    expect(emitted.at(-1)).toEqual({ name: "status.updated", payload: { statusId: s.id } });
    await call("POST", `/api/v1/statuses/${s.id}/favourite`, b.token);
    expect(emitted.at(-1)).toMatchObject({
      name: "favourite.created",
      payload: { accountId: b.account.id, statusId: s.id },
    });
    const count = emitted.length;
    await call("POST", `/api/v1/statuses/${s.id}/favourite`, b.token);
    expect(emitted.length).toBe(count);
    await call("POST", `/api/v1/statuses/${s.id}/unfavourite`, b.token);
    expect(emitted.at(-1)).toEqual({
      name: "favourite.removed",
      payload: { accountId: b.account.id, statusId: s.id, uri: null },
    });
    await call("DELETE", `/api/v1/statuses/${s.id}`, a.token);
    expect(emitted.at(-1)).toEqual({
      name: "status.deleted",
      payload: {
        statusId: s.id,
        accountId: a.account.id,
        uri: s.uri,
        local: true,
        visibility: "direct",
        reblogOfId: null,
        mentionedAccountIds: [b.account.id],
      },
    });
  });

  it("emits created and deleted for boosts", async () => {
    const a = await createUserWithToken(ctx, { username: "ev_c" });
    const b = await createUserWithToken(ctx, { username: "ev_d" });
    const s = await call("POST", "/api/v1/statuses", a.token, { status: "boost me" });
    const boost = await call("POST", `/api/v1/statuses/${s.id}/reblog`, b.token);
    expect(emitted.at(-1)).toEqual({ name: "status.created", payload: { statusId: boost.id } });
    await call("POST", `/api/v1/statuses/${s.id}/unreblog`, b.token);
    expect(emitted.at(-1)).toMatchObject({
      name: "status.deleted",
      payload: { statusId: boost.id, reblogOfId: s.id, accountId: b.account.id },
    });
  });
});
