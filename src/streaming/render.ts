// Renders one status for many viewers without one serializeStatuses call per viewer (a post
// to 10,000 followers would be 10,000 renderings of nine queries each). The shared part is
// rendered once, as for an anonymous reader; the viewer's own flags (favourited, reblogged,
// muted, bookmarked) are loaded for all viewers at once and laid over it, giving what the
// REST API returns to each. The authors of the status and of the boosted status also see
// `pinned` and the application, so they get a full rendering of their own.
import type { AccountRow } from "../auth/middleware.ts";
import type { Services } from "../services.ts";
import { type MastodonStatus, type StatusRow, serializeStatuses } from "../statuses/serializer.ts";

interface Flags {
  favourited: Set<string>;
  reblogged: Set<string>;
  bookmarked: Set<string>;
  muted: Set<string>;
}

const key = (viewerId: string, statusId: string) => `${viewerId}:${statusId}`;

/** `row` as each of `viewerIds` sees it through the REST API. Visibility is the caller's job. */
export async function renderForViewers(
  services: Services,
  row: StatusRow,
  viewerIds: string[],
): Promise<Map<string, MastodonStatus>> {
  const out = new Map<string, MastodonStatus>();
  if (viewerIds.length === 0) return out;
  const { db } = services;
  const [base] = await serializeStatuses(services, null, [row]);
  if (!base) return out;
  const authors = new Set([row.account_id, base.reblog?.account.id].filter(Boolean));
  const own = viewerIds.filter((id) => authors.has(id));
  const others = viewerIds.filter((id) => !authors.has(id));

  if (own.length) {
    const viewers = await db.selectFrom("accounts").selectAll().where("id", "in", own).execute();
    for (const viewer of viewers) {
      const [entity] = await serializeStatuses(services, viewer as AccountRow, [row]);
      if (entity) out.set(viewer.id, entity);
    }
  }
  if (others.length === 0) return out;

  const flags = await loadFlags(services, row, others);
  const overlay = (entity: MastodonStatus, viewerId: string): MastodonStatus => ({
    ...entity,
    application: null,
    favourited: flags.favourited.has(key(viewerId, entity.id)),
    reblogged: flags.reblogged.has(key(viewerId, entity.id)),
    muted: flags.muted.has(key(viewerId, entity.id)),
    bookmarked: flags.bookmarked.has(key(viewerId, entity.id)),
    filtered: [],
  });
  for (const viewerId of others) {
    const entity = overlay(base, viewerId);
    if (base.reblog) entity.reblog = overlay(base.reblog, viewerId);
    out.set(viewerId, entity);
  }
  return out;
}

/** The viewers' flags on the status and the boosted one, in a fixed number of queries. */
async function loadFlags(services: Services, row: StatusRow, viewerIds: string[]): Promise<Flags> {
  const { db } = services;
  const statuses = [row];
  if (row.reblog_of_id) {
    const boosted = await db
      .selectFrom("statuses")
      .selectAll()
      .where("id", "=", row.reblog_of_id)
      .executeTakeFirst();
    if (boosted) statuses.push(boosted);
  }
  const ids = statuses.map((s) => s.id);
  const conversations = [
    ...new Set(statuses.map((s) => s.conversation_id).filter((c): c is string => c !== null)),
  ];
  const flags: Flags = {
    favourited: new Set(),
    reblogged: new Set(),
    bookmarked: new Set(),
    muted: new Set(),
  };
  // Chunked so a large audience stays within the driver's parameter limits.
  for (let i = 0; i < viewerIds.length; i += 5000) {
    const chunk = viewerIds.slice(i, i + 5000);
    const relation = (table: "favourites" | "bookmarks") =>
      db
        .selectFrom(table)
        .select(["account_id", "status_id"])
        .where("account_id", "in", chunk)
        .where("status_id", "in", ids)
        .execute();
    const [favourites, bookmarks, reblogs, mutes] = await Promise.all([
      relation("favourites"),
      relation("bookmarks"),
      db
        .selectFrom("statuses")
        .select(["account_id", "reblog_of_id"])
        .where("account_id", "in", chunk)
        .where("reblog_of_id", "in", ids)
        .execute(),
      // Muting a status mutes its whole conversation, as the serializer does.
      db
        .selectFrom("status_mutes")
        .innerJoin("statuses", "statuses.id", "status_mutes.status_id")
        .select(["status_mutes.account_id", "status_mutes.status_id", "statuses.conversation_id"])
        .where("status_mutes.account_id", "in", chunk)
        .where((eb) =>
          conversations.length
            ? eb.or([
                eb("status_mutes.status_id", "in", ids),
                eb("statuses.conversation_id", "in", conversations),
              ])
            : eb("status_mutes.status_id", "in", ids),
        )
        .execute(),
    ]);
    for (const f of favourites) flags.favourited.add(key(f.account_id, f.status_id));
    for (const b of bookmarks) flags.bookmarked.add(key(b.account_id, b.status_id));
    for (const r of reblogs) flags.reblogged.add(key(r.account_id, r.reblog_of_id as string));
    for (const m of mutes) {
      for (const s of statuses) {
        if (
          m.status_id === s.id ||
          (s.conversation_id && m.conversation_id === s.conversation_id)
        ) {
          flags.muted.add(key(m.account_id, s.id));
        }
      }
    }
  }
  return flags;
}
