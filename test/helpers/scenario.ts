// Shared pieces of the scenario tests: a Roost app with its workers served on a real
// socket, masto clients for users signed in with the password grant, raw requests for
// schema checks (masto camel-cases bodies), and polling for what the workers do later.
import { createOAuthAPIClient, createRestAPIClient, type mastodon } from "masto";
import { confirmedUser } from "./auth-flow.ts";
import { serveApp } from "./serve.ts";
import { createTestContext, type TestContext } from "./services.ts";

export const OOB = "urn:ietf:wg:oauth:2.0:oob";
export const SCOPES = "read write follow push";

// biome-ignore lint/suspicious/noExplicitAny: raw bodies are checked against the schema
export type Json = any;

export interface Scenario {
  ctx: TestContext;
  url: string;
  app: { clientId: string; clientSecret: string };
  close(): Promise<void>;
}

/** A fresh backend with workers, its app on 127.0.0.1, and one registered OAuth app. */
export async function startScenario(): Promise<Scenario> {
  const ctx = await createTestContext({}, { workers: true });
  const served = await serveApp(ctx.app.fetch);
  const url = served.url;
  const registered = await createRestAPIClient({ url }).v1.apps.create({
    clientName: "Scenario app",
    redirectUris: OOB,
    scopes: SCOPES,
    website: "https://scenario.example",
  });
  return {
    ctx,
    url,
    app: { clientId: registered.clientId!, clientSecret: registered.clientSecret! },
    async close() {
      await served.close();
      await ctx.close();
    },
  };
}

export interface SignedIn {
  id: string;
  username: string;
  token: string;
  masto: mastodon.rest.Client;
}

/** Signs in with the password grant, as apps with a built-in login form do. */
export async function login(s: Scenario, email: string, password: string): Promise<SignedIn> {
  const token = await createOAuthAPIClient({ url: s.url }).token.create({
    grantType: "password",
    clientId: s.app.clientId,
    clientSecret: s.app.clientSecret,
    redirectUri: OOB,
    username: email,
    password,
    scope: SCOPES,
  });
  const masto = createRestAPIClient({ url: s.url, accessToken: token.accessToken });
  const me = await masto.v1.accounts.verifyCredentials();
  return { id: me.id, username: me.username, token: token.accessToken, masto };
}

/** A confirmed user created directly in the database, then signed in through the API. */
export async function directUser(s: Scenario, username: string): Promise<SignedIn> {
  const user = await confirmedUser(s.ctx, username);
  return login(s, user.email, user.password);
}

export interface Raw {
  status: number;
  body: Json;
  link: string | null;
}

/** A request without masto, for the raw JSON body and headers. */
export async function raw(
  s: Scenario,
  method: string,
  path: string,
  token?: string,
  body?: Record<string, unknown>,
): Promise<Raw> {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body) headers["content-type"] = "application/json";
  const res = await fetch(`${s.url}${path}`, {
    method,
    headers,
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  const parsed: Json =
    text && res.headers.get("content-type")?.includes("json") ? JSON.parse(text) : text;
  return { status: res.status, body: parsed, link: res.headers.get("link") };
}

/** Retries `fn` until it returns something truthy; the workers run asynchronously. */
export async function eventually<T>(
  fn: () => Promise<T | undefined | false | null>,
  what: string,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await fn();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`Timed out waiting for ${what}${last ? `: ${String(last)}` : ""}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The `rel` URL of a Link header as a path and query on the same server. */
export function linkPath(link: string | null, rel: "next" | "prev"): string | undefined {
  const match = new RegExp(`<([^>]+)>; rel="${rel}"`).exec(link ?? "");
  if (!match) return undefined;
  const url = new URL(match[1]!);
  return `${url.pathname}${url.search}`;
}
