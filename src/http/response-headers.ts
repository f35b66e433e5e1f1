// Headers middleware adds to a handler's response. They are set after the handler has run,
// on the response it returned: a middleware that touches `c.res` before `next()` (as
// hono/cors does) makes Hono rebuild every response, which turns a string body into a
// stream that @hono/node-server then pipes (measured: about a tenth of a home page's CPU).
import type { Context } from "hono";
import type { AppEnv } from "./types.ts";

export function setResponseHeaders(c: Context<AppEnv>, headers: Iterable<[string, string]>): void {
  const entries = [...headers];
  if (entries.length === 0) return;
  try {
    for (const [k, v] of entries) c.res.headers.set(k, v);
  } catch {
    // Immutable headers (a Response passed through from fetch): copy it first.
    const copy = new Response(c.res.body, c.res);
    for (const [k, v] of entries) copy.headers.set(k, v);
    c.res = undefined;
    c.res = copy;
  }
}
