// Drives the OAuth server through HTTP the way a client and a browser would: register an app,
// keep a browser's cookies, walk the consent form, redeem codes.
import { createHash, randomBytes } from "node:crypto";
import { createLocalUser } from "../../src/accounts/local-account-service.ts";
import { hashToken, randomToken } from "../../src/auth/tokens.ts";
import { newId } from "../../src/infra/ids.ts";
import type { TestContext } from "./services.ts";

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field
export type Json = any;

export interface TestApp {
  id: string;
  client_id: string;
  client_secret: string;
  redirect_uris: string[];
}

export const REDIRECT = "https://client.example/callback";
export const OOB = "urn:ietf:wg:oauth:2.0:oob";

export async function registerApp(
  ctx: TestContext,
  body: Record<string, unknown> = {},
): Promise<TestApp> {
  const res = await ctx.app.request("/api/v1/apps", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      client_name: "Test client",
      redirect_uris: [REDIRECT, OOB],
      scopes: "read write profile",
      ...body,
    }),
  });
  if (res.status !== 200) throw new Error(`app registration failed: ${await res.text()}`);
  return (await res.json()) as TestApp;
}

let userCounter = 0;
export async function createUser(
  ctx: TestContext,
  options: { confirmed?: boolean; approved?: boolean; password?: string } = {},
) {
  userCounter += 1;
  const username = `user${userCounter}_${randomToken(3).replace(/[^A-Za-z0-9]/g, "")}`;
  const email = `${username}@example.com`;
  const password = options.password ?? "correct horse battery";
  const created = await createLocalUser(ctx.services.db, ctx.config, {
    username,
    email,
    password,
    confirmed: options.confirmed ?? true,
    approved: options.approved ?? true,
  });
  return { ...created, email, password };
}

/** A browser: cookies kept between requests, redirects not followed. */
export class Browser {
  readonly cookies = new Map<string, string>();
  readonly ctx: TestContext;

  constructor(ctx: TestContext) {
    this.ctx = ctx;
  }

  /** Signs in by inserting a session row, as the sign-in page would. */
  async signIn(userId: string): Promise<void> {
    const id = randomToken();
    await this.ctx.services.db
      .insertInto("web_sessions")
      .values({
        id: newId(),
        session_hash: hashToken(id),
        user_id: userId,
        ip: "127.0.0.1",
        user_agent: "test",
        expires_at: new Date(Date.now() + 86_400_000),
      })
      .execute();
    this.cookies.set("roost_session", id);
  }

  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size) {
      headers.set("cookie", [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; "));
    }
    const res = await this.ctx.app.request(path, { ...init, headers });
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(";");
      const eq = pair!.indexOf("=");
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const expired = attrs.some((a) => /^\s*max-age=0\s*$/i.test(a)) || value === "";
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }

  async postForm(path: string, fields: Record<string, string>): Promise<Response> {
    return this.request(path, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(fields).toString(),
    });
  }
}

/** The hidden inputs of the form whose submit button has `decision=<value>`. */
export function formFields(html: string, decision: "approve" | "deny"): Record<string, string> {
  const forms = html.split("<form").slice(1);
  const form = forms.find((f) => f.includes(`value="${decision}"`));
  if (!form) throw new Error(`no ${decision} form in page`);
  const fields: Record<string, string> = {};
  for (const m of form.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    fields[m[1]!] = unescapeHtml(m[2]!);
  }
  fields.decision = decision;
  return fields;
}

function unescapeHtml(s: string): string {
  return s
    .replaceAll("&quot;", '"')
    .replaceAll("&#39;", "'")
    .replaceAll("&lt;", "<")
    .replaceAll("&gt;", ">")
    .replaceAll("&amp;", "&");
}

export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString("base64url");
  return { verifier, challenge: createHash("sha256").update(verifier).digest("base64url") };
}

export function authorizeUrl(app: TestApp, params: Record<string, string> = {}): string {
  const query = new URLSearchParams({
    response_type: "code",
    client_id: app.client_id,
    redirect_uri: REDIRECT,
    scope: "read",
    state: "xyz",
    ...params,
  });
  return `/oauth/authorize?${query}`;
}

/** Signed-in browser → consent page → Authorize → the code from the redirect. */
export async function authorize(
  browser: Browser,
  app: TestApp,
  params: Record<string, string> = {},
): Promise<{ code: string; location: URL }> {
  const page = await browser.request(authorizeUrl(app, params));
  // Already authorized with these scopes: Mastodon redirects with a code straight away.
  if (page.status === 302) {
    const location = new URL(page.headers.get("location")!);
    const code = location.searchParams.get("code");
    if (code) return { code, location };
  }
  if (page.status !== 200) throw new Error(`consent page: ${page.status} ${await page.text()}`);
  const res = await browser.postForm("/oauth/authorize", formFields(await page.text(), "approve"));
  if (res.status !== 302) throw new Error(`approve: ${res.status} ${await res.text()}`);
  const location = new URL(res.headers.get("location")!);
  return { code: location.searchParams.get("code")!, location };
}

export async function token(
  ctx: TestContext,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: Json; res: Response }> {
  const res = await ctx.app.request("/oauth/token", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(fields).toString(),
  });
  return { status: res.status, body: await res.json(), res };
}

export async function api(
  ctx: TestContext,
  path: string,
  accessToken?: string,
): Promise<{ status: number; body: Json }> {
  const res = await ctx.app.request(path, {
    headers: accessToken ? { authorization: `Bearer ${accessToken}` } : {},
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}
