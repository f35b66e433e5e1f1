// Shared set-up of the moderation tests: staff users with roles, JSON requests, and remote
// actors (on loopback hosts) made known to the server the way a real server meets them.
import { expect } from "vitest";
import type { Role } from "../../src/infra/db/schema.ts";
import type { JsonResponse } from "./api.ts";
import { createUserWithToken } from "./auth.ts";
import { until } from "./queue-backends.ts";
import type { RemoteActor, RemoteHosts } from "./remote-actors.ts";
import { signedPost } from "./remote-actors.ts";
import type { TestContext } from "./services.ts";

// The JSON request helper is shared with every API test; re-exported for the moderation ones.
export { call, type JsonResponse } from "./api.ts";

/** Staff scopes without `follow`: what the admin API tests give their staff tokens. */
export const STAFF_SCOPES = ["read", "write", "admin:read", "admin:write"];

export const ADMIN_SCOPES = ["read", "write", "follow", "admin:read", "admin:write"];

export type TestUser = Awaited<ReturnType<typeof createUserWithToken>>;

export async function userWithRole(
  ctx: TestContext,
  role: Role,
  options: { username?: string; scopes?: string[] } = {},
): Promise<TestUser> {
  const user = await createUserWithToken(ctx, {
    username: options.username,
    scopes: options.scopes ?? ADMIN_SCOPES,
  });
  await ctx.services.db.updateTable("users").set({ role }).where("id", "=", user.user.id).execute();
  return user;
}

/** Expects `status`, showing the body when it differs (easier failures). */
export function expectStatus(res: JsonResponse, status: number): void {
  expect({ status: res.status, body: res.body }).toMatchObject({ status });
}

/**
 * Has `actor` follow the local `username` through the real inbox, so the server stores
 * the actor (and knows its inbox) as it would for any remote follower.
 */
export async function remoteFollow(
  ctx: TestContext,
  origin: string,
  actor: RemoteActor,
  username: string,
): Promise<string> {
  const target = `${origin}/users/${username}`;
  const res = await ctx.app.request(
    await signedPost(
      `${origin}/inbox`,
      {
        "@context": "https://www.w3.org/ns/activitystreams",
        id: `${actor.id}#follows/${Date.now()}`,
        type: "Follow",
        actor: actor.id,
        object: target,
      },
      actor,
    ),
  );
  expect(res.status).toBeLessThan(300);
  let accountId = "";
  await until(async () => {
    const row = await ctx.services.db
      .selectFrom("follows")
      .innerJoin("accounts", "accounts.id", "follows.account_id")
      .select("accounts.id")
      .where("accounts.uri", "=", actor.id)
      .executeTakeFirst();
    accountId = row?.id ?? "";
    return accountId !== "";
  }, 20_000);
  return accountId;
}

/** POSTs received by the loopback hosts whose JSON body has `type`. */
export function deliveries(hosts: RemoteHosts, type: string) {
  return hosts.received
    .filter((r) => r.method === "POST")
    .flatMap((r) => {
      try {
        const json = JSON.parse(r.body) as Record<string, unknown>;
        return json.type === type ? [{ url: r.url, json }] : [];
      } catch {
        return [];
      }
    });
}
