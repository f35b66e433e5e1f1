// Cleaning up media no one shows any more: uploads never attached (or left by a deleted
// status) after a day, run hourly by the `media.prune` job (jobs.ts); and, on demand from
// the CLI (`media prune-remote`), the cached copies of old remote media.
import { sql } from "kysely";
import type { Config } from "../config.ts";
import type { Db } from "../infra/db/index.ts";
import type { Services } from "../services.ts";
import { removeMediaRows } from "./service.ts";
import { mediaStorage } from "./storage.ts";

export const UNATTACHED_TTL_MS = 24 * 60 * 60 * 1000;

/** Removes uploads never attached (or left by a deleted status, remote ones too) for over a day. */
export async function pruneUnattachedMedia(services: Services, now = Date.now()): Promise<number> {
  const rows = await services.db
    .selectFrom("media_attachments")
    .selectAll()
    .where("status_id", "is", null)
    .where("scheduled_status_id", "is", null)
    // Remote rows (remote_url set) lose their status only when the post is deleted: they
    // go too, with any copy REMOTE_MEDIA_CACHE made of them.
    .where("created_at", "<", new Date(now - UNATTACHED_TTL_MS))
    // Dropped from a post by an edit: still shown in its edit history.
    .where(({ exists, not, selectFrom }) =>
      not(
        exists(
          selectFrom("status_edits")
            .select(sql.lit(1).as("one"))
            .where(
              sql<boolean>`status_edits.media @> jsonb_build_array(jsonb_build_object('id', media_attachments.id::text))`,
            ),
        ),
      ),
    )
    .limit(1000)
    .execute();
  await removeMediaRows(services, rows);
  return rows.length;
}

/** `media prune-remote`: drops cached copies of remote media older than `days`. */
export async function pruneRemoteMediaCache(db: Db, config: Config, days: number): Promise<number> {
  const cutoff = new Date(Date.now() - days * 86_400_000);
  const rows = await db
    .selectFrom("media_attachments")
    .select(["id", "file_key", "preview_key"])
    .where("remote_url", "is not", null)
    .where("file_key", "is not", null)
    .where("created_at", "<", cutoff)
    .execute();
  const keys = rows.flatMap((r) => [r.file_key, r.preview_key].filter((k): k is string => !!k));
  await mediaStorage(config).delete(keys);
  if (rows.length) {
    await db
      .updateTable("media_attachments")
      .set({ file_key: null, preview_key: null })
      .where(
        "id",
        "in",
        rows.map((r) => r.id),
      )
      .execute();
  }
  return rows.length;
}
