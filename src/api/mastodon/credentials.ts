// GET /api/v1/accounts/verify_credentials: the signed-in user's own account. Every app
// calls it right after sign-in, so it must succeed for any token Mastodon would accept.
import { Hono } from "hono";
import { loadMovedAccount, serializeCredentialAccount } from "../../accounts/serializers.ts";
import { checkAuth } from "../../auth/middleware.ts";
import type { AppEnv } from "../../http/types.ts";

// Mastodon 4.3+ accepts the `profile` scope here (for "sign in with Mastodon" apps).
const SCOPES = ["read", "read:accounts", "profile"] as const;

export function credentialRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.get("/v1/accounts/verify_credentials", async (c) => {
    const auth = c.get("auth");
    checkAuth(auth, SCOPES);
    const { db, config } = c.get("services");
    const account = auth.account!;
    const user = auth.user!;
    const [moved, pending] = await Promise.all([
      loadMovedAccount(db, account),
      db
        .selectFrom("follow_requests")
        .select((eb) => eb.fn.countAll<string>().as("count"))
        .where("target_account_id", "=", account.id)
        .executeTakeFirst(),
    ]);
    return c.json(
      serializeCredentialAccount(account, user, config, {
        moved,
        followRequestsCount: Number(pending?.count ?? 0),
      }),
    );
  });

  return app;
}
