// The ScheduledStatus entity: the stored parameters in Mastodon's shape, and the media
// reserved for it in the order they were given.

import { type MediaAttachmentEntity, serializeMedia } from "../media/serializer.ts";
import type { Services } from "../services.ts";
import type { ScheduledParams, ScheduledRow } from "./service.ts";

export interface ScheduledStatusEntity {
  id: string;
  scheduled_at: string;
  params: Record<string, unknown>;
  media_attachments: MediaAttachmentEntity[];
}

/** Mastodon documents the ids in `params` as integers (they are Rails' stored params). */
function integerOrNull(id: string | null): number | null {
  return id === null ? null : Number(id);
}

export async function serializeScheduled(
  services: Services,
  rows: ScheduledRow[],
): Promise<ScheduledStatusEntity[]> {
  if (rows.length === 0) return [];
  const media = await services.db
    .selectFrom("media_attachments")
    .selectAll()
    .where(
      "scheduled_status_id",
      "in",
      rows.map((r) => r.id),
    )
    .execute();
  return rows.map((row) => {
    const p = row.params as unknown as ScheduledParams;
    const order = p.media_ids ?? [];
    const attachments = media
      .filter((m) => m.scheduled_status_id === row.id)
      .sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id))
      .map((m) => serializeMedia(services.config, m));
    return {
      id: row.id,
      scheduled_at: new Date(row.scheduled_at).toISOString(),
      params: {
        text: p.text,
        poll: p.poll ?? null,
        media_ids: order.length ? order : null,
        sensitive: p.sensitive,
        spoiler_text: p.spoiler_text,
        visibility: p.visibility,
        in_reply_to_id: integerOrNull(p.in_reply_to_id),
        language: p.language,
        application_id: integerOrNull(p.application_id) ?? 0,
        scheduled_at: null,
        idempotency: p.idempotency,
        with_rate_limit: false,
      },
      media_attachments: attachments,
    };
  });
}
