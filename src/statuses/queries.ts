// Reads of statuses for the statuses and account-statuses endpoints. Every query here
// filters with visibleTo (src/statuses/visibility.ts); an invisible status is "not found".
import { sql } from "kysely";
import type { AccountRow } from "../auth/middleware.ts";
import { ApiError } from "../http/errors.ts";
import type { PageParams } from "../http/pagination.ts";
import type { Db } from "../infra/db/index.ts";
import { compareIds } from "../infra/ids.ts";
import type { StatusRow } from "./serializer.ts";
import { notMutedBy, visibleTo } from "./visibility.ts";

/** The status if the viewer may see it (and, for a boost, the boosted one); else a 404. */
export async function findVisibleStatus(
  db: Db,
  viewerId: string | null,
  id: string,
): Promise<StatusRow> {
  if (!/^\d{1,20}$/.test(id)) throw ApiError.notFound("Record not found");
  const row = await db
    .selectFrom("statuses")
    .selectAll("statuses")
    .innerJoin("accounts", "accounts.id", "statuses.account_id")
    .where("statuses.id", "=", id)
    .where("accounts.suspended_at", "is", null)
    .where(visibleTo(viewerId))
    .executeTakeFirst();
  if (!row) throw ApiError.notFound("Record not found");
  if (row.reblog_of_id) await findVisibleStatus(db, viewerId, row.reblog_of_id);
  return row;
}

/** Several statuses in the order asked, dropping the ones the viewer may not see. */
export async function findVisibleStatuses(
  db: Db,
  viewerId: string | null,
  ids: string[],
): Promise<StatusRow[]> {
  const wanted = ids.filter((id) => /^\d{1,20}$/.test(id));
  if (wanted.length === 0) return [];
  const rows = await db
    .selectFrom("statuses")
    .selectAll("statuses")
    .innerJoin("accounts", "accounts.id", "statuses.account_id")
    .where("statuses.id", "in", wanted)
    .where("accounts.suspended_at", "is", null)
    .where(visibleTo(viewerId))
    .execute();
  const visible = await dropInvisibleBoosts(db, viewerId, rows);
  const byId = new Map(visible.map((r) => [r.id, r]));
  return [...new Set(wanted)].flatMap((id) => byId.get(id) ?? []);
}

/**
 * Boosts whose boosted status the viewer may not see are dropped (visibleTo only checks
 * the boost itself): one query for a whole page.
 */
export async function dropInvisibleBoosts(
  db: Db,
  viewerId: string | null,
  rows: StatusRow[],
): Promise<StatusRow[]> {
  const boosted = [
    ...new Set(rows.map((r) => r.reblog_of_id).filter((id): id is string => id !== null)),
  ];
  if (boosted.length === 0) return rows;
  const visible = await db
    .selectFrom("statuses")
    .select("statuses.id")
    .innerJoin("accounts", "accounts.id", "statuses.account_id")
    .where("statuses.id", "in", boosted)
    .where("accounts.suspended_at", "is", null)
    .where(visibleTo(viewerId))
    .execute();
  const ok = new Set(visible.map((r) => r.id));
  return rows.filter((r) => r.reblog_of_id === null || ok.has(r.reblog_of_id));
}

// Bounds on thread walks, so one huge thread cannot make a request unbounded.
const MAX_ANCESTORS = 40;
const MAX_DEPTH = 20;
const MAX_DESCENDANTS = 4096;

