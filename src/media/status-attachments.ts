// Media as part of a status: checking the ids a post or edit names, attaching them inside
// the status's transaction, editing their alt texts, and listing a version's media for
// the edit history. Called by src/statuses (create/edit) and src/scheduled.
import type { Transaction } from "kysely";
import type { AccountRow } from "../auth/middleware.ts";
import { ApiError } from "../http/errors.ts";
import type { Database } from "../infra/db/schema.ts";
import type { Services } from "../services.ts";
import { checkDescription } from "./media-files.ts";

type Trx = Transaction<Database>;

/**
 * Checks media ids for a new status: at most the configured number, the author's own,
 * processed, and not attached to another status. Returns them in the order given.
 */
export async function checkMediaForStatus(
  services: Services,
  account: AccountRow,
  ids: string[],
  statusId?: string,
): Promise<string[]> {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return [];
  const max = services.config.media.maxAttachments;
  if (unique.length > max) {
    throw ApiError.unprocessable(`Validation failed: Media attachments limit of ${max} exceeded`);
  }
  if (!unique.every((id) => /^\d{1,19}$/.test(id))) {
    throw ApiError.unprocessable("Validation failed: Media ids are invalid");
  }
  const rows = await services.db
    .selectFrom("media_attachments")
    .select(["id", "status_id", "processing"])
    .where("id", "in", unique)
    .where("account_id", "=", account.id)
    // Reserved for a scheduled status (src/scheduled) until it is published.
    .where("scheduled_status_id", "is", null)
    .execute();
  const usable = rows.filter((r) => r.status_id === null || r.status_id === statusId);
  if (usable.length !== unique.length) {
    throw ApiError.unprocessable("Validation failed: Media ids are invalid");
  }
  if (usable.some((r) => r.processing !== "ready")) {
    throw ApiError.unprocessable("Validation failed: Media attachments are still being processed");
  }
  return unique;
}

/** Attaches checked media to a status inside its transaction, in the order given. */
export async function attachMedia(trx: Trx, statusId: string, ids: string[]): Promise<void> {
  for (const [position, id] of ids.entries()) {
    await trx
      .updateTable("media_attachments")
      .set({ status_id: statusId, position, updated_at: new Date() })
      .where("id", "=", id)
      // Attached elsewhere since it was checked: left alone rather than stolen.
      .where((eb) => eb.or([eb("status_id", "is", null), eb("status_id", "=", statusId)]))
      .execute();
  }
}

/** Edits descriptions of a status's media (PUT /statuses/:id `media_attributes[]`). */
export async function updateAttachedDescriptions(
  trx: Trx,
  statusId: string,
  attributes: { id: string; description?: string; focus?: { x: number; y: number } }[],
): Promise<void> {
  for (const attr of attributes) {
    checkDescription(attr.description);
    const row = await trx
      .selectFrom("media_attachments")
      .select("meta")
      .where("id", "=", attr.id)
      .where("status_id", "=", statusId)
      .executeTakeFirst();
    if (!row) continue;
    const set: Record<string, unknown> = { updated_at: new Date() };
    if (attr.description !== undefined) set.description = attr.description;
    if (attr.focus) set.meta = JSON.stringify({ ...row.meta, focus: attr.focus });
    await trx.updateTable("media_attachments").set(set).where("id", "=", attr.id).execute();
  }
}

/** A status's media as an edit records it (status_edits.media): ids and alt texts, in order. */
export interface EditedMedia {
  id: string;
  description: string | null;
}

export async function mediaOfVersion(trx: Trx, statusId: string): Promise<EditedMedia[]> {
  return await trx
    .selectFrom("media_attachments")
    .select(["id", "description"])
    .where("status_id", "=", statusId)
    .orderBy("position")
    .orderBy("id")
    .execute();
}
