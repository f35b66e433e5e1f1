// The parts of a rendered status that only change when the status does: its mentions, its
// tags, its attachments, and whether it has a poll. A timeline page mostly shows statuses
// rendered moments ago for someone else, so these are kept in memory, shared by all
// viewers (none of them depends on who looks), and looked up by the status id and the
// row's version: edited_at and updated_at, which edits set and which triggers move when an
// attachment (migrations/0022) or a poll (0023) is added, changed or removed. Mentions and
// tags are only written in the transaction that writes the status. The version comes from
// the row the caller has just read, so a changed status is never served stale, by this
// process or any other. A mention shows the mentioned account's handle and URL, which live
// on that account's row: callers that read its version with the status (the home timeline)
// get them exact; elsewhere a mentioned account renamed after the status was rendered keeps
// its old handle in this process until the status next changes or the entry is dropped.
// Only the statuses not found are loaded: four statements at most, run together.
import { sql } from "kysely";
import { acctOf } from "../accounts/serializers.ts";
import type { Config } from "../config.ts";
import { idIn, prepared } from "../infra/db/prepared.ts";
import { type MediaAttachmentEntity, mediaOfStatuses } from "../media/serializer.ts";
import type { Services } from "../services.ts";
import {
  type StatusMentionEntity,
  type StatusRow,
  type StatusTagEntity,
  tagUrl,
} from "./serializer.ts";

export interface StaticParts {
  mentions: StatusMentionEntity[];
  tags: StatusTagEntity[];
  media: MediaAttachmentEntity[];
  hasPoll: boolean;
}

interface Entry {
  version: string;
  /** The mentioned accounts' version, when the row it was loaded for carried one. */
  mentions?: string;
  parts: StaticParts;
}

/**
 * A caller may read, with each row, `mentions_version`: the xmin of the mentioned accounts'
 * rows (src/timelines/home-page.ts). Their handles and URLs live there and change without
 * the status; such a caller is then never served mentions older than that.
 */
function mentionsVersionOf(row: StatusRow): string | undefined {
  return (row as StatusRow & { mentions_version?: string }).mentions_version;
}

/** About 2 KB each at most; past this, the oldest entries go first. */
const MAX_ENTRIES = 10_000;
const cache = new Map<string, Entry>();

function versionOf(row: StatusRow): string {
  const updated = new Date(row.updated_at).getTime();
  return row.edited_at ? `${updated}:${new Date(row.edited_at).getTime()}` : `${updated}`;
}

function remember(id: string, entry: Entry): void {
  cache.delete(id);
  if (cache.size >= MAX_ENTRIES) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
  cache.set(id, entry);
}

/** Forgets everything (tests that change rows behind the code's back). */
export function clearStaticParts(): void {
  cache.clear();
}

/** The static parts of each row, from memory where its version is current. */
export async function staticPartsOf(
  services: Pick<Services, "db" | "config">,
  rows: StatusRow[],
): Promise<Map<string, StaticParts>> {
  const out = new Map<string, StaticParts>();
  const missing: StatusRow[] = [];
  for (const row of rows) {
    const hit = cache.get(row.id);
    const mentions = mentionsVersionOf(row);
    if (
      hit &&
      hit.version === versionOf(row) &&
      (mentions === undefined || hit.mentions === mentions)
    ) {
      out.set(row.id, hit.parts);
    } else missing.push(row);
  }
  if (missing.length === 0) return out;
  const loaded = await loadParts(
    services.db,
    services.config,
    missing.map((r) => r.id),
  );
  for (const row of missing) {
    const parts = loaded.get(row.id) ?? { mentions: [], tags: [], media: [], hasPoll: false };
    out.set(row.id, parts);
    remember(row.id, { version: versionOf(row), mentions: mentionsVersionOf(row), parts });
  }
  return out;
}

async function loadParts(
  db: Services["db"],
  config: Config,
  ids: string[],
): Promise<Map<string, StaticParts>> {
  const [mentions, tags, media, polls] = await Promise.all([
    db
      .selectFrom("mentions")
      .innerJoin("accounts", "accounts.id", "mentions.account_id")
      .modifyFront(prepared)
      .select([
        "mentions.status_id",
        "accounts.id",
        "accounts.username",
        "accounts.domain",
        "accounts.url",
        "accounts.uri",
      ])
      .where(idIn("mentions.status_id", ids))
      .where("mentions.silent", "=", false)
      .orderBy("accounts.id")
      .execute(),
    db
      .selectFrom("status_tags")
      .innerJoin("tags", "tags.id", "status_tags.tag_id")
      .modifyFront(prepared)
      .select(["status_tags.status_id", "tags.name", "tags.display_name"])
      .where(idIn("status_tags.status_id", ids))
      .orderBy("tags.name")
      .execute(),
    mediaOfStatuses(db, config, ids),
    sql<{ status_id: string }>`select ${prepared} status_id from polls
      where status_id = any(${ids}::bigint[])`.execute(db),
  ]);
  const out = new Map<string, StaticParts>();
  const partsOf = (id: string): StaticParts => {
    let parts = out.get(id);
    if (!parts) {
      parts = { mentions: [], tags: [], media: media.get(id) ?? [], hasPoll: false };
      out.set(id, parts);
    }
    return parts;
  };
  for (const id of ids) partsOf(id);
  for (const m of mentions) {
    partsOf(m.status_id).mentions.push({
      id: m.id,
      username: m.username,
      url: m.url ?? m.uri,
      acct: acctOf(m),
    });
  }
  for (const t of tags) {
    const name = t.name.toLowerCase();
    partsOf(t.status_id).tags.push({ name, url: tagUrl(config.publicUrl, name) });
  }
  for (const p of polls.rows) partsOf(p.status_id).hasPoll = true;
  return out;
}