/** Ancestors (oldest first) and descendants (depth-first, in reply order) the viewer may see. */
export async function threadContext(
  db: Db,
  viewerId: string | null,
  status: StatusRow,
): Promise<{ ancestors: StatusRow[]; descendants: StatusRow[] }> {
  const up = await sql<{ id: string; depth: number }>`
    with recursive chain(id, parent, depth) as (
      select id, in_reply_to_id, 0 from statuses where id = ${status.id}
      union all
      select s.id, s.in_reply_to_id, chain.depth + 1
        from statuses s join chain on s.id = chain.parent
        where chain.depth < ${MAX_ANCESTORS}
    )
    select id, depth from chain where depth > 0`.execute(db);
  const down = await sql<{ id: string; parent: string }>`
    with recursive tree(id, parent, depth) as (
      select id, in_reply_to_id, 0 from statuses where id = ${status.id}
      union all
      select s.id, s.in_reply_to_id, tree.depth + 1
        from statuses s join tree on s.in_reply_to_id = tree.id
        where tree.depth < ${MAX_DEPTH}
    )
    select id, parent from tree where depth > 0 limit ${MAX_DESCENDANTS}`.execute(db);

  const ids = [...up.rows.map((r) => r.id), ...down.rows.map((r) => r.id)];
  const visible = new Map<string, StatusRow>();
  if (ids.length) {
    let query = db
      .selectFrom("statuses")
      .selectAll("statuses")
      .innerJoin("accounts", "accounts.id", "statuses.account_id")
      .where("statuses.id", "in", ids)
      .where("accounts.suspended_at", "is", null)
      .where(visibleTo(viewerId));
    // Muted authors drop out of threads too, except for the viewer's own posts.
    if (viewerId) {
      const v = viewerId;
      query = query.where((eb) => eb.or([eb("statuses.account_id", "=", v), notMutedBy(v)(eb)]));
    }
    for (const row of await query.execute()) visible.set(row.id, row);
  }

  const ancestors = [...up.rows]
    .sort((a, b) => b.depth - a.depth)
    .flatMap((r) => visible.get(r.id) ?? []);

  // Depth-first, replies in order of posting, as Mastodon lists a thread.
  const children = new Map<string, string[]>();
  for (const r of down.rows) {
    const list = children.get(r.parent);
    if (list) list.push(r.id);
    else children.set(r.parent, [r.id]);
  }
  for (const list of children.values()) list.sort(compareIds);
  const descendants: StatusRow[] = [];
  const walk = (id: string) => {
    for (const child of children.get(id) ?? []) {
      const row = visible.get(child);
      if (row) descendants.push(row);
      walk(child);
    }
  };
  walk(status.id);
  return { ancestors, descendants };
}

export interface AccountStatusesFilter {
  onlyMedia?: boolean;
  excludeReplies?: boolean;
  excludeReblogs?: boolean;
  pinned?: boolean;
  tagged?: string;
}

/**
 * One page of an account's statuses as the viewer may see them. Returns the rows as read
 * (for the Link cursors) and the ones to show (boosts of invisible statuses dropped).
 */
export async function accountStatuses(
  db: Db,
  viewer: AccountRow | null,
  account: AccountRow,
  filter: AccountStatusesFilter,
  page: PageParams,
): Promise<{ rows: StatusRow[]; visible: StatusRow[] }> {
  const viewerId = viewer?.id ?? null;
  let query = db
    .selectFrom("statuses")
    .selectAll("statuses")
    .where("statuses.account_id", "=", account.id)
    .where(visibleTo(viewerId));
  if (filter.onlyMedia) {
    // Boosts carry no media of their own, so they drop out, as on Mastodon.
    query = query.where(
      sql<boolean>`exists (select 1 from media_attachments m where m.status_id = statuses.id)`,
    );
  }
  if (filter.excludeReplies) {
    // Self-replies (threads) stay, as in Mastodon.
    query = query.where((eb) =>
      eb.or([
        eb("statuses.in_reply_to_id", "is", null),
        eb("statuses.in_reply_to_account_id", "=", account.id),
      ]),
    );
  }
  if (filter.excludeReblogs || filter.pinned)
    query = query.where("statuses.reblog_of_id", "is", null);
  if (filter.pinned) {
    query = query.where((eb) =>
      eb.exists(
        eb
          .selectFrom("status_pins")
          .select(sql.lit(1).as("one"))
          .whereRef("status_pins.status_id", "=", "statuses.id")
          .where("status_pins.account_id", "=", account.id),
      ),
    );
  }
  if (filter.tagged) {
    const tag = filter.tagged.toLowerCase();
    query = query.where((eb) =>
      eb.exists(
        eb
          .selectFrom("status_tags")
          .innerJoin("tags", "tags.id", "status_tags.tag_id")
          .select(sql.lit(1).as("one"))
          .whereRef("status_tags.status_id", "=", "statuses.id")
          .where(sql<string>`lower(tags.name)`, "=", tag),
      ),
    );
  }
  if (page.maxId) query = query.where("statuses.id", "<", page.maxId);
  if (page.sinceId) query = query.where("statuses.id", ">", page.sinceId);
  let rows: StatusRow[];
  if (page.minId) {
    rows = (
      await query
        .where("statuses.id", ">", page.minId)
        .orderBy("statuses.id", "asc")
        .limit(page.limit)
        .execute()
    ).reverse();
  } else {
    rows = await query.orderBy("statuses.id", "desc").limit(page.limit).execute();
  }
  return { rows, visible: await dropInvisibleBoosts(db, viewerId, rows) };
}
