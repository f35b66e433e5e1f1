// POST /api/v1/accounts (sign-up through an app) and POST /api/v1/emails/confirmations
// (resend the confirmation mail). The per-IP sign-up limit (5 per 30 minutes) is applied by
// the API rate limiter's `signup` bucket, so it is not counted again here.
import { Hono } from "hono";
import { resendConfirmation, signUp } from "../../accounts/registration-service.ts";
import { requireAuth } from "../../auth/middleware.ts";
import { readParams } from "../../http/body.ts";
import { ApiError } from "../../http/errors.ts";
import type { AppEnv } from "../../http/types.ts";
import { issueAccessToken } from "../../oauth/access-tokens.ts";
import { throttle } from "../../web/throttle.ts";

export function registrationRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.post("/v1/accounts", requireAuth(["write:accounts"], { user: false }), async (c) => {
    const services = c.get("services");
    const auth = c.get("auth")!;
    const params = await readParams(c);
    const { account } = await signUp(services, {
      username: params.username,
      email: params.email,
      password: params.password,
      agreement: params.agreement,
      locale: params.locale,
      reason: params.reason,
      ip: c.get("clientIp"),
    });
    // Mastodon hands the new user a token of the signing-up app, with the app token's scopes.
    const token = await issueAccessToken(services.db, {
      applicationId: auth.applicationId,
      accountId: account.id,
      scopes: auth.scopes,
    });
    c.header("Cache-Control", "no-store");
    c.header("Pragma", "no-cache");
    return c.json(token);
  });

  app.post(
    "/v1/emails/confirmations",
    requireAuth(["write:accounts"], { allowUnconfirmed: true }),
    async (c) => {
      const limited = await throttle(c, [["confirmIp", "ip"]]);
      if (limited.exceeded) {
        throw ApiError.tooManyRequests({ "Retry-After": String(limited.retryAfter) });
      }
      const params = await readParams(c);
      const user = c.get("auth")!.user!;
      await resendConfirmation(
        c.get("services"),
        user,
        Object.hasOwn(params, "email") ? params.email : undefined,
      );
      return c.json({});
    },
  );

  return app;
}
