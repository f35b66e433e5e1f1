// Sending notifications by Web Push. A new notification becomes one `push.deliver` job per
// subscription whose alerts and policy want it, so a slow or failing push service is
// retried on its own. Payloads are encrypted by web-push (aes128gcm for subscriptions that
// declared `standard`, otherwise the aesgcm draft Mastodon used before 4.4) and signed with
// the instance's VAPID key; the request is sent here with fetch, because web-push's own
// sender speaks https only.
import webpush from "web-push";
import { enqueueJob } from "../../workers/jobs.ts";
import type { DomainEvents } from "../events/types.ts";
import { log } from "../infra/logging.ts";
import type { Services } from "../services.ts";
import { isPublicEndpoint } from "./endpoint.ts";
import { pushContent, pushPayload } from "./payload.ts";
import { unsealToken } from "./seal.ts";
import { alertsOf, type PushSubscriptionRow } from "./subscriptions.ts";
import { getVapidKeys, vapidSubject } from "./vapid.ts";

const logger = log("push");

/** How long a push service keeps an undelivered message (Mastodon: two days). */
const TTL_SECONDS = 48 * 3600;
const REQUEST_TIMEOUT_MS = 15_000;

/** Queues one delivery per subscription of the recipient that wants this notification. */
export async function queuePushes(
  services: Services,
  event: DomainEvents["notification.created"],
): Promise<void> {
  const { db } = services;
  const subscriptions = await db
    .selectFrom("web_push_subscriptions")
    .innerJoin("oauth_tokens", "oauth_tokens.id", "web_push_subscriptions.token_id")
    .selectAll("web_push_subscriptions")
    .where("web_push_subscriptions.account_id", "=", event.accountId)
    .where("oauth_tokens.revoked_at", "is", null)
    .execute();
  const wanted = subscriptions.filter((s) => alertsOf(s)[event.type] === true);
  if (wanted.length === 0) return;
  const notification = await db
    .selectFrom("notifications")
    .select("from_account_id")
    .where("id", "=", event.notificationId)
    .executeTakeFirst();
  if (!notification) return;
  for (const s of wanted) {
    if (!(await policyAllows(services, s, notification.from_account_id))) continue;
    await enqueueJob(services, {
      type: "push.deliver",
      subscriptionId: s.id,
      notificationId: event.notificationId,
    });
  }
}

/** `followed`: only from accounts the recipient follows; `follower`: from their followers. */
async function policyAllows(
  services: Services,
  s: PushSubscriptionRow,
  fromAccountId: string,
): Promise<boolean> {
  if (s.policy === "all") return true;
  if (s.policy === "none") return false;
  const [follower, target] =
    s.policy === "followed" ? [s.account_id, fromAccountId] : [fromAccountId, s.account_id];
  const follow = await services.db
    .selectFrom("follows")
    .select("id")
    .where("account_id", "=", follower)
    .where("target_account_id", "=", target)
    .executeTakeFirst();
  return follow !== undefined;
}

export class PushDeliveryError extends Error {
  override name = "PushDeliveryError";
}

/** Sends one notification to one subscription. Throws (for a retry) on temporary failures. */
export async function deliverPush(
  services: Services,
  job: { subscriptionId: string; notificationId: string },
): Promise<void> {
  const { db, config } = services;
  const subscription = await db
    .selectFrom("web_push_subscriptions")
    .innerJoin("oauth_tokens", "oauth_tokens.id", "web_push_subscriptions.token_id")
    .selectAll("web_push_subscriptions")
    .where("web_push_subscriptions.id", "=", job.subscriptionId)
    .where("oauth_tokens.revoked_at", "is", null)
    .executeTakeFirst();
  if (!subscription) return;
  const content = await pushContent(db, config, job.notificationId);
  if (!content) return;
  const token = unsealToken(config, subscription.sealed_token);
  if (token === undefined) {
    // Sealed under another secret (SECRET_KEY changed, or processes that don't share it):
    // the notification still shows, but the app can't act on it without resubscribing.
    logger.warning("Push subscription {id}: its access token can't be unsealed", {
      id: subscription.id,
    });
  }
  if (!config.allowPrivateAddress && !(await isPublicEndpoint(subscription.endpoint))) {
    logger.warning("Not pushing to {endpoint}: not a public address", {
      endpoint: subscription.endpoint,
    });
    return;
  }
  const user = await db
    .selectFrom("users")
    .select("locale")
    .where("account_id", "=", subscription.account_id)
    .executeTakeFirst();
  const vapid = await getVapidKeys(db);
  const request = webpush.generateRequestDetails(
    {
      endpoint: subscription.endpoint,
      keys: { p256dh: subscription.key_p256dh, auth: subscription.key_auth },
    },
    pushPayload(content, token ?? "", user?.locale || "en"),
    {
      vapidDetails: { subject: vapidSubject(config), ...vapid },
      contentEncoding: subscription.standard ? "aes128gcm" : "aesgcm",
      TTL: TTL_SECONDS,
      urgency: "normal",
    },
  );
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) headers.set(name, String(value));
  // fetch computes the length itself.
  headers.delete("content-length");
  let response: Response;
  try {
    response = await fetch(request.endpoint, {
      method: request.method,
      headers,
      body: request.body ? new Uint8Array(request.body) : null,
      redirect: "manual",
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (e) {
    throw new PushDeliveryError(`Push to ${subscription.endpoint} failed: ${(e as Error).message}`);
  }
  await response.body?.cancel();
  if (response.ok) return;
  if (response.status === 404 || response.status === 410) {
    await removeSubscription(
      services,
      subscription.id,
      `the push service answered ${response.status}`,
    );
    return;
  }
  // Rate limits and server errors pass; anything else will not get better by retrying.
  if (response.status === 429 || response.status >= 500) {
    throw new PushDeliveryError(`Push to ${subscription.endpoint}: HTTP ${response.status}`);
  }
  logger.warning("Push to {endpoint} refused: HTTP {status}", {
    endpoint: subscription.endpoint,
    status: response.status,
  });
}

async function removeSubscription(services: Services, id: string, why: string): Promise<void> {
  await services.db.deleteFrom("web_push_subscriptions").where("id", "=", id).execute();
  logger.info("Removed push subscription {id}: {why}", { id, why });
}
