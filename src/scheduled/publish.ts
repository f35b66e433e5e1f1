// The `scheduled.publish` job: posts a scheduled status when its time has come. A
// rescheduled status has a newer job for the new time, so a job that finds the time still
// ahead does nothing. The row is claimed by deleting it (two concurrent jobs cannot both
// post); a transient failure puts it back and the job is retried.
import { ApiError } from "../http/errors.ts";
import { log } from "../infra/logging.ts";
import type { Services } from "../services.ts";
import { createStatus } from "../statuses/status-service.ts";
import type { ScheduledParams } from "./service.ts";

const logger = log("scheduled");

/** A job may run this much early (queue timers are not exact). */
const EARLY_TOLERANCE_MS = 5_000;

export async function publishScheduledStatus(services: Services, id: string): Promise<void> {
  const { db } = services;
  const row = await db
    .selectFrom("scheduled_statuses")
    .selectAll()
    .where("id", "=", id)
    .executeTakeFirst();
  if (!row) return;
  if (new Date(row.scheduled_at).getTime() > Date.now() + EARLY_TOLERANCE_MS) return;
  const claimed = await db
    .deleteFrom("scheduled_statuses")
    .where("id", "=", id)
    .where("scheduled_at", "=", row.scheduled_at)
    .executeTakeFirst();
  // Taken by another job, or rescheduled since we read it.
  if (Number(claimed.numDeletedRows) === 0) return;

  const author = await db
    .selectFrom("accounts")
    .selectAll()
    .where("id", "=", row.account_id)
    .executeTakeFirst();
  if (!author || author.suspended_at !== null) return;
  const p = row.params as unknown as ScheduledParams;
  const claimedAt = new Date();
  try {
    await createStatus(services, author, {
      text: p.text,
      spoilerText: p.spoiler_text,
      sensitive: p.sensitive,
      visibility: p.visibility,
      language: p.language,
      inReplyToId: p.in_reply_to_id,
      applicationId: p.application_id,
      mediaIds: p.media_ids,
      poll: p.poll
        ? {
            options: p.poll.options,
            expiresIn: p.poll.expires_in,
            multiple: p.poll.multiple,
            hideTotals: p.poll.hide_totals,
          }
        : undefined,
    });
  } catch (err) {
    if (err instanceof ApiError) {
      // No longer valid (the replied-to post or the media are gone): it can never post.
      logger.warn("Scheduled status {id} dropped: {error}", { id, error: err.message });
      return;
    }
    // Failed after the post was committed (while emitting its events): it is published,
    // and putting the row back would post it twice on retry.
    const posted = await db
      .selectFrom("statuses")
      .select("id")
      .where("account_id", "=", author.id)
      .where("created_at", ">=", claimedAt)
      .where("text", "=", p.text)
      .executeTakeFirst()
      .catch(() => undefined);
    if (posted) throw err;
    await db
      .insertInto("scheduled_statuses")
      .values({
        id: row.id,
        account_id: row.account_id,
        scheduled_at: row.scheduled_at,
        params: JSON.stringify(row.params),
        created_at: row.created_at,
      })
      .onConflict((oc) => oc.column("id").doNothing())
      .execute();
    if (p.media_ids.length) {
      await db
        .updateTable("media_attachments")
        .set({ scheduled_status_id: row.id })
        .where("id", "in", p.media_ids)
        .where("status_id", "is", null)
        .execute();
    }
    throw err;
  }
}
