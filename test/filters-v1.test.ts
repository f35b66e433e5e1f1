// The v1 filters API (one keyword per filter) over v2 storage: the mapping both ways,
// forms, the refusal to change shared settings of a several-keyword filter, validation.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call } from "./helpers/api.ts";
import { createUserWithToken } from "./helpers/auth.ts";
import { expectResponseSchema, expectSchema } from "./helpers/openapi.ts";
import { createTestContext, type TestContext } from "./helpers/services.ts";

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked against the schema
type Json = any;

let ctx: TestContext;

beforeAll(async () => {
  ctx = await createTestContext();
});
afterAll(async () => {
  await ctx?.close();
});

describe("v1 filters API", () => {
  it("maps one v1 filter onto a one-keyword v2 filter", async () => {
    const { token } = await createUserWithToken(ctx);
    const created = await call(ctx, "POST", "/api/v1/filters", token, {
      phrase: "election",
      context: ["home", "thread"],
      irreversible: true,
      whole_word: false,
      expires_in: 600,
    });
    expect(created.status).toBe(200);
    expectResponseSchema("POST", "/api/v1/filters", 200, created.body);
    expectSchema("V1Filter", created.body);
    expect(created.body).toMatchObject({
      phrase: "election",
      context: ["home", "thread"],
      irreversible: true,
      whole_word: false,
    });
    const v2 = (await call(ctx, "GET", "/api/v2/filters", token)).body;
    expect(v2).toHaveLength(1);
    expect(v2[0]).toMatchObject({
      title: "election",
      context: ["home", "thread"],
      filter_action: "hide",
      expires_at: created.body.expires_at,
      keywords: [{ id: created.body.id, keyword: "election", whole_word: false }],
    });

    const listed = await call(ctx, "GET", "/api/v1/filters", token);
    // The OpenAPI document types this list as a single object (its generator's slip), so
    // each element is checked against V1Filter instead.
    for (const f of listed.body) expectSchema("V1Filter", f);
    expect(listed.body).toEqual([created.body]);
    expect((await call(ctx, "GET", `/api/v1/filters/${created.body.id}`, token)).body).toEqual(
      created.body,
    );

    const form = new URLSearchParams();
    form.append("phrase", "vote");
    form.append("context[]", "public");
    form.append("irreversible", "false");
    form.append("whole_word", "true");
    const updated = await call(ctx, "PUT", `/api/v1/filters/${created.body.id}`, token, form);
    expect(updated.status).toBe(200);
    expectSchema("V1Filter", updated.body);
    expect(updated.body).toMatchObject({
      id: created.body.id,
      phrase: "vote",
      context: ["public"],
      irreversible: false,
      whole_word: true,
    });
    expect((await call(ctx, "GET", `/api/v2/filters/${v2[0].id}`, token)).body).toMatchObject({
      context: ["public"],
      filter_action: "warn",
    });

    expect((await call(ctx, "DELETE", `/api/v1/filters/${created.body.id}`, token)).body).toEqual(
      {},
    );
    expect((await call(ctx, "GET", "/api/v1/filters", token)).body).toEqual([]);
    // The filter emptied by the delete goes too.
    expect((await call(ctx, "GET", "/api/v2/filters", token)).body).toEqual([]);
  });

  it("lists each keyword of a v2 filter and refuses to change shared settings of several", async () => {
    const { token } = await createUserWithToken(ctx);
    const filter = (
      await call(ctx, "POST", "/api/v2/filters", token, {
        title: "Two words",
        context: ["home"],
        keywords_attributes: [{ keyword: "one" }, { keyword: "two" }],
      })
    ).body;
    const v1 = (await call(ctx, "GET", "/api/v1/filters", token)).body;
    for (const f of v1) expectSchema("V1Filter", f);
    expect(v1.map((f: Json) => f.phrase)).toEqual(["one", "two"]);
    expect(v1.map((f: Json) => f.id)).toEqual(filter.keywords.map((k: Json) => k.id));

    const refused = await call(ctx, "PUT", `/api/v1/filters/${v1[0].id}`, token, {
      context: ["public"],
    });
    expect(refused.status).toBe(422);
    // The keyword itself may still change; the filter's settings stay.
    const renamed = await call(ctx, "PUT", `/api/v1/filters/${v1[0].id}`, token, {
      phrase: "uno",
      context: ["home"],
    });
    expect(renamed.status).toBe(200);
    expect(renamed.body.phrase).toBe("uno");

    // Deleting one keyword keeps the filter while another remains.
    await call(ctx, "DELETE", `/api/v1/filters/${v1[0].id}`, token);
    const left = (await call(ctx, "GET", `/api/v2/filters/${filter.id}`, token)).body;
    expect(left.keywords.map((k: Json) => k.keyword)).toEqual(["two"]);
  });

  it("validates v1 input", async () => {
    const { token } = await createUserWithToken(ctx);
    for (const body of [
      { context: ["home"] },
      { phrase: "x" },
      { phrase: "x", context: ["nowhere"] },
      { phrase: "x", context: ["home"], irreversible: "maybe" },
    ]) {
      expect(
        (await call(ctx, "POST", "/api/v1/filters", token, body)).status,
        JSON.stringify(body),
      ).toBe(422);
    }
  });
});
