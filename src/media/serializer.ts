// The MediaAttachment entity. Local files get URLs from the storage; remote attachments
// are shown by their own URL (remote_url) unless a copy was cached here.
import type { Selectable } from "kysely";
import type { Config } from "../config.ts";
import type { Db } from "../infra/db/index.ts";
import type { MediaAttachmentsTable, MediaType } from "../infra/db/schema.ts";
import { mediaStorage } from "./storage.ts";

export type MediaRow = Selectable<MediaAttachmentsTable>;

export interface MediaAttachmentEntity {
  id: string;
  type: MediaType;
  url: string | null;
  preview_url: string | null;
  remote_url: string | null;
  preview_remote_url: string | null;
  text_url: null;
  meta: Record<string, unknown>;
  description: string | null;
  blurhash: string | null;
}

export function serializeMedia(config: Config, row: MediaRow): MediaAttachmentEntity {
  const storage = mediaStorage(config);
  const fileUrl = row.file_key ? storage.url(row.file_key) : null;
  // Still processing: no URL yet (Mastodon's v2 contract: url is null until ready).
  const url = row.processing === "pending" ? null : (fileUrl ?? row.remote_url);
  let preview: string | null = row.preview_key ? storage.url(row.preview_key) : null;
  // A remote image not cached here is its own preview; local video/audio without ffmpeg
  // have none (preview_url null), as documented.
  if (!preview && row.remote_url && !row.file_key && row.type === "image") preview = row.remote_url;
  const meta: Record<string, unknown> = { ...row.meta };
  if (row.type === "image" || row.type === "gifv") meta.focus = row.meta.focus ?? { x: 0, y: 0 };
  return {
    id: row.id,
    type: row.processing === "failed" ? "unknown" : row.type,
    url,
    preview_url: row.processing === "pending" ? null : preview,
    remote_url: row.remote_url,
    preview_remote_url: null,
    text_url: null,
    meta,
    description: row.description,
    blurhash: row.blurhash,
  };
}

/** The attachments of several statuses, in their order, for one page of statuses. */
export async function mediaOfStatuses(
  db: Db,
  config: Config,
  statusIds: string[],
): Promise<Map<string, MediaAttachmentEntity[]>> {
  const out = new Map<string, MediaAttachmentEntity[]>();
  if (statusIds.length === 0) return out;
  const rows = await db
    .selectFrom("media_attachments")
    .selectAll()
    .where("status_id", "in", statusIds)
    .orderBy("status_id")
    .orderBy("position")
    .orderBy("id")
    .execute();
  for (const row of rows) {
    const list = out.get(row.status_id!) ?? [];
    list.push(serializeMedia(config, row));
    out.set(row.status_id!, list);
  }
  return out;
}

/**
 * The attachments of each version of an edited status (status_edits.media holds their ids
 * and alt texts at that version). An attachment since deleted is left out.
 */
export async function mediaOfEdits(
  db: Db,
  config: Config,
  versions: unknown[][],
): Promise<MediaAttachmentEntity[][]> {
  const recorded = versions.map((media) =>
    (Array.isArray(media) ? media : []).filter(
      (m): m is { id: string; description: string | null } =>
        typeof m === "object" && m !== null && typeof (m as { id?: unknown }).id === "string",
    ),
  );
  const ids = [...new Set(recorded.flat().map((m) => m.id))];
  const rows = ids.length
    ? await db.selectFrom("media_attachments").selectAll().where("id", "in", ids).execute()
    : [];
  const byId = new Map(rows.map((r) => [r.id, r]));
  return recorded.map((media) =>
    media.flatMap((m) => {
      const row = byId.get(m.id);
      if (!row) return [];
      // The alt text as it was at that version.
      return [serializeMedia(config, { ...row, description: m.description ?? null })];
    }),
  );
}
