// The scheduled branch of POST /api/v1/statuses, with its own idempotency: a retried
// request (same Idempotency-Key) gets the scheduled status the first one made.
import type { KvKey } from "@fedify/fedify";
import type { AccountRow } from "../auth/middleware.ts";
import { durationOf } from "../infra/temporal.ts";
import type { Services } from "../services.ts";
import type { NewStatus } from "../statuses/status-service.ts";
import { type ScheduledStatusEntity, serializeScheduled } from "./serializer.ts";
import { scheduleStatus } from "./service.ts";

const IDEMPOTENCY_TTL_MS = 60 * 60 * 1000;

export async function scheduleFromRequest(
  services: Services,
  account: AccountRow,
  input: NewStatus,
  at: Date,
  idempotencyKey: string | undefined,
): Promise<ScheduledStatusEntity> {
  const key = idempotencyKey?.slice(0, 200);
  const kvKey: KvKey | undefined = key
    ? ["idempotency", "scheduled_statuses", account.id, key]
    : undefined;
  if (kvKey) {
    const previous = await services.kv.get<string>(kvKey);
    const row = previous
      ? await services.db
          .selectFrom("scheduled_statuses")
          .select(["id", "account_id", "scheduled_at", "params"])
          .where("id", "=", previous)
          .where("account_id", "=", account.id)
          .executeTakeFirst()
      : undefined;
    if (row) return (await serializeScheduled(services, [row]))[0]!;
  }
  const row = await scheduleStatus(services, account, input, at, key ?? null);
  if (kvKey) await services.kv.set(kvKey, row.id, { ttl: durationOf(IDEMPOTENCY_TTL_MS) });
  return (await serializeScheduled(services, [row]))[0]!;
}
