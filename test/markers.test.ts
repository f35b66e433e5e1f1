// GET/POST /api/v1/markers.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createUserWithToken } from "./helpers/auth.ts";
import { expectSchema } from "./helpers/openapi.ts";
import { createTestContext, type TestContext } from "./helpers/services.ts";

let ctx: TestContext;
beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => {
  await ctx?.close();
});

async function call(method: string, path: string, token: string, body?: string, type?: string) {
  const res = await ctx.app.request(path, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(type ? { "content-type": type } : {}) },
    body,
  });
  return { res, body: (await res.json()) as Record<string, Record<string, unknown>> };
}

describe("markers", () => {
  it("saves positions, bumps versions and reads them back", async () => {
    const user = await createUserWithToken(ctx);
    const empty = await call("GET", "/api/v1/markers?timeline[]=home", user.token);
    expect(empty.body).toEqual({});

    const first = await call(
      "POST",
      "/api/v1/markers",
      user.token,
      "home[last_read_id]=100&notifications[last_read_id]=7",
      "application/x-www-form-urlencoded",
    );
    expect(first.res.status).toBe(200);
    expectSchema("Marker", first.body.home);
    expect(first.body.home!.last_read_id).toBe("100");
    expect(first.body.notifications!.last_read_id).toBe("7");

    const second = await call(
      "POST",
      "/api/v1/markers",
      user.token,
      JSON.stringify({ home: { last_read_id: "200" } }),
      "application/json",
    );
    expect(Object.keys(second.body)).toEqual(["home"]);
    expect(second.body.home!.version).toBe((first.body.home!.version as number) + 1);

    const both = await call(
      "GET",
      "/api/v1/markers?timeline[]=home&timeline[]=notifications",
      user.token,
    );
    expect(both.body.home!.last_read_id).toBe("200");
    expect(both.body.notifications!.last_read_id).toBe("7");
    for (const m of Object.values(both.body)) expectSchema("Marker", m);
    const homeOnly = await call("GET", "/api/v1/markers?timeline[]=home", user.token);
    expect(Object.keys(homeOnly.body)).toEqual(["home"]);
  });

  it("refuses a bad id with 422 and other users see nothing", async () => {
    const user = await createUserWithToken(ctx);
    const bad = await call(
      "POST",
      "/api/v1/markers",
      user.token,
      JSON.stringify({ home: { last_read_id: "abc" } }),
      "application/json",
    );
    expect(bad.res.status).toBe(422);
    expect(bad.body).toHaveProperty("error");
    const noScope = await createUserWithToken(ctx, { scopes: ["read"] });
    expect((await call("POST", "/api/v1/markers", noScope.token)).res.status).toBe(403);
  });
});
