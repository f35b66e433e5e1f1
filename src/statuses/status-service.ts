// Posting, editing and deleting statuses. Mentions are resolved before the transaction
// (resolving a remote handle may take a WebFinger round trip); the status, its mentions,
// tags and the counters are written in one transaction; events are emitted after commit.
import { sql, type Transaction } from "kysely";
import { findAccountByHandle } from "../accounts/resolve.ts";
import type { AccountRow } from "../auth/middleware.ts";
import { emitEvent } from "../events/emit.ts";
import { ApiError } from "../http/errors.ts";
import type { Database, Visibility } from "../infra/db/schema.ts";
import { newId } from "../infra/ids.ts";
import { getInstanceSettings } from "../instance/settings.ts";
import {
  attachMedia,
  checkMediaForStatus,
  mediaOfVersion,
  updateAttachedDescriptions,
} from "../media/service.ts";
import { schedulePollExpiry } from "../polls/jobs.ts";
import type { NewPoll } from "../polls/params.ts";
import { applyPollEdit, findPollOfStatus, insertPoll } from "../polls/store.ts";
import type { Services } from "../services.ts";
import { countCharacters } from "../text/count.ts";
import { extractHashtags, extractMentions } from "../text/extract.ts";
import { type MentionTarget, renderPlainText } from "../text/render.ts";
import { findVisibleStatus } from "./queries.ts";
import { localStatusUri, localStatusUrl, type StatusRow } from "./serializer.ts";

type Trx = Transaction<Database>;

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

const POLL_WITH_MEDIA = "Validation failed: A poll cannot be combined with media attachments";

const RANK: Record<Visibility, number> = { public: 0, unlisted: 1, private: 2, direct: 3 };

/** Public and unlisted posts count for replies_count, as Mastodon's "distributable". */
function distributable(v: Visibility): boolean {
  return v === "public" || v === "unlisted";
}

async function checkLength(services: Services, text: string, spoiler: string): Promise<void> {
  const { maxStatusChars } = await getInstanceSettings(services.db, services.config);
  if (countCharacters(text) + countCharacters(spoiler) > maxStatusChars) {
    throw ApiError.unprocessable(
      `Validation failed: Text character limit of ${maxStatusChars} exceeded`,
    );
  }
}

/** The accounts `text` mentions that exist or can be resolved; unknown ones are skipped. */
async function resolveMentions(services: Services, text: string): Promise<AccountRow[]> {
  const found = new Map<string, AccountRow>();
  // A bound on lookups: each unknown remote handle may cost a WebFinger request.
  for (const m of extractMentions(text).slice(0, 50)) {
    // A handle that cannot be resolved (unknown, or its server unreachable) stays plain
    // text, as in Mastodon; it must not fail the post.
    const account = await findAccountByHandle(services, m.username, m.domain, {
      resolve: true,
    }).catch(() => undefined);
    if (account && account.suspended_at === null) found.set(account.id, account);
  }
  return [...found.values()];
}

function mentionTargets(accounts: AccountRow[]): MentionTarget[] {
  return accounts.map((a) => ({ username: a.username, domain: a.domain, url: a.url ?? a.uri }));
}

async function saveTags(trx: Trx, statusId: string, text: string): Promise<void> {
  const names = extractHashtags(text).slice(0, 50);
  const now = new Date();
  for (const display of names) {
    const tag = await trx
      .insertInto("tags")
      .values({
        id: newId(),
        name: display.toLowerCase(),
        display_name: display,
        last_status_at: now,
      })
      .onConflict((oc) => oc.expression(sql`lower(name)`).doUpdateSet({ last_status_at: now }))
      .returning("id")
      .executeTakeFirstOrThrow();
    await trx
      .insertInto("status_tags")
      .values({ status_id: statusId, tag_id: tag.id })
      .onConflict((oc) => oc.doNothing())
      .execute();
  }
}

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

/**
 * Deletes the author's own status (or boost) and the boosts of it. Returns the row as it
 * was, for the delete-and-redraft answer.
 */
export async function deleteStatus(
  services: Services,
  author: AccountRow,
  id: string,
): Promise<StatusRow> {
  const { db } = services;
  const status = await findVisibleStatus(db, author.id, id);
  if (status.account_id !== author.id) throw ApiError.forbidden();
  const removed = await db.transaction().execute(async (trx) => {
    const boosts = await trx
      .selectFrom("statuses")
      .selectAll()
      .where("reblog_of_id", "=", id)
      .execute();
    const all = [status, ...boosts];
    const mentions = await trx
      .selectFrom("mentions")
      .select(["status_id", "account_id"])
      .where(
        "status_id",
        "in",
        all.map((s) => s.id),
      )
      .execute();
    await removeStatusRows(trx, all);
    return all.map((s) => ({
      statusId: s.id,
      accountId: s.account_id,
      uri: s.uri,
      local: s.local,
      visibility: s.visibility,
      reblogOfId: s.reblog_of_id,
      mentionedAccountIds: mentions.filter((m) => m.status_id === s.id).map((m) => m.account_id),
    }));
  });
  for (const payload of removed) await emitEvent(services, "status.deleted", payload);
  return status;
}

/** Deletes statuses and undoes what they added to counters. */
export async function removeStatusRows(trx: Trx, rows: StatusRow[]): Promise<void> {
  if (rows.length === 0) return;
  await trx
    .deleteFrom("statuses")
    .where(
      "id",
      "in",
      rows.map((s) => s.id),
    )
    .execute();
  const gone = new Set(rows.map((s) => s.id));
  for (const s of rows) {
    if (s.visibility !== "direct") {
      await trx
        .updateTable("accounts")
        .set((eb) => ({ statuses_count: sql`greatest(${eb.ref("statuses_count")} - 1, 0)` }))
        .where("id", "=", s.account_id)
        .execute();
    }
    if (s.reblog_of_id && !gone.has(s.reblog_of_id)) {
      await trx
        .updateTable("statuses")
        .set((eb) => ({ reblogs_count: sql`greatest(${eb.ref("reblogs_count")} - 1, 0)` }))
        .where("id", "=", s.reblog_of_id)
        .execute();
    }
    if (s.in_reply_to_id && distributable(s.visibility) && !gone.has(s.in_reply_to_id)) {
      await trx
        .updateTable("statuses")
        .set((eb) => ({ replies_count: sql`greatest(${eb.ref("replies_count")} - 1, 0)` }))
        .where("id", "=", s.in_reply_to_id)
        .execute();
    }
  }
}
