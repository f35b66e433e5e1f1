// A real client library against a real socket: masto (v7) registers an app, obtains tokens
// with its multipart token request, verifies and revokes them.
import { createOAuthAPIClient, createRestAPIClient } from "masto";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createUser } from "./helpers/oauth.ts";
import { type ServedApp, serveApp } from "./helpers/serve.ts";
import { createTestContext, type TestContext } from "./helpers/services.ts";

describe("masto client", () => {
  let ctx: TestContext;
  let served: ServedApp;
  let url: string;

  beforeAll(async () => {
    ctx = await createTestContext();
    served = await serveApp(ctx.app.fetch);
    url = served.url;
  });
  afterAll(async () => {
    await served?.close();
    await ctx?.close();
  });

  test("apps.create, token.create (client_credentials and password), revoke", async () => {
    const anonymous = createRestAPIClient({ url });
    const app = await anonymous.v1.apps.create({
      clientName: "masto test",
      redirectUris: "urn:ietf:wg:oauth:2.0:oob",
      scopes: "read write profile",
      website: "https://masto.example",
    });
    expect(app.clientId).toBeTruthy();
    expect(app.clientSecret).toBeTruthy();

    const oauth = createOAuthAPIClient({ url });
    const appToken = await oauth.token.create({
      grantType: "client_credentials",
      clientId: app.clientId!,
      clientSecret: app.clientSecret!,
      redirectUri: "urn:ietf:wg:oauth:2.0:oob",
      scope: "read",
    });
    expect(appToken.tokenType).toBe("Bearer");
    const asApp = createRestAPIClient({ url, accessToken: appToken.accessToken });
    expect((await asApp.v1.apps.verifyCredentials()).name).toBe("masto test");

    const user = await createUser(ctx);
    const userToken = await oauth.token.create({
      grantType: "password",
      clientId: app.clientId!,
      clientSecret: app.clientSecret!,
      redirectUri: "urn:ietf:wg:oauth:2.0:oob",
      username: user.email,
      password: user.password,
      scope: "read write",
    });
    expect(userToken.scope).toBe("read write");

    await oauth.revoke({
      clientId: app.clientId!,
      clientSecret: app.clientSecret!,
      token: appToken.accessToken,
    });
    // masto 7 rejects with a MastoHttpError (statusCode) or, for some paths, the Response.
    const failure = await asApp.v1.apps.verifyCredentials().then(
      () => undefined,
      (e: { statusCode?: number; status?: number }) => e,
    );
    expect(failure?.statusCode ?? failure?.status).toBe(401);
  });
});
