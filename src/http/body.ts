// Request parameters the way Mastodon (Rails/Rack) reads them. Mastodon clients send JSON,
// urlencoded forms and multipart uploads interchangeably, and the forms use Rack's bracket
// notation (`media_ids[]=1`, `poll[options][]=a`, `fields_attributes[0][name]=x`), so every
// handler sees the same nested shape whatever the encoding.
import type { Context } from "hono";
import { ApiError } from "./errors.ts";

export type Params = Record<string, unknown>;

/** Rack refuses deeper nesting too; it bounds recursion on hostile input. */
const MAX_DEPTH = 32;

/**
 * The request body as params: JSON objects as sent; urlencoded and multipart forms with
 * bracket notation expanded (files stay `File`s). No body (or an unknown type) gives `{}`.
 * Malformed bodies are the client's fault: ApiError 400.
 */
export async function readParams(c: Context): Promise<Params> {
  const method = c.req.method;
  if (method === "GET" || method === "HEAD" || !c.req.raw.body) return {};
  const type = mediaType(c.req.header("content-type"));

  if (type === "application/json" || type.endsWith("+json")) {
    const text = await c.req.text();
    if (text.trim() === "") return {};
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw ApiError.badRequest("Request body is malformed");
    }
    if (!isPlainObject(parsed)) throw ApiError.badRequest("Request body must be a JSON object");
    return parsed;
  }

  if (type === "application/x-www-form-urlencoded") {
    return parseEntries(new URLSearchParams(await c.req.text()));
  }

  if (type === "multipart/form-data") {
    // An empty body under a multipart type is a form with no fields, not an error. Hono
    // caches the bytes, so formData() below parses them rather than the spent stream.
    if ((await c.req.arrayBuffer()).byteLength === 0) return {};
    let form: FormData;
    try {
      form = await c.req.formData();
    } catch {
      throw ApiError.badRequest("Request body is malformed");
    }
    return parseEntries(form);
  }

  // Rails ignores bodies it has no parser for; so do we, rather than guessing.
  return {};
}

/** The query string as params, bracket notation expanded: `types[]=a&types[]=b` → `{types: ["a","b"]}`. */
export function queryParams(c: Context): Params {
  return parseEntries(new URL(c.req.url).searchParams);
}

/** Expands `name[a][]`-style keys from ordered (key, value) pairs, the way Rack does. */
export function parseEntries(entries: Iterable<[string, FormDataEntryValue]>): Params {
  const params: Params = {};
  for (const [name, value] of entries) {
    const path = splitKey(name);
    if (!path) continue;
    const [head, ...rest] = path;
    assign(params, head!, rest, value);
  }
  return params;
}

/**
 * `a[b][]` → ["a", "b", ""]. A name whose brackets don't form a clean suffix is taken
 * literally, as one key. Returns undefined for names that must be dropped.
 */
function splitKey(name: string): string[] | undefined {
  const open = name.indexOf("[");
  if (open <= 0) return name === "" || isUnsafeKey(name) ? undefined : [name];
  const head = name.slice(0, open);
  const tail = name.slice(open);
  if (!/^(\[[^[\]]*\])+$/.test(tail)) return isUnsafeKey(name) ? undefined : [name];
  const segments = [...tail.matchAll(/\[([^[\]]*)\]/g)].map((m) => m[1]!);
  if (segments.length > MAX_DEPTH)
    throw ApiError.badRequest("Request parameters are nested too deeply");
  if (isUnsafeKey(head) || segments.some(isUnsafeKey)) return undefined;
  return [head, ...segments];
}

function assign(target: Params, key: string, rest: string[], value: unknown): void {
  if (rest.length === 0) {
    target[key] = value;
    return;
  }
  const [next, ...after] = rest as [string, ...string[]];
  if (next === "") {
    const list = child(target, key, () => [] as unknown[]);
    if (!Array.isArray(list)) throw conflict(key);
    if (after.length === 0) {
      list.push(value);
      return;
    }
    // `a[][x]=1&a[][y]=2&a[][x]=3` → [{x:1,y:2},{x:3}]: Rack starts a new element when the
    // last one already has the key being set.
    const last: unknown = list.at(-1);
    if (isPlainObject(last) && !hasPath(last, after)) {
      assign(last, after[0]!, after.slice(1), value);
    } else {
      const element: Params = {};
      list.push(element);
      assign(element, after[0]!, after.slice(1), value);
    }
    return;
  }
  const obj = child(target, key, () => ({}) as Params);
  if (!isPlainObject(obj)) throw conflict(key);
  assign(obj, next, after, value);
}

/** The existing own value at `key`, or a fresh one stored there. Never an inherited member. */
function child(target: Params, key: string, create: () => unknown): unknown {
  if (Object.hasOwn(target, key)) return target[key];
  const created = create();
  target[key] = created;
  return created;
}

function hasPath(obj: Params, path: string[]): boolean {
  // As in Rack: a path through `[]` never counts as present, so `a[][tags][]=x&a[][tags][]=y`
  // keeps filling the same element.
  if (path.includes("")) return false;
  let current: unknown = obj;
  for (const segment of path) {
    if (!isPlainObject(current) || !Object.hasOwn(current, segment)) return false;
    current = current[segment];
  }
  return true;
}

function conflict(key: string): ApiError {
  // Rack raises ParameterTypeError for `a=1&a[b]=2`; Rails answers 400.
  return ApiError.badRequest(`Conflicting types for parameter ${JSON.stringify(key)}`);
}

// Assigning to `__proto__` on a plain object would replace its prototype.
function isUnsafeKey(key: string): boolean {
  return key === "__proto__";
}

function isPlainObject(value: unknown): value is Params {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function mediaType(header: string | undefined): string {
  return (header ?? "").split(";")[0]!.trim().toLowerCase();
}
