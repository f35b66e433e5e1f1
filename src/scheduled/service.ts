// Scheduled statuses: POST /statuses with `scheduled_at` at least five minutes ahead stores
// the parameters instead of posting, reserves the media, and enqueues a delayed
// `scheduled.publish` job (publish.ts) that posts through createStatus at the time, so
// fan-out, notifications and federation happen as for any post. Mastodon's limits: 300
// scheduled in all, 25 per (UTC) day.

import { enqueueJob } from "../../workers/jobs.ts";
import type { AccountRow } from "../auth/middleware.ts";
import { ApiError } from "../http/errors.ts";
import type { PageParams } from "../http/pagination.ts";
import { newId } from "../infra/ids.ts";
import { getInstanceSettings } from "../instance/settings.ts";
import { checkMediaForStatus } from "../media/status-attachments.ts";
import type { Services } from "../services.ts";
import { findVisibleStatus } from "../statuses/queries.ts";
import type { NewStatus } from "../statuses/status-service.ts";
import { countCharacters } from "../text/count.ts";
import { applyPage } from "../timelines/paging.ts";

export const MIN_LEAD_MS = 5 * 60 * 1000;
export const TOTAL_LIMIT = 300;
export const DAILY_LIMIT = 25;
const DAY_MS = 24 * 60 * 60 * 1000;

/** What is stored in scheduled_statuses.params: enough to call createStatus later. */
export interface ScheduledParams {
  text: string;
  spoiler_text: string;
  sensitive: boolean;
  visibility: NewStatus["visibility"];
  language: string | null;
  in_reply_to_id: string | null;
  media_ids: string[];
  application_id: string | null;
  idempotency: string | null;
  /** Mastodon's stored shape (snake_case, expires_in in seconds from publication). */
  poll: { options: string[]; expires_in: number; multiple: boolean; hide_totals: boolean } | null;
}

export interface ScheduledRow {
  id: string;
  account_id: string;
  scheduled_at: Date;
  params: Record<string, unknown>;
}

/**
 * `scheduled_at` as Mastodon reads it: absent or in the past means "post now" (undefined);
 * otherwise a time, which must be at least five minutes ahead.
 */
export function scheduledAtParam(value: unknown, now = Date.now()): Date | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  const at = typeof value === "string" || typeof value === "number" ? new Date(value) : null;
  if (!at || Number.isNaN(at.getTime())) {
    throw ApiError.unprocessable("Validation failed: Scheduled at is invalid");
  }
  if (at.getTime() <= now) return undefined;
  checkLeadTime(at, now);
  return at;
}

function checkLeadTime(at: Date, now = Date.now()): void {
  if (at.getTime() < now + MIN_LEAD_MS) {
    throw ApiError.unprocessable(
      "Validation failed: Scheduled at The scheduled date must be in the future",
    );
  }
}

/** Refuses a schedule over the total or the per-day limit (the row itself excluded). */
async function checkLimits(
  db: Services["db"],
  accountId: string,
  at: Date,
  excludeId?: string,
): Promise<void> {
  const dayStart = new Date(Math.floor(at.getTime() / DAY_MS) * DAY_MS);
  const count = (query: ReturnType<typeof base>) =>
    query
      .select((eb) => eb.fn.countAll<string>().as("n"))
      .executeTakeFirst()
      .then((r) => Number(r?.n ?? 0));
  const base = () => {
    let q = db.selectFrom("scheduled_statuses").where("account_id", "=", accountId);
    if (excludeId) q = q.where("id", "<>", excludeId);
    return q;
  };
  if ((await count(base())) >= TOTAL_LIMIT) {
    throw ApiError.unprocessable(
      `Validation failed: You have exceeded the limit of ${TOTAL_LIMIT} scheduled posts`,
    );
  }
  const sameDay = base()
    .where("scheduled_at", ">=", dayStart)
    .where("scheduled_at", "<", new Date(dayStart.getTime() + DAY_MS));
  if ((await count(sameDay)) >= DAILY_LIMIT) {
    throw ApiError.unprocessable(
      `Validation failed: You have exceeded the limit of ${DAILY_LIMIT} scheduled posts for today`,
    );
  }
}

