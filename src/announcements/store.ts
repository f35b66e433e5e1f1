// Announcements: staff writes (each audited in the same transaction) and what users do with
// them (dismiss, react). Side effects (streaming to every user) go out through domain events
// after the commit: `announcement.published` for a new or changed published announcement,
// `announcement.deleted` when one is unpublished or deleted, `announcement.reaction` when a
// reaction count changes.
import { sql } from "kysely";
import { emitEvent } from "../events/emit.ts";
import { ApiError } from "../http/errors.ts";
import type { Db } from "../infra/db/index.ts";
import { newId } from "../infra/ids.ts";
import { recordAction } from "../moderation/audit-log.ts";
import type { Services } from "../services.ts";
import { isValidReactionName } from "./reaction-names.ts";
import { type AnnouncementRow, renderAnnouncementText } from "./render.ts";

/** Mastodon's ReactionValidator: at most this many different reactions per announcement. */
export const MAX_REACTION_NAMES = 8;

export interface AnnouncementInput {
  text?: string;
  starts_at?: Date | null;
  ends_at?: Date | null;
  all_day?: boolean;
}

function validId(id: string): boolean {
  return /^\d{1,20}$/.test(id);
}

/** Any announcement, published or not (staff); 404 if there is none. */
export async function findAnnouncement(db: Db, id: string): Promise<AnnouncementRow> {
  if (!validId(id)) throw ApiError.notFound();
  const row = await db
    .selectFrom("announcements")
    .selectAll()
    .where("id", "=", id)
    .executeTakeFirst();
  if (!row) throw ApiError.notFound();
  return row;
}

/** A published announcement (what users may dismiss or react to); 404 otherwise. */
export async function findPublished(db: Db, id: string): Promise<AnnouncementRow> {
  const row = await findAnnouncement(db, id);
  if (!row.published) throw ApiError.notFound();
  return row;
}

/**
 * Published announcements in force now (started, not ended), oldest first as Mastodon
 * orders them (by start, else publication); dismissed ones only when `withDismissed`.
 */
export async function activeAnnouncements(
  db: Db,
  accountId: string,
  withDismissed: boolean,
): Promise<AnnouncementRow[]> {
  const now = new Date();
  let query = db
    .selectFrom("announcements")
    .selectAll()
    .where("published", "=", true)
    .where((eb) => eb.or([eb("starts_at", "is", null), eb("starts_at", "<=", now)]))
    .where((eb) => eb.or([eb("ends_at", "is", null), eb("ends_at", ">=", now)]));
  if (!withDismissed) {
    query = query.where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom("announcement_dismissals")
            .select("announcement_id")
            .whereRef("announcement_dismissals.announcement_id", "=", "announcements.id")
            .where("announcement_dismissals.account_id", "=", accountId),
        ),
      ),
    );
  }
  return await query
    .orderBy(sql`coalesce(starts_at, published_at, created_at)`, "asc")
    .orderBy("id", "asc")
    .execute();
}

/** Both ends or neither, and the end after the start (Mastodon's validations). */
function checkRange(starts: Date | null, ends: Date | null): void {
  if ((starts === null) !== (ends === null)) {
    throw ApiError.unprocessable("Validation failed: starts_at and ends_at must be given together");
  }
  if (starts && ends && ends.getTime() <= starts.getTime()) {
    throw ApiError.unprocessable("Validation failed: ends_at must be after starts_at");
  }
}

/** The audit-log entry of a staff change to an announcement, in the change's transaction. */
function audit(
  trx: Parameters<typeof recordAction>[0],
  actorId: string,
  action: string,
  row: { id: string; text: string },
  details?: Record<string, unknown>,
) {
  return recordAction(trx, {
    accountId: actorId,
    action,
    targetType: "Announcement",
    targetId: row.id,
    humanIdentifier: label(row.text),
    ...(details ? { details } : {}),
  });
}

function label(text: string): string {
  return text.slice(0, 100);
}

