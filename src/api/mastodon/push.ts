// POST/GET/PUT/DELETE /api/v1/push/subscription: the Web Push subscription of the calling
// access token (scope `push`). Another token of the same user neither sees nor changes it.
import type { Context } from "hono";
import { Hono } from "hono";
import { bearerToken, currentAccount, requireAuth } from "../../auth/middleware.ts";
import { queryParams, readParams } from "../../http/body.ts";
import { ApiError } from "../../http/errors.ts";
import type { AppEnv } from "../../http/types.ts";
import {
  createPushSubscription,
  deletePushSubscription,
  findPushSubscription,
  type PushSubscriptionRow,
  serializePushSubscription,
  updatePushSubscription,
} from "../../push/subscriptions.ts";
import { getVapidKeys } from "../../push/vapid.ts";

function tokenId(c: Context<AppEnv>): string {
  const auth = c.get("auth");
  if (!auth) throw ApiError.unauthorized();
  return auth.tokenId;
}

async function render(c: Context<AppEnv>, row: PushSubscriptionRow) {
  const { publicKey } = await getVapidKeys(c.get("services").db);
  return c.json(serializePushSubscription(row, publicKey));
}

export function pushRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.use("/v1/push/subscription", requireAuth("push"));

  app.post("/v1/push/subscription", async (c) => {
    const { db, config } = c.get("services");
    const token = bearerToken(c);
    if (!token) throw ApiError.unauthorized();
    const params = { ...queryParams(c), ...(await readParams(c)) };
    const row = await createPushSubscription(
      db,
      config,
      { tokenId: tokenId(c), accountId: currentAccount(c).id, token },
      params,
    );
    return render(c, row);
  });

  app.get("/v1/push/subscription", async (c) => {
    return render(c, await findPushSubscription(c.get("services").db, tokenId(c)));
  });

  app.put("/v1/push/subscription", async (c) => {
    const params = { ...queryParams(c), ...(await readParams(c)) };
    return render(c, await updatePushSubscription(c.get("services").db, tokenId(c), params));
  });

  app.delete("/v1/push/subscription", async (c) => {
    await deletePushSubscription(c.get("services").db, tokenId(c));
    return c.json({});
  });

  return app;
}
