// Web Push subscriptions (POST/GET/PUT/DELETE /api/v1/push/subscription). Each access token
// has at most one, and only that token ever sees or changes it: every query is keyed by
// the token's id, never by the account.
import type { Selectable } from "kysely";
import type { Config } from "../config.ts";
import { ApiError } from "../http/errors.ts";
import type { Db } from "../infra/db/index.ts";
import type { PushPolicy, WebPushSubscriptionsTable } from "../infra/db/schema.ts";
import { newId } from "../infra/ids.ts";
import { booleanParam } from "../timelines/paging.ts";
import { sealToken } from "./seal.ts";

export type PushSubscriptionRow = Selectable<WebPushSubscriptionsTable>;

/** The alert names clients may set, in Mastodon's order. */
export const ALERT_TYPES = [
  "mention",
  "status",
  "reblog",
  "follow",
  "follow_request",
  "favourite",
  "poll",
  "update",
  "admin.sign_up",
  "admin.report",
] as const;

export type AlertType = (typeof ALERT_TYPES)[number];

const POLICIES: readonly PushPolicy[] = ["all", "followed", "follower", "none"];

export interface WebPushSubscriptionEntity {
  id: string;
  endpoint: string;
  standard: boolean;
  alerts: Record<AlertType, boolean>;
  policy: PushPolicy;
  server_key: string;
}

export function serializePushSubscription(
  row: PushSubscriptionRow,
  serverKey: string,
): WebPushSubscriptionEntity {
  const stored = alertsOf(row);
  const alerts = Object.fromEntries(ALERT_TYPES.map((t) => [t, stored[t] === true])) as Record<
    AlertType,
    boolean
  >;
  return {
    id: row.id,
    endpoint: row.endpoint,
    standard: row.standard,
    alerts,
    policy: row.policy,
    server_key: serverKey,
  };
}

export function alertsOf(row: Pick<PushSubscriptionRow, "alerts">): Record<string, boolean> {
  const value: unknown = row.alerts;
  const parsed: unknown = typeof value === "string" ? JSON.parse(value) : value;
  return parsed && typeof parsed === "object" ? (parsed as Record<string, boolean>) : {};
}

type Params = Record<string, unknown>;

function object(value: unknown): Params {
  return value && typeof value === "object" && !Array.isArray(value) ? (value as Params) : {};
}

function decodedLength(value: string): number {
  // Clients send base64url, some padded or in the standard alphabet.
  return Buffer.from(value.replaceAll("+", "-").replaceAll("/", "_"), "base64url").length;
}

/** `data[alerts][...]` and `data[policy]`, as far as they are given. */
function parseData(params: Params): {
  alerts: Partial<Record<AlertType, boolean>>;
  policy?: PushPolicy;
} {
  const data = object(params.data);
  const given = object(data.alerts);
  const alerts: Partial<Record<AlertType, boolean>> = {};
  for (const type of ALERT_TYPES) {
    if (given[type] !== undefined) alerts[type] = booleanParam(given[type]);
  }
  let policy: PushPolicy | undefined;
  if (data.policy !== undefined) {
    if (!POLICIES.includes(data.policy as PushPolicy)) {
      throw ApiError.unprocessable("Validation failed: Policy is not included in the list");
    }
    policy = data.policy as PushPolicy;
  }
  return { alerts, policy };
}

/**
 * Push services are https; plain http (and, at delivery, private addresses) only when the
 * instance allows private addresses, which only tests do.
 */
function checkEndpoint(config: Pick<Config, "allowPrivateAddress">, endpoint: unknown): string {
  if (typeof endpoint !== "string" || endpoint === "") {
    throw ApiError.unprocessable("Validation failed: Endpoint can't be blank");
  }
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw ApiError.unprocessable("Validation failed: Endpoint is not a valid URL");
  }
  const allowed = config.allowPrivateAddress ? ["https:", "http:"] : ["https:"];
  if (!allowed.includes(url.protocol) || endpoint.length > 2048) {
    throw ApiError.unprocessable("Validation failed: Endpoint is not a valid URL");
  }
  return endpoint;
}

export interface SubscriptionOwner {
  tokenId: string;
  accountId: string;
  /** The bearer token itself, sealed into the row for the payload. */
  token: string;
}

/** POST: replaces the token's subscription with a new one. */
export async function createPushSubscription(
  db: Db,
  config: Config,
  owner: SubscriptionOwner,
  params: Params,
): Promise<PushSubscriptionRow> {
  const subscription = object(params.subscription);
  const endpoint = checkEndpoint(config, subscription.endpoint);
  const keys = object(subscription.keys);
  const p256dh = typeof keys.p256dh === "string" ? keys.p256dh : "";
  const auth = typeof keys.auth === "string" ? keys.auth : "";
  // An uncompressed P-256 point and a 16-byte secret (RFC 8291); anything else can't encrypt.
  if (decodedLength(p256dh) !== 65 || decodedLength(auth) !== 16) {
    throw ApiError.unprocessable("Validation failed: Keys are invalid");
  }
  const { alerts, policy } = parseData(params);
  const row = {
    id: newId(),
    token_id: owner.tokenId,
    account_id: owner.accountId,
    endpoint,
    key_p256dh: p256dh,
    key_auth: auth,
    alerts: JSON.stringify(alerts),
    policy: policy ?? "all",
    standard: booleanParam(subscription.standard),
    sealed_token: sealToken(config, owner.token),
  };
  return db.transaction().execute(async (trx) => {
    await trx.deleteFrom("web_push_subscriptions").where("token_id", "=", owner.tokenId).execute();
    return trx
      .insertInto("web_push_subscriptions")
      .values(row)
      .returningAll()
      .executeTakeFirstOrThrow();
  });
}

export async function findPushSubscription(db: Db, tokenId: string): Promise<PushSubscriptionRow> {
  const row = await db
    .selectFrom("web_push_subscriptions")
    .selectAll()
    .where("token_id", "=", tokenId)
    .executeTakeFirst();
  if (!row) throw ApiError.notFound();
  return row;
}

/** PUT: changes the alerts given (others keep their value) and the policy if given. */
export async function updatePushSubscription(
  db: Db,
  tokenId: string,
  params: Params,
): Promise<PushSubscriptionRow> {
  const current = await findPushSubscription(db, tokenId);
  const { alerts, policy } = parseData(params);
  return db
    .updateTable("web_push_subscriptions")
    .set({
      alerts: JSON.stringify({ ...alertsOf(current), ...alerts }),
      policy: policy ?? current.policy,
      updated_at: new Date(),
    })
    .where("id", "=", current.id)
    .where("token_id", "=", tokenId)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export async function deletePushSubscription(db: Db, tokenId: string): Promise<void> {
  await db.deleteFrom("web_push_subscriptions").where("token_id", "=", tokenId).execute();
}
