// The one error type. Anything thrown in a handler becomes a Mastodon-shaped JSON body:
// `{"error": "..."}` (plus `error_description`/`details` where Mastodon sends them).
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { log } from "../infra/logging.ts";

const logger = log("http");

export class ApiError extends Error {
  override name = "ApiError";
  readonly status: ContentfulStatusCode;
  readonly body: Record<string, unknown>;
  readonly headers: Record<string, string>;

  constructor(
    status: ContentfulStatusCode,
    message: string,
    extra: Record<string, unknown> = {},
    headers: Record<string, string> = {},
  ) {
    super(message);
    this.status = status;
    this.body = { error: message, ...extra };
    this.headers = headers;
  }

  static badRequest(message = "Bad request") {
    return new ApiError(400, message);
  }
  static unauthorized(message = "The access token is invalid") {
    return new ApiError(401, message);
  }
  static forbidden(message = "This action is not allowed") {
    return new ApiError(403, message);
  }
  static notFound(message = "Record not found") {
    return new ApiError(404, message);
  }
  static payloadTooLarge() {
    return new ApiError(413, "Request entity too large");
  }
  static unprocessable(message: string, details?: Record<string, unknown>) {
    return new ApiError(422, message, details ? { details } : {});
  }
  static tooManyRequests(headers: Record<string, string> = {}) {
    return new ApiError(429, "Too many requests", {}, headers);
  }
}

export function renderError(err: unknown, c: Context): Response {
  if (err instanceof ApiError) {
    for (const [k, v] of Object.entries(err.headers)) c.header(k, v);
    return c.json(err.body, err.status);
  }
  if (err instanceof HTTPException) {
    const status = err.status as ContentfulStatusCode;
    const message = err.message || (status === 413 ? "Payload too large" : "Bad request");
    return c.json({ error: message }, status);
  }
  if (err instanceof SyntaxError) {
    // Malformed JSON (or similar) in the request body is the client's fault.
    return c.json({ error: "Request body is malformed" }, 400);
  }
  logger.error("Unhandled error on {method} {path}: {error}", {
    method: c.req.method,
    path: c.req.path,
    error: err,
  });
  return c.json({ error: "Internal server error" }, 500);
}
