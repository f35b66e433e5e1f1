// Posting a status. Mentions are resolved before the transaction (resolving a remote
// handle may take a WebFinger round trip); the status, its mentions, tags, media, poll
// and the counters are written in one transaction; events are emitted after commit.
// Editing is in edit-status.ts, deleting in delete-status.ts; the checks and text steps
// both posting and editing use are in write-helpers.ts.
import type { AccountRow } from "../auth/middleware.ts";
import { emitEvent } from "../events/emit.ts";
import { ApiError } from "../http/errors.ts";
import type { Visibility } from "../infra/db/schema.ts";
import { newId } from "../infra/ids.ts";
import { attachMedia, checkMediaForStatus } from "../media/status-attachments.ts";
import { schedulePollExpiry } from "../polls/jobs.ts";
import type { NewPoll } from "../polls/params.ts";
import { findPollOfStatus, insertPoll } from "../polls/store.ts";
import type { Services } from "../services.ts";
import { renderPlainText } from "../text/render.ts";
import { findVisibleStatus } from "./queries.ts";
import { localStatusUri, localStatusUrl, type StatusRow } from "./serializer.ts";
import {
  checkLength,
  distributable,
  mentionTargets,
  POLL_WITH_MEDIA,
  resolveMentions,
  saveTags,
} from "./write-helpers.ts";

export interface NewStatus {
  text: string;
  spoilerText: string;
  sensitive: boolean;
  visibility: Visibility;
  language: string | null;
  inReplyToId: string | null;
  applicationId: string | null;
  /** Uploaded media to attach, in order (checked: own, unattached, processed). */
  mediaIds?: string[];
  /** A poll (checked by src/polls/params.ts); not with media, as on Mastodon. */
  poll?: NewPoll;
}

const RANK: Record<Visibility, number> = { public: 0, unlisted: 1, private: 2, direct: 3 };

export async function createStatus(
  services: Services,
  author: AccountRow,
  input: NewStatus,
): Promise<StatusRow> {
  const { db, config } = services;
  if (input.poll && (input.mediaIds?.length ?? 0) > 0) {
    throw ApiError.unprocessable(POLL_WITH_MEDIA);
  }
  const mediaIds = await checkMediaForStatus(services, author, input.mediaIds ?? []);
  // A post may be media alone, as on Mastodon.
  if (input.text.trim() === "" && mediaIds.length === 0) {
    throw ApiError.unprocessable("Validation failed: Text can't be blank");
  }
  await checkLength(services, input.text, input.spoilerText);

  let parent: StatusRow | null = null;
  if (input.inReplyToId) {
    parent = await findVisibleStatus(db, author.id, input.inReplyToId).catch(() => {
      throw ApiError.notFound("The post you are trying to reply to does not appear to exist.");
    });
    if (parent.reblog_of_id) {
      throw ApiError.unprocessable("Validation failed: Boosts cannot be replied to");
    }
  }

  let visibility = input.visibility;
  const mentioned = await resolveMentions(services, input.text);
  // A reply is never more open than what it answers, and keeps its audience: the parent's
  // author, and for a direct thread everyone it addressed, can see it (silent mentions).
  const silent = new Set<string>();
  if (parent) {
    if (RANK[parent.visibility] > RANK[visibility]) visibility = parent.visibility;
    if (visibility === "private" || visibility === "direct") {
      silent.add(parent.account_id);
      if (parent.visibility === "direct") {
        const audience = await db
          .selectFrom("mentions")
          .select("account_id")
          .where("status_id", "=", parent.id)
          .execute();
        for (const m of audience) silent.add(m.account_id);
      }
    }
  }
  for (const a of mentioned) silent.delete(a.id);
  silent.delete(author.id);

  const id = newId();
  const content = renderPlainText(input.text, {
    mentions: mentionTargets(mentioned),
    publicUrl: config.publicUrl,
    localDomain: config.domain,
  });
  const now = new Date();
  const row = await db.transaction().execute(async (trx) => {
    const status = await trx
      .insertInto("statuses")
      .values({
        id,
        uri: localStatusUri(config.publicUrl, author.username, id),
        url: localStatusUrl(config.publicUrl, author.username, id),
        account_id: author.id,
        local: true,
        in_reply_to_id: parent?.id ?? null,
        in_reply_to_account_id: parent?.account_id ?? null,
        in_reply_to_uri: parent?.uri ?? null,
        reblog_of_id: null,
        conversation_id: parent ? (parent.conversation_id ?? parent.id) : id,
        text: input.text,
        content,
        spoiler_text: input.spoilerText,
        // A content warning hides the post behind it, so it makes the post sensitive.
        sensitive: input.sensitive || input.spoilerText !== "",
        visibility,
        language: input.language,
        application_id: input.applicationId,
        created_at: now,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    const mentionRows = [
      ...mentioned.map((a) => ({ status_id: id, account_id: a.id, silent: false })),
      ...[...silent].map((accountId) => ({ status_id: id, account_id: accountId, silent: true })),
    ];
    if (mentionRows.length) await trx.insertInto("mentions").values(mentionRows).execute();
    await saveTags(trx, id, input.text);
    await attachMedia(trx, id, mediaIds);
    if (input.poll) await insertPoll(trx, id, author.id, input.poll, now);
    await trx
      .updateTable("accounts")
      .set((eb) => ({
        // Direct messages are not counted, as in Mastodon.
        statuses_count:
          visibility === "direct" ? eb.ref("statuses_count") : eb("statuses_count", "+", 1),
        last_status_at: now,
      }))
      .where("id", "=", author.id)
      .execute();
    if (parent && distributable(visibility)) {
      await trx
        .updateTable("statuses")
        .set((eb) => ({ replies_count: eb("replies_count", "+", 1) }))
        .where("id", "=", parent.id)
        .execute();
    }
    return status;
  });
  await emitEvent(services, "status.created", { statusId: row.id });
  if (input.poll) {
    const poll = await findPollOfStatus(db, row.id);
    if (poll) await schedulePollExpiry(services, poll);
  }
  return row;
}
