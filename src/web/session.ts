// Browser sessions for the server-rendered pages (sign-in, OAuth consent, settings) and
// CSRF protection for their forms. The session cookie holds a random id; the database holds
// its hash. CSRF tokens are an HMAC of a per-browser cookie, so they work before sign-in too.
import { createHmac } from "node:crypto";
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { AccountRow, UserRow } from "../auth/middleware.ts";
import { hashToken, randomToken, safeEqual } from "../auth/tokens.ts";
import { ApiError } from "../http/errors.ts";
import type { AppEnv } from "../http/types.ts";
import { newId } from "../infra/ids.ts";

const SESSION_COOKIE = "roost_session";
const CSRF_COOKIE = "roost_csrf";
const SESSION_DAYS = 30;

function secure(c: Context<AppEnv>): boolean {
  return c.get("services").config.publicUrl.startsWith("https:");
}

export async function createSession(c: Context<AppEnv>, userId: string): Promise<void> {
  const { db } = c.get("services");
  const id = randomToken();
  await db
    .insertInto("web_sessions")
    .values({
      id: newId(),
      session_hash: hashToken(id),
      user_id: userId,
      ip: c.get("clientIp"),
      user_agent: c.req.header("user-agent")?.slice(0, 500) ?? null,
      expires_at: new Date(Date.now() + SESSION_DAYS * 86_400_000),
    })
    .execute();
  setCookie(c, SESSION_COOKIE, id, {
    httpOnly: true,
    sameSite: "Lax",
    secure: secure(c),
    path: "/",
    maxAge: SESSION_DAYS * 86_400,
  });
}

export interface WebSession {
  user: UserRow;
  account: AccountRow;
}

/** The signed-in user of this browser, if any (expired sessions don't count). */
export async function currentSession(c: Context<AppEnv>): Promise<WebSession | undefined> {
  const id = getCookie(c, SESSION_COOKIE);
  if (!id) return undefined;
  const { db } = c.get("services");
  const row = await db
    .selectFrom("web_sessions")
    .select("user_id")
    .where("session_hash", "=", hashToken(id))
    .where("expires_at", ">", new Date())
    .executeTakeFirst();
  if (!row) return undefined;
  const user = await db
    .selectFrom("users")
    .selectAll()
    .where("id", "=", row.user_id)
    .executeTakeFirst();
  if (!user) return undefined;
  const account = await db
    .selectFrom("accounts")
    .selectAll()
    .where("id", "=", user.account_id)
    .executeTakeFirstOrThrow();
  return { user, account };
}

export async function destroySession(c: Context<AppEnv>): Promise<void> {
  const id = getCookie(c, SESSION_COOKIE);
  if (id) {
    await c
      .get("services")
      .db.deleteFrom("web_sessions")
      .where("session_hash", "=", hashToken(id))
      .execute();
  }
  deleteCookie(c, SESSION_COOKIE, { path: "/" });
}

function csrfFor(secret: string, browserId: string): string {
  return createHmac("sha256", secret).update(`csrf:${browserId}`).digest("base64url");
}

/** The CSRF token to embed in this browser's forms (sets the browser cookie if missing). */
export function csrfToken(c: Context<AppEnv>): string {
  let browserId = getCookie(c, CSRF_COOKIE);
  if (!browserId) {
    browserId = randomToken(18);
    setCookie(c, CSRF_COOKIE, browserId, {
      httpOnly: true,
      sameSite: "Lax",
      secure: secure(c),
      path: "/",
    });
  }
  return csrfFor(c.get("services").config.secretKey ?? "", browserId);
}

/** Throws 403 unless the submitted form carries this browser's CSRF token. */
export function verifyCsrf(c: Context<AppEnv>, submitted: unknown): void {
  const browserId = getCookie(c, CSRF_COOKIE);
  const expected = browserId ? csrfFor(c.get("services").config.secretKey ?? "", browserId) : "";
  if (!browserId || typeof submitted !== "string" || !safeEqual(submitted, expected)) {
    throw ApiError.forbidden("Invalid authenticity token");
  }
}
