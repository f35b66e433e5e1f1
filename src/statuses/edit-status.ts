// Editing one's own status. Every version is kept in status_edits (the first edit also
// records the original), with its poll options and media, for the edit history. Mentions
// are resolved before the transaction, as when posting (status-service.ts).
import { sql } from "kysely";
import type { AccountRow } from "../auth/middleware.ts";
import { emitEvent } from "../events/emit.ts";
import { ApiError } from "../http/errors.ts";
import { newId } from "../infra/ids.ts";
import {
  attachMedia,
  checkMediaForStatus,
  mediaOfVersion,
  updateAttachedDescriptions,
} from "../media/status-attachments.ts";
import { schedulePollExpiry } from "../polls/jobs.ts";
import type { NewPoll } from "../polls/params.ts";
import { applyPollEdit, findPollOfStatus } from "../polls/store.ts";
import type { Services } from "../services.ts";
import { renderPlainText } from "../text/render.ts";
import { findVisibleStatus } from "./queries.ts";
import type { StatusRow } from "./serializer.ts";
import {
  checkLength,
  mentionTargets,
  POLL_WITH_MEDIA,
  resolveMentions,
  saveTags,
} from "./write-helpers.ts";

export interface StatusChanges {
  text?: string;
  spoilerText?: string;
  sensitive?: boolean;
  language?: string | null;
  /** The full new list of attachments (own media: already attached here, or unattached). */
  mediaIds?: string[];
  /** Description and focus edits of attached media (`media_attributes[]`). */
  mediaAttributes?: { id: string; description?: string; focus?: { x: number; y: number } }[];
  /** The poll after the edit: null removes it, undefined keeps it as it is. */
  poll?: NewPoll | null;
}

/** Edits the author's own status, keeping every version in status_edits. */
export async function editStatus(
  services: Services,
  author: AccountRow,
  id: string,
  changes: StatusChanges,
): Promise<StatusRow> {
  const { db, config } = services;
  const status = await findVisibleStatus(db, author.id, id);
  if (status.account_id !== author.id || status.reblog_of_id) throw ApiError.forbidden();
  const text = changes.text ?? status.text;
  const spoilerText = changes.spoilerText ?? status.spoiler_text;
  if (changes.poll && (changes.mediaIds?.length ?? 0) > 0) {
    throw ApiError.unprocessable(POLL_WITH_MEDIA);
  }
  const mediaIds =
    changes.mediaIds === undefined
      ? undefined
      : await checkMediaForStatus(services, author, changes.mediaIds, id);
  const mediaCount =
    mediaIds?.length ??
    Number(
      (
        await db
          .selectFrom("media_attachments")
          .select((eb) => eb.fn.countAll<string>().as("n"))
          .where("status_id", "=", id)
          .executeTakeFirst()
      )?.n ?? 0,
    );
  if (text.trim() === "" && mediaCount === 0) {
    throw ApiError.unprocessable("Validation failed: Text can't be blank");
  }
  if (changes.poll && mediaCount > 0) throw ApiError.unprocessable(POLL_WITH_MEDIA);
  await checkLength(services, text, spoilerText);
  const mentioned = await resolveMentions(services, text);
  const content = renderPlainText(text, {
    mentions: mentionTargets(mentioned),
    publicUrl: config.publicUrl,
    localDomain: config.domain,
  });
  const sensitive = (changes.sensitive ?? status.sensitive) || spoilerText !== "";
  const now = new Date();
  // History keeps each version's poll options.
  const previousPoll = await findPollOfStatus(db, id);

  const row = await db.transaction().execute(async (trx) => {
    const edits = await trx
      .selectFrom("status_edits")
      .select(sql<string>`count(*)`.as("n"))
      .where("status_id", "=", id)
      .executeTakeFirst();
    // The first edit also records the original, so history shows every version.
    if (Number(edits?.n ?? 0) === 0) {
      await trx
        .insertInto("status_edits")
        .values({
          id: newId(new Date(status.created_at)),
          status_id: id,
          account_id: author.id,
          text: status.text,
          content: status.content,
          spoiler_text: status.spoiler_text,
          sensitive: status.sensitive,
          poll_options: previousPoll ? JSON.stringify(previousPoll.options) : null,
          media: JSON.stringify(await mediaOfVersion(trx, id)),
          created_at: status.created_at,
        })
        .execute();
    }
    const pollOptions =
      changes.poll === undefined
        ? (previousPoll?.options ?? null)
        : (changes.poll?.options ?? null);
    const editId = newId(now);
    await trx
      .insertInto("status_edits")
      .values({
        id: editId,
        status_id: id,
        account_id: author.id,
        text,
        content,
        spoiler_text: spoilerText,
        sensitive,
        poll_options: pollOptions ? JSON.stringify(pollOptions) : null,
        created_at: now,
      })
      .execute();
    const updated = await trx
      .updateTable("statuses")
      .set({
        text,
        content,
        spoiler_text: spoilerText,
        sensitive,
        language: changes.language === undefined ? status.language : changes.language,
        edited_at: now,
        updated_at: now,
      })
      .where("id", "=", id)
      .returningAll()
      .executeTakeFirstOrThrow();
    // Visible mentions follow the text; silent ones (a reply's audience) stay.
    await trx
      .deleteFrom("mentions")
      .where("status_id", "=", id)
      .where("silent", "=", false)
      .execute();
    if (mentioned.length) {
      await trx
        .insertInto("mentions")
        .values(mentioned.map((a) => ({ status_id: id, account_id: a.id, silent: false })))
        .onConflict((oc) => oc.columns(["status_id", "account_id"]).doUpdateSet({ silent: false }))
        .execute();
    }
    await trx.deleteFrom("status_tags").where("status_id", "=", id).execute();
    await saveTags(trx, id, text);
    if (mediaIds) {
      // Media dropped from the post becomes unattached (pruned later), as on Mastodon.
      await trx
        .updateTable("media_attachments")
        .set({ status_id: null })
        .where("status_id", "=", id)
        .where("id", "not in", mediaIds.length ? mediaIds : ["0"])
        .execute();
      await attachMedia(trx, id, mediaIds);
    }
    if (changes.mediaAttributes?.length) {
      await updateAttachedDescriptions(trx, id, changes.mediaAttributes);
    }
    // The new version's media, once attachments and alt texts are changed.
    await trx
      .updateTable("status_edits")
      .set({ media: JSON.stringify(await mediaOfVersion(trx, id)) })
      .where("id", "=", editId)
      .execute();
    const poll =
      changes.poll === undefined
        ? undefined
        : (await applyPollEdit(trx, id, author.id, changes.poll, now)).poll;
    return { updated, poll };
  });
  await emitEvent(services, "status.updated", { statusId: row.updated.id });
  // The poll restarted: its end notifications move with it.
  if (row.poll) await schedulePollExpiry(services, row.poll);
  return row.updated;
}
