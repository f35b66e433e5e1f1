// Test fixtures for authenticated requests: an OAuth application, users and their tokens.
import { randomBytes } from "node:crypto";
import { createLocalUser } from "../../src/accounts/local-account-service.ts";
import type { Db } from "../../src/infra/db/index.ts";
import { newId } from "../../src/infra/ids.ts";
import { issueAccessToken } from "../../src/oauth/access-tokens.ts";
import type { TestContext } from "./services.ts";

export async function createTestApplication(db: Db, scopes = "read write follow push") {
  return await db
    .insertInto("oauth_applications")
    .values({
      id: newId(),
      name: "Test app",
      website: null,
      redirect_uris: JSON.stringify(["urn:ietf:wg:oauth:2.0:oob"]),
      scopes,
      client_id: randomBytes(16).toString("hex"),
      client_secret: randomBytes(24).toString("hex"),
      owner_account_id: null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** A token for the application itself (client_credentials). */
export async function createAppToken(db: Db, scopes = ["read", "write"]): Promise<string> {
  const app = await createTestApplication(db);
  return (await issueAccessToken(db, { applicationId: app.id, accountId: null, scopes }))
    .access_token;
}

/** A confirmed local user and a token for it. */
export async function createUserWithToken(
  ctx: Pick<TestContext, "services" | "config">,
  options: { username?: string; scopes?: string[]; confirmed?: boolean; password?: string } = {},
) {
  const username = options.username ?? `user${randomBytes(4).toString("hex")}`;
  const password = options.password ?? "correct horse battery";
  const { account, user } = await createLocalUser(ctx.services.db, ctx.config, {
    username,
    email: `${username}@example.com`,
    password,
    confirmed: options.confirmed ?? true,
  });
  const app = await createTestApplication(ctx.services.db);
  const token = await issueAccessToken(ctx.services.db, {
    applicationId: app.id,
    accountId: account.id,
    scopes: options.scopes ?? ["read", "write", "follow", "push"],
  });
  return { account, user, password, token: token.access_token };
}