/** Validates the post as createStatus will, then stores it for later. */
export async function scheduleStatus(
  services: Services,
  author: AccountRow,
  input: NewStatus,
  at: Date,
  idempotency: string | null = null,
): Promise<ScheduledRow> {
  const { db, config } = services;
  const mediaIds = await checkMediaForStatus(services, author, input.mediaIds ?? []);
  if (input.text.trim() === "" && mediaIds.length === 0) {
    throw ApiError.unprocessable("Validation failed: Text can't be blank");
  }
  if (input.poll && mediaIds.length > 0) {
    throw ApiError.unprocessable(
      "Validation failed: A poll cannot be combined with media attachments",
    );
  }
  const { maxStatusChars } = await getInstanceSettings(db, config);
  if (countCharacters(input.text) + countCharacters(input.spoilerText) > maxStatusChars) {
    throw ApiError.unprocessable(
      `Validation failed: Text character limit of ${maxStatusChars} exceeded`,
    );
  }
  if (input.inReplyToId) {
    await findVisibleStatus(db, author.id, input.inReplyToId).catch(() => {
      throw ApiError.notFound("The post you are trying to reply to does not appear to exist.");
    });
  }
  const params: ScheduledParams = {
    text: input.text,
    spoiler_text: input.spoilerText,
    sensitive: input.sensitive,
    visibility: input.visibility,
    language: input.language,
    in_reply_to_id: input.inReplyToId,
    media_ids: mediaIds,
    application_id: input.applicationId,
    idempotency,
    poll: input.poll
      ? {
          options: input.poll.options,
          expires_in: input.poll.expiresIn,
          multiple: input.poll.multiple,
          hide_totals: input.poll.hideTotals,
        }
      : null,
  };
  const id = newId();
  const row = await db.transaction().execute(async (trx) => {
    // One account's schedules are counted one request at a time, so the limits hold.
    await trx.selectFrom("accounts").select("id").where("id", "=", author.id).forUpdate().execute();
    await checkLimits(trx, author.id, at);
    const inserted = await trx
      .insertInto("scheduled_statuses")
      .values({ id, account_id: author.id, scheduled_at: at, params: JSON.stringify(params) })
      .returning(["id", "account_id", "scheduled_at", "params"])
      .executeTakeFirstOrThrow();
    if (mediaIds.length) {
      const reserved = await trx
        .updateTable("media_attachments")
        .set({ scheduled_status_id: id })
        .where("id", "in", mediaIds)
        .where("status_id", "is", null)
        .where("scheduled_status_id", "is", null)
        .executeTakeFirst();
      // Taken by another post since the check: refused rather than shared.
      if (Number(reserved.numUpdatedRows) !== mediaIds.length) {
        throw ApiError.unprocessable("Validation failed: Media ids are invalid");
      }
    }
    return inserted;
  });
  await enqueuePublish(services, row);
  return row;
}

/** The delayed job that publishes it; a reschedule enqueues another (publish.ts checks the time). */
export async function enqueuePublish(
  services: Services,
  row: Pick<ScheduledRow, "id" | "scheduled_at">,
): Promise<void> {
  const delay = Math.max(0, new Date(row.scheduled_at).getTime() - Date.now());
  await enqueueJob(services, { type: "scheduled.publish", scheduledStatusId: row.id }, delay);
}

export async function listScheduled(
  services: Services,
  account: AccountRow,
  page: PageParams,
): Promise<ScheduledRow[]> {
  const { query, reverse } = applyPage(
    services.db
      .selectFrom("scheduled_statuses")
      .select([
        "scheduled_statuses.id",
        "scheduled_statuses.account_id",
        "scheduled_statuses.scheduled_at",
        "scheduled_statuses.params",
      ])
      .where("scheduled_statuses.account_id", "=", account.id),
    "scheduled_statuses.id",
    page,
  );
  const rows = await query.execute();
  return reverse ? rows.reverse() : rows;
}

/** One of the account's scheduled statuses; 404 otherwise. */
export async function findScheduled(
  services: Services,
  account: AccountRow,
  id: string,
): Promise<ScheduledRow> {
  const row = /^\d{1,19}$/.test(id)
    ? await services.db
        .selectFrom("scheduled_statuses")
        .select(["id", "account_id", "scheduled_at", "params"])
        .where("id", "=", id)
        .where("account_id", "=", account.id)
        .executeTakeFirst()
    : undefined;
  if (!row) throw ApiError.notFound();
  return row;
}

/** PUT: a new time (same rules as scheduling); absent leaves it as it is. */
export async function rescheduleStatus(
  services: Services,
  account: AccountRow,
  id: string,
  value: unknown,
): Promise<ScheduledRow> {
  const existing = await findScheduled(services, account, id);
  if (value === undefined || value === null || value === "") return existing;
  const at = typeof value === "string" || typeof value === "number" ? new Date(value) : null;
  if (!at || Number.isNaN(at.getTime())) {
    throw ApiError.unprocessable("Validation failed: Scheduled at is invalid");
  }
  checkLeadTime(at);
  const row = await services.db.transaction().execute(async (trx) => {
    await trx
      .selectFrom("accounts")
      .select("id")
      .where("id", "=", account.id)
      .forUpdate()
      .execute();
    await checkLimits(trx, account.id, at, id);
    return trx
      .updateTable("scheduled_statuses")
      .set({ scheduled_at: at })
      .where("id", "=", id)
      .where("account_id", "=", account.id)
      .returning(["id", "account_id", "scheduled_at", "params"])
      .executeTakeFirst();
  });
  // Published meanwhile.
  if (!row) throw ApiError.notFound();
  await enqueuePublish(services, row);
  return row;
}

/** DELETE: the status will not be posted; its media are released (foreign key: set null). */
export async function cancelScheduled(
  services: Services,
  account: AccountRow,
  id: string,
): Promise<void> {
  await findScheduled(services, account, id);
  await services.db
    .deleteFrom("scheduled_statuses")
    .where("id", "=", id)
    .where("account_id", "=", account.id)
    .execute();
}
