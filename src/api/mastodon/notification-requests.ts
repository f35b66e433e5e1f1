// The notification policy (v2, and the v1 shape of Mastodon 4.3) and the filtered-
// notification requests it produces: /api/v1/notifications/requests[/:id][/accept|dismiss].
// Registered before the notification routes, which would read `requests` as an id.
import { Hono } from "hono";
import { type AccountRow, currentAccount, requireAuth } from "../../auth/middleware.ts";
import { type Params, queryParams, readParams } from "../../http/body.ts";
import { ApiError } from "../../http/errors.ts";
import { pageParams, setLinkHeader } from "../../http/pagination.ts";
import type { AppEnv } from "../../http/types.ts";
import type { NotificationPolicyValue } from "../../infra/db/schema.ts";
import {
  getPolicy,
  type NotificationPolicy,
  POLICY_KEYS,
  POLICY_VALUES,
  updatePolicy,
} from "../../notifications/policy.ts";
import {
  acceptRequests,
  dismissRequests,
  findRequest,
  listRequests,
  requestsSummary,
  serializeRequests,
} from "../../notifications/requests.ts";
import type { Services } from "../../services.ts";
import { publishToAccount } from "../../streaming/publish.ts";
import { bool } from "./statuses-params.ts";

const READ = ["read", "read:notifications"] as const;
const WRITE = ["write", "write:notifications"] as const;

/** v1 booleans: true filters, false accepts; read back as "anything but accept". */
const V1_KEYS = {
  filter_not_following: "for_not_following",
  filter_not_followers: "for_not_followers",
  filter_new_accounts: "for_new_accounts",
  filter_private_mentions: "for_private_mentions",
} as const;

export function notificationRequestRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  const v2 = async (c: Parameters<typeof currentAccount>[0], policy?: NotificationPolicy) => {
    const viewer = currentAccount(c);
    const { db } = c.get("services");
    const current = policy ?? (await getPolicy(db, viewer.id));
    return { ...current, summary: await requestsSummary(db, viewer) };
  };
  const v1 = async (c: Parameters<typeof currentAccount>[0], policy?: NotificationPolicy) => {
    const { summary, ...current } = await v2(c, policy);
    const out: Record<string, unknown> = {};
    for (const [key, column] of Object.entries(V1_KEYS)) out[key] = current[column] !== "accept";
    return { ...out, summary };
  };

  app.get("/v2/notifications/policy", requireAuth(READ), async (c) => c.json(await v2(c)));
  app.patch("/v2/notifications/policy", requireAuth(WRITE), async (c) => {
    const params = await readParams(c);
    const changes: Partial<NotificationPolicy> = {};
    for (const key of POLICY_KEYS) {
      const value = params[key];
      if (value === undefined || value === null || value === "") continue;
      if (!(POLICY_VALUES as readonly unknown[]).includes(value)) {
        throw ApiError.unprocessable(`Validation failed: ${key} is not included in the list`);
      }
      changes[key] = value as NotificationPolicyValue;
    }
    const viewer = currentAccount(c);
    const policy = await updatePolicy(c.get("services").db, viewer.id, changes);
    return c.json(await v2(c, policy));
  });

  app.get("/v1/notifications/policy", requireAuth(READ), async (c) => c.json(await v1(c)));
  app.put("/v1/notifications/policy", requireAuth(WRITE), async (c) => {
    const params = await readParams(c);
    const changes: Partial<NotificationPolicy> = {};
    for (const [key, column] of Object.entries(V1_KEYS)) {
      const value = bool(params[key], key);
      if (value !== undefined) changes[column] = value ? "filter" : "accept";
    }
    const viewer = currentAccount(c);
    const policy = await updatePolicy(c.get("services").db, viewer.id, changes);
    return c.json(await v1(c, policy));
  });

  app.get("/v1/notifications/requests", requireAuth(READ), async (c) => {
    const services = c.get("services");
    const viewer = currentAccount(c);
    const page = pageParams(c, { defaultLimit: 40, maxLimit: 80 });
    const rows = await listRequests(services.db, viewer, page);
    setLinkHeader(c, { newest: rows[0]?.id, oldest: rows.at(-1)?.id }, services.config.publicUrl);
    return c.json(await serializeRequests(services, viewer, rows));
  });

  // Acceptance is synchronous here, so the merge Mastodon does in the background is done.
  app.get("/v1/notifications/requests/merged", requireAuth(READ), (c) => c.json({ merged: true }));

  for (const [action, run] of [
    ["accept", acceptRequests],
    ["dismiss", dismissRequests],
  ] as const) {
    // Accepted notifications join the list: streaming clients are told to reload it, as
    // Mastodon does once its background merge is done (ours is done by now).
    const merged = async (services: Services, viewer: AccountRow) => {
      if (action !== "accept") return;
      await publishToAccount(
        services,
        viewer.id,
        ["user", "user:notification"],
        "notifications_merged",
        1,
      );
    };
    app.post(`/v1/notifications/requests/${action}`, requireAuth(WRITE), async (c) => {
      const viewer = currentAccount(c);
      const params: Params = { ...queryParams(c), ...(await readParams(c)) };
      await run(c.get("services").db, viewer, idList(params.id ?? params["id[]"]));
      await merged(c.get("services"), viewer);
      return c.json({});
    });
    app.post(`/v1/notifications/requests/:id/${action}`, requireAuth(WRITE), async (c) => {
      const viewer = currentAccount(c);
      const { db } = c.get("services");
      const request = await findRequest(db, viewer, c.req.param("id"));
      if (!request) throw ApiError.notFound();
      await run(db, viewer, [request.id]);
      await merged(c.get("services"), viewer);
      return c.json({});
    });
  }

  app.get("/v1/notifications/requests/:id", requireAuth(READ), async (c) => {
    const services = c.get("services");
    const viewer = currentAccount(c);
    const request = await findRequest(services.db, viewer, c.req.param("id"));
    const [entity] = request ? await serializeRequests(services, viewer, [request]) : [];
    if (!entity) throw ApiError.notFound();
    return c.json(entity);
  });

  return app;
}

function idList(value: unknown): string[] {
  const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
  return list.filter((v): v is string => typeof v === "string").slice(0, 100);
}
