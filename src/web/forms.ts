// What the server-rendered auth pages share: rendering inside the layout, reading form
// fields, the CSRF field and its check, error messages from Mastodon-shaped validation
// errors, and the 429 page.
import type { Context } from "hono";
import { html } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { Params } from "../http/body.ts";
import { ApiError } from "../http/errors.ts";
import type { AppEnv } from "../http/types.ts";
import { getInstanceSettings } from "../instance/settings.ts";
import { messages, page } from "./layout.ts";
import { csrfToken, verifyCsrf } from "./session.ts";

type Body = HtmlEscapedString | Promise<HtmlEscapedString>;

export async function render(
  c: Context<AppEnv>,
  title: string,
  body: Body,
  status: ContentfulStatusCode = 200,
): Promise<Response> {
  const { db, config } = c.get("services");
  const settings = await getInstanceSettings(db, config);
  // Pages carry CSRF tokens and personal details: never cache them.
  c.header("Cache-Control", "no-store");
  return c.html(page(title, body, { instanceTitle: settings.title }), status);
}

/** A simple page: heading, messages, and optional links below. */
export function notice(
  c: Context<AppEnv>,
  title: string,
  text: { errors?: string[]; notice?: string },
  links: Body | string = "",
  status: ContentfulStatusCode = 200,
): Promise<Response> {
  return render(
    c,
    title,
    html`<h1>${title}</h1>${messages(text.errors, text.notice)}${links}`,
    status,
  );
}

/** A form field as a string. Mastodon's own forms nest fields under `user[...]`; both work. */
export function field(params: Params, name: string): string {
  let value = params[name];
  const user = params.user;
  if (value === undefined && user && typeof user === "object" && !Array.isArray(user)) {
    value = (user as Params)[name];
  }
  return typeof value === "string" ? value : "";
}

export function csrfField(c: Context<AppEnv>) {
  return html`<input type="hidden" name="authenticity_token" value="${csrfToken(c)}">`;
}

/** The 403 page when a form comes without this browser's CSRF token; undefined when it is fine. */
export async function rejectCsrf(
  c: Context<AppEnv>,
  params: Params,
): Promise<Response | undefined> {
  try {
    verifyCsrf(c, params.authenticity_token);
    return undefined;
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    return notice(
      c,
      "Invalid form",
      {
        errors: [
          "This form has expired or did not come from this site. Go back, reload the page and try again.",
        ],
      },
      "",
      403,
    );
  }
}

export function tooManyRequests(c: Context<AppEnv>, retryAfter: number): Promise<Response> {
  c.header("Retry-After", String(retryAfter));
  return notice(
    c,
    "Too many attempts",
    { errors: ["Too many attempts. Please wait a few minutes and try again."] },
    "",
    429,
  );
}

/**
 * Where to go after signing in. Only paths on this site: "//host" and "/\host" are
 * protocol-relative to browsers and would lead elsewhere.
 */
export function safeReturnTo(value: unknown): string | undefined {
  if (typeof value !== "string" || !value.startsWith("/")) return undefined;
  if (value.startsWith("//") || value.startsWith("/\\")) return undefined;
  // Control characters (tabs, newlines) are stripped by browsers and could rebuild "//".
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return undefined;
  }
  return value;
}

/** "Username has already been taken", one line per refused field, from a 422 ApiError. */
export function validationMessages(error: ApiError): string[] {
  const details = error.body.details as Record<string, { description: string }[]> | undefined;
  if (!details) return [error.message];
  return Object.entries(details).flatMap(([name, list]) =>
    list.map((d) => `${label(name)} ${d.description}`),
  );
}

function label(name: string): string {
  const words = name.replace(/_/g, " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** Runs a service call; a 422 becomes form messages instead of a JSON error. */
export async function formErrors(fn: () => Promise<unknown>): Promise<string[]> {
  try {
    await fn();
    return [];
  } catch (e) {
    if (e instanceof ApiError && e.status === 422) return validationMessages(e);
    throw e;
  }
}
