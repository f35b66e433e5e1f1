// Helpers for the sign-up, sign-in and mail tests: an app token without the OAuth
// endpoints, a cookie-carrying browser for the HTML forms, and reading captured mail.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { createLocalUser } from "../../src/accounts/local-account-service.ts";
import { randomToken } from "../../src/auth/tokens.ts";
import { newId } from "../../src/infra/ids.ts";
import { mailDir } from "../../src/mail/mailer.ts";
import { issueAccessToken } from "../../src/oauth/access-tokens.ts";
import { until } from "./queue-backends.ts";
import type { TestContext } from "./services.ts";

/** A client_credentials-style token: an application acting for itself. */
export async function appToken(
  ctx: TestContext,
  scopes: string[] = ["read", "write", "follow", "push"],
): Promise<{ token: string; applicationId: string }> {
  const applicationId = newId();
  await ctx.services.db
    .insertInto("oauth_applications")
    .values({
      id: applicationId,
      name: "Test app",
      website: null,
      redirect_uris: JSON.stringify(["urn:ietf:wg:oauth:2.0:oob"]),
      scopes: scopes.join(" "),
      client_id: randomToken(),
      client_secret: randomToken(),
      owner_account_id: null,
    })
    .execute();
  const body = await issueAccessToken(ctx.services.db, { applicationId, accountId: null, scopes });
  return { token: body.access_token, applicationId };
}

export async function confirmedUser(
  ctx: TestContext,
  username: string,
  password = "correct horse battery",
) {
  const email = `${username.toLowerCase()}@example.com`;
  const created = await createLocalUser(ctx.services.db, ctx.config, {
    username,
    email,
    password,
    confirmed: true,
  });
  return { ...created, email, password };
}

export function apiPost(
  ctx: TestContext,
  path: string,
  body: Record<string, unknown>,
  options: { token?: string; headers?: Record<string, string> } = {},
): Promise<Response> {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    ...options.headers,
  };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  return Promise.resolve(
    ctx.app.request(path, { method: "POST", headers, body: JSON.stringify(body) }),
  );
}

/** A browser: keeps cookies between requests and fills in the forms' CSRF token. */
export class Browser {
  readonly cookies = new Map<string, string>();
  readonly ctx: TestContext;
  readonly headers: Record<string, string>;

  constructor(ctx: TestContext, headers: Record<string, string> = {}) {
    this.ctx = ctx;
    this.headers = headers;
  }

  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    for (const [k, v] of Object.entries(this.headers)) headers.set(k, v);
    if (this.cookies.size) {
      headers.set("cookie", [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; "));
    }
    const res = await this.ctx.app.request(path, { ...init, headers });
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(";");
      const eq = pair!.indexOf("=");
      const name = pair!.slice(0, eq).trim();
      const removed = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a));
      if (removed) this.cookies.delete(name);
      else this.cookies.set(name, pair!.slice(eq + 1).trim());
    }
    return res;
  }

  get(path: string): Promise<Response> {
    return this.request(path);
  }

  /** GETs the page holding the form (for its CSRF token), then posts the fields. */
  async submit(
    formPage: string,
    action: string,
    fields: Record<string, string>,
    options: { csrf?: boolean } = {},
  ): Promise<Response> {
    const page = await this.get(formPage);
    const html = await page.text();
    const body = new URLSearchParams(fields);
    if (options.csrf ?? true) body.set("authenticity_token", csrfFrom(html));
    return this.post(action, body);
  }

  post(action: string, body: URLSearchParams): Promise<Response> {
    return this.request(action, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: body.toString(),
    });
  }
}

export function csrfFrom(html: string): string {
  const match = /name="authenticity_token" value="([^"]+)"/.exec(html);
  if (!match) throw new Error(`No CSRF token in page:\n${html.slice(0, 500)}`);
  return match[1]!;
}

export interface CapturedMail {
  file: string;
  raw: string;
  to: string;
  subject: string;
  /** Decoded body (all parts), for reading links and words. */
  body: string;
  links: string[];
}

function decodeQuotedPrintable(text: string): string {
  return text
    .replace(/=\r?\n/g, "")
    .replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(Number.parseInt(hex, 16)));
}

function header(raw: string, name: string): string {
  const match = new RegExp(`^${name}:\\s*(.*(?:\\r?\\n[ \\t].*)*)`, "im").exec(raw);
  return match ? match[1]!.replace(/\r?\n[ \t]+/g, " ").trim() : "";
}

export function readMails(ctx: TestContext): CapturedMail[] {
  const dir = mailDir(ctx.config);
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith(".eml"));
  } catch {
    return [];
  }
  return names.sort().map((name) => {
    const file = path.join(dir, name);
    const raw = readFileSync(file, "utf8");
    const body = decodeQuotedPrintable(raw);
    const links = [...new Set(body.match(/https?:\/\/[^\s<>"]+/g) ?? [])];
    return { file, raw, to: header(raw, "To"), subject: header(raw, "Subject"), body, links };
  });
}

/** Waits for the `nth` (1-based) mail to `to` and returns it. */
export async function waitForMail(ctx: TestContext, to: string, nth = 1): Promise<CapturedMail> {
  let found: CapturedMail | undefined;
  await until(() => {
    found = readMails(ctx).filter((m) => m.to.toLowerCase().includes(to.toLowerCase()))[nth - 1];
    return found !== undefined;
  }, 15_000);
  return found!;
}

/** The path and query of the mailed link matching `pathPrefix`, for ctx.app.request. */
export function linkPath(mail: CapturedMail, pathPrefix: string): string {
  const link = mail.links.find((l) => new URL(l).pathname === pathPrefix);
  if (!link) throw new Error(`No ${pathPrefix} link in mail:\n${mail.body}`);
  const url = new URL(link);
  return `${url.pathname}${url.search}`;
}
