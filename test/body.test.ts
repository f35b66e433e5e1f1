import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import { parseEntries, queryParams, readParams } from "../src/http/body.ts";
import { renderError } from "../src/http/errors.ts";

// A bare app: body parsing needs no services.
function echoApp() {
  const app = new Hono();
  app.all("/body", async (c) => {
    const params = await readParams(c);
    return c.json(describeFiles(params));
  });
  app.get("/query", (c) => c.json(queryParams(c)));
  app.onError(renderError);
  return app;
}

// Files don't survive JSON; show them as a marker with name, type and content.
function describeFiles(value: unknown): unknown {
  if (value instanceof File) return { file: value.name, type: value.type, size: value.size };
  if (Array.isArray(value)) return value.map(describeFiles);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, describeFiles(v)]));
  }
  return value;
}

const app = echoApp();

async function post(body: BodyInit | undefined, contentType?: string) {
  const headers: Record<string, string> = {};
  if (contentType) headers["content-type"] = contentType;
  const res = await app.request("/body", { method: "POST", body, headers });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

const form = (s: string) => post(s, "application/x-www-form-urlencoded");

describe("parseEntries (Rack bracket notation)", () => {
  const parse = (q: string) => parseEntries(new URLSearchParams(q));

  it("keeps plain keys, last value winning", () => {
    expect(parse("a=1&b=2&a=3")).toEqual({ a: "3", b: "2" });
  });

  it("collects a[] into an array in order", () => {
    expect(parse("a[]=1&a[]=2&a[]=3")).toEqual({ a: ["1", "2", "3"] });
  });

  it("builds nested objects from a[b][c]", () => {
    expect(parse("a[b]=1&a[c][d]=2")).toEqual({ a: { b: "1", c: { d: "2" } } });
  });

  it("keys numbered attributes as strings, like Rails fields_attributes", () => {
    expect(
      parse(
        "fields_attributes[0][name]=Site&fields_attributes[0][value]=x&fields_attributes[1][name]=Pronouns",
      ),
    ).toEqual({
      fields_attributes: { "0": { name: "Site", value: "x" }, "1": { name: "Pronouns" } },
    });
  });

  it("supports arrays nested in objects (poll[options][])", () => {
    expect(parse("poll[options][]=a&poll[options][]=b&poll[expires_in]=300")).toEqual({
      poll: { options: ["a", "b"], expires_in: "300" },
    });
  });

  it("starts a new array element when the key repeats (a[][x])", () => {
    expect(parse("a[][x]=1&a[][y]=2&a[][x]=3")).toEqual({ a: [{ x: "1", y: "2" }, { x: "3" }] });
  });

  it("keeps filling one element through a nested [] (a[][t][])", () => {
    expect(parse("a[][t][]=1&a[][t][]=2")).toEqual({ a: [{ t: ["1", "2"] }] });
  });

  it("decodes percent-escapes and plus signs", () => {
    expect(parse("status=hello+w%C3%B6rld%21&spoiler_text=%5Bcw%5D")).toEqual({
      status: "hello wörld!",
      spoiler_text: "[cw]",
    });
  });

  it("treats percent-encoded brackets in names as brackets (as Rack does)", () => {
    expect(parse("media_ids%5B%5D=1&media_ids%5B%5D=2")).toEqual({ media_ids: ["1", "2"] });
  });

  it("takes names with stray brackets literally", () => {
    expect(parse("a[b=1&c]=2&d[e]f=3")).toEqual({ "a[b": "1", "c]": "2", "d[e]f": "3" });
  });

  it("drops empty names and __proto__ keys", () => {
    const out = parse("=1&__proto__[x]=1&a[__proto__]=2&b=3");
    expect(out).toEqual({ b: "3" });
    expect(({} as Record<string, unknown>)["x"]).toBeUndefined();
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
  });

  it("does not mistake inherited members for existing params", () => {
    expect(parse("constructor[]=1&toString[a]=2")).toEqual({
      constructor: ["1"],
      toString: { a: "2" },
    });
  });

  it("rejects conflicting types with a 400", () => {
    expect(() => parse("a=1&a[b]=2")).toThrowError(/Conflicting/);
    expect(() => parse("a[]=1&a[b]=2")).toThrowError(/Conflicting/);
    expect(() => parse("a[b]=1&a[]=2")).toThrowError(/Conflicting/);
    try {
      parse("a=1&a[]=2");
      expect.unreachable();
    } catch (e) {
      expect((e as { status: number }).status).toBe(400);
    }
  });

  it("rejects absurd nesting", () => {
    expect(() => parse(`a${"[x]".repeat(40)}=1`)).toThrowError(/nested/);
    expect(parse(`a${"[x]".repeat(3)}=1`)).toEqual({ a: { x: { x: { x: "1" } } } });
  });
});

describe("readParams", () => {
  it("reads JSON bodies as sent", async () => {
    const body = { status: "hi", media_ids: ["1", "2"], poll: { options: ["a"], multiple: true } };
    const { status, json } = await post(JSON.stringify(body), "application/json");
    expect(status).toBe(200);
    expect(json).toEqual(body);
  });

  it("accepts JSON with a charset and +json types", async () => {
    expect((await post('{"a":1}', "application/json; charset=utf-8")).json).toEqual({ a: 1 });
    expect((await post('{"a":2}', "application/activity+json")).json).toEqual({ a: 2 });
  });

  it("gives {} for an empty body of any type", async () => {
    expect((await post(undefined)).json).toEqual({});
    expect((await post("", "application/json")).json).toEqual({});
    expect((await post("  \n", "application/json")).json).toEqual({});
    expect((await post("", "application/x-www-form-urlencoded")).json).toEqual({});
    expect((await post("", "multipart/form-data; boundary=xyz")).json).toEqual({});
  });

  it("gives {} for GET and for types it has no parser for", async () => {
    const res = await app.request("/body");
    expect(await res.json()).toEqual({});
    expect((await post("a=1", "text/plain")).json).toEqual({});
  });

  it("answers malformed JSON with 400, not 500", async () => {
    const { status, json } = await post('{"status": "hi"', "application/json");
    expect(status).toBe(400);
    expect(json).toEqual({ error: "Request body is malformed" });
  });

  it("rejects JSON that is not an object", async () => {
    expect((await post("[1,2]", "application/json")).status).toBe(400);
    expect((await post("null", "application/json")).status).toBe(400);
    expect((await post('"x"', "application/json")).status).toBe(400);
  });

  it("expands brackets in urlencoded forms", async () => {
    const { json } = await form("status=hi&media_ids[]=1&media_ids[]=2&poll[options][]=a");
    expect(json).toEqual({ status: "hi", media_ids: ["1", "2"], poll: { options: ["a"] } });
  });

  it("expands brackets in multipart forms and keeps files as File", async () => {
    const fd = new FormData();
    fd.append("description", "a cat");
    fd.append("focus", "0.1,0.2");
    fd.append("file", new File(["hello"], "cat.png", { type: "image/png" }));
    fd.append("fields_attributes[0][name]", "Site");
    fd.append("fields_attributes[0][value]", "https://example.com");
    fd.append("tags[]", "a");
    fd.append("tags[]", "b");
    const { status, json } = await post(fd);
    expect(status).toBe(200);
    expect(json).toEqual({
      description: "a cat",
      focus: "0.1,0.2",
      file: { file: "cat.png", type: "image/png", size: 5 },
      fields_attributes: { "0": { name: "Site", value: "https://example.com" } },
      tags: ["a", "b"],
    });
  });

  it("hands the handler real File objects", async () => {
    const local = new Hono();
    let seen: unknown;
    local.post("/", async (c) => {
      seen = (await readParams(c))["file"];
      return c.body(null, 204);
    });
    const fd = new FormData();
    fd.append("file", new File([new Uint8Array([1, 2, 3])], "x.bin"));
    await local.request("/", { method: "POST", body: fd });
    expect(seen).toBeInstanceOf(File);
    expect(new Uint8Array(await (seen as File).arrayBuffer())).toEqual(new Uint8Array([1, 2, 3]));
  });

  it("answers a broken multipart body with 400", async () => {
    const { status } = await post("garbage", "multipart/form-data; boundary=xyz");
    expect(status).toBe(400);
  });

  it("answers conflicting form types with 400", async () => {
    const { status, json } = await form("a=1&a[b]=2");
    expect(status).toBe(400);
    expect(json["error"]).toMatch(/Conflicting/);
  });

  it("can be called twice in one request", async () => {
    const local = new Hono();
    local.post("/", async (c) => c.json([await readParams(c), await readParams(c)]));
    const res = await local.request("/", {
      method: "POST",
      body: "a[]=1",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(await res.json()).toEqual([{ a: ["1"] }, { a: ["1"] }]);
  });
});

describe("queryParams", () => {
  it("expands brackets in the query string", async () => {
    const res = await app.request(
      "/query?types[]=mention&types[]=follow&limit=20&exclude_types%5B%5D=poll",
    );
    expect(await res.json()).toEqual({
      types: ["mention", "follow"],
      limit: "20",
      exclude_types: ["poll"],
    });
  });

  it("gives {} without a query string", async () => {
    expect(await (await app.request("/query")).json()).toEqual({});
  });
});