export async function createAnnouncement(
  services: Services,
  actorId: string,
  input: AnnouncementInput & { text: string; publish?: boolean },
): Promise<AnnouncementRow> {
  const starts = input.starts_at ?? null;
  const ends = input.ends_at ?? null;
  checkRange(starts, ends);
  const rendered = await renderAnnouncementText(services, input.text);
  const publish = input.publish === true;
  const row = await services.db.transaction().execute(async (trx) => {
    const row = await trx
      .insertInto("announcements")
      .values({
        id: newId(),
        text: input.text,
        content: rendered.content,
        mention_account_ids: JSON.stringify(rendered.mentionAccountIds),
        status_ids: JSON.stringify(rendered.statusIds),
        tag_names: JSON.stringify(rendered.tagNames),
        starts_at: starts,
        ends_at: ends,
        all_day: input.all_day ?? false,
        published: publish,
        published_at: publish ? new Date() : null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await audit(trx, actorId, "create", row, { published: publish });
    return row;
  });
  if (publish) await emitEvent(services, "announcement.published", { announcementId: row.id });
  return row;
}

/** Changes text or times; a published announcement is streamed again, as Mastodon does. */
export async function updateAnnouncement(
  services: Services,
  actorId: string,
  id: string,
  input: AnnouncementInput,
): Promise<AnnouncementRow> {
  const current = await findAnnouncement(services.db, id);
  const starts = input.starts_at !== undefined ? input.starts_at : current.starts_at;
  const ends = input.ends_at !== undefined ? input.ends_at : current.ends_at;
  checkRange(starts, ends);
  const rendered =
    input.text !== undefined ? await renderAnnouncementText(services, input.text) : undefined;
  const row = await services.db.transaction().execute(async (trx) => {
    const row = await trx
      .updateTable("announcements")
      .set({
        ...(input.text !== undefined && rendered
          ? {
              text: input.text,
              content: rendered.content,
              mention_account_ids: JSON.stringify(rendered.mentionAccountIds),
              status_ids: JSON.stringify(rendered.statusIds),
              tag_names: JSON.stringify(rendered.tagNames),
            }
          : {}),
        starts_at: starts,
        ends_at: ends,
        ...(input.all_day !== undefined ? { all_day: input.all_day } : {}),
        updated_at: new Date(),
      })
      .where("id", "=", id)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw ApiError.notFound();
    await audit(trx, actorId, "update", row);
    return row;
  });
  if (row.published) {
    await emitEvent(services, "announcement.published", { announcementId: row.id });
  }
  return row;
}

export async function deleteAnnouncement(
  services: Services,
  actorId: string,
  id: string,
): Promise<void> {
  if (!validId(id)) throw ApiError.notFound();
  const row = await services.db.transaction().execute(async (trx) => {
    const row = await trx
      .deleteFrom("announcements")
      .where("id", "=", id)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw ApiError.notFound();
    await audit(trx, actorId, "destroy", row);
    return row;
  });
  if (row.published) {
    await emitEvent(services, "announcement.deleted", { announcementId: row.id });
  }
}

/** Publishes (again: a fresh published_at) or withdraws an announcement. */
export async function setPublished(
  services: Services,
  actorId: string,
  id: string,
  published: boolean,
): Promise<AnnouncementRow> {
  if (!validId(id)) throw ApiError.notFound();
  const { row, changed } = await services.db.transaction().execute(async (trx) => {
    const before = await trx
      .selectFrom("announcements")
      .select("published")
      .where("id", "=", id)
      .forUpdate()
      .executeTakeFirst();
    if (!before) throw ApiError.notFound();
    const now = new Date();
    const row = await trx
      .updateTable("announcements")
      .set(published ? { published: true, published_at: now, updated_at: now } : { published })
      .where("id", "=", id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await audit(trx, actorId, published ? "publish" : "unpublish", row);
    return { row, changed: before.published !== published };
  });
  if (published) {
    await emitEvent(services, "announcement.published", { announcementId: row.id });
  } else if (changed) {
    await emitEvent(services, "announcement.deleted", { announcementId: row.id });
  }
  return row;
}

/** Marks a published announcement read for this account (idempotent). */
export async function dismissAnnouncement(
  services: Services,
  accountId: string,
  id: string,
): Promise<void> {
  await findPublished(services.db, id);
  await services.db
    .insertInto("announcement_dismissals")
    .values({ announcement_id: id, account_id: accountId })
    .onConflict((oc) => oc.doNothing())
    .execute();
}

/** Adds this account's reaction; 422 for a name that is no emoji, or a ninth distinct one. */
export async function addReaction(
  services: Services,
  accountId: string,
  id: string,
  name: string,
): Promise<void> {
  await findPublished(services.db, id);
  if (!isValidReactionName(name))
    throw ApiError.unprocessable("Validation failed: Name is invalid");
  const added = await services.db.transaction().execute(async (trx) => {
    // Serializes reactions to one announcement, so the distinct-name limit holds.
    await trx
      .selectFrom("announcements")
      .select("id")
      .where("id", "=", id)
      .forUpdate()
      .executeTakeFirst();
    const names = await trx
      .selectFrom("announcement_reactions")
      .select("name")
      .distinct()
      .where("announcement_id", "=", id)
      .execute();
    if (!names.some((n) => n.name === name) && names.length >= MAX_REACTION_NAMES) {
      throw ApiError.unprocessable("Validation failed: Maximum number of reactions reached");
    }
    const inserted = await trx
      .insertInto("announcement_reactions")
      .values({ id: newId(), announcement_id: id, account_id: accountId, name })
      .onConflict((oc) => oc.doNothing())
      .returning("id")
      .executeTakeFirst();
    return inserted !== undefined;
  });
  if (added) await emitEvent(services, "announcement.reaction", { announcementId: id, name });
}

/** Removes this account's reaction, if any. */
export async function removeReaction(
  services: Services,
  accountId: string,
  id: string,
  name: string,
): Promise<void> {
  await findPublished(services.db, id);
  if (!isValidReactionName(name))
    throw ApiError.unprocessable("Validation failed: Name is invalid");
  const removed = await services.db
    .deleteFrom("announcement_reactions")
    .where("announcement_id", "=", id)
    .where("account_id", "=", accountId)
    .where("name", "=", name)
    .returning("id")
    .executeTakeFirst();
  if (removed) await emitEvent(services, "announcement.reaction", { announcementId: id, name });
}

/** How many accounts reacted with `name` (streamed with `announcement.reaction`). */
export async function reactionCount(db: Db, id: string, name: string): Promise<number> {
  const row = await db
    .selectFrom("announcement_reactions")
    .select((eb) => eb.fn.countAll<string>().as("count"))
    .where("announcement_id", "=", id)
    .where("name", "=", name)
    .executeTakeFirst();
  return Number(row?.count ?? 0);
}
