// Requests to the Mastodon API of a test context, as most API tests make them: an optional
// bearer token, a JSON body (or a form body when given URLSearchParams), and the answer
// with its body already parsed (null when empty) so assertions can read it field by field.
import type { TestContext } from "./services.ts";

export interface JsonResponse {
  res: Response;
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: test bodies are inspected field by field
  body: any;
  headers: Headers;
}

export async function call(
  ctx: TestContext,
  method: string,
  path: string,
  token?: string | null,
  body?: unknown,
): Promise<JsonResponse> {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  // GET and HEAD carry no body; the parameters of a GET belong in the query.
  let payload: string | undefined;
  if (body !== undefined && method !== "GET" && method !== "HEAD") {
    const form = body instanceof URLSearchParams;
    headers["content-type"] = form ? "application/x-www-form-urlencoded" : "application/json";
    payload = form ? body.toString() : JSON.stringify(body);
  }
  const res = await ctx.app.request(path, { method, headers, body: payload });
  const text = await res.text();
  const answer = { status: res.status, body: text ? JSON.parse(text) : null } as JsonResponse;
  // Not enumerable, so that a test can compare the whole answer with `{ status, body }`.
  Object.defineProperties(answer, { res: { value: res }, headers: { value: res.headers } });
  return answer;
}

/** Polls `check` until it gives a value (not undefined or false): for results made by workers. */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined | false>,
  timeoutMs = 45_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Timed out waiting for ${what}`);
}
