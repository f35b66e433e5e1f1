// The Poll entity, rendered as Mastodon renders it. Statuses load the polls of a whole page
// in two queries (polls, then the viewer's votes), through pollsOfStatuses.
import type { Db } from "../infra/db/index.ts";
import { isExpired, type PollRow } from "./store.ts";

export interface PollOptionEntity {
  title: string;
  /** Null while totals are hidden (hide_totals) and the poll is still open. */
  votes_count: number | null;
}

export interface PollEntity {
  id: string;
  expires_at: string | null;
  expired: boolean;
  multiple: boolean;
  votes_count: number;
  voters_count: number | null;
  options: PollOptionEntity[];
  emojis: unknown[];
  /** Only for a signed-in viewer: voted (or is the author), and which options. */
  voted?: boolean;
  own_votes?: number[];
}

export function renderPoll(
  poll: PollRow,
  viewerId: string | null,
  ownVotes: number[] | undefined,
  now = Date.now(),
): PollEntity {
  const expired = isExpired(poll, now);
  // Mastodon's rule: totals appear once the poll is over, or at once unless hidden.
  const showTotals = expired || !poll.hide_totals;
  const entity: PollEntity = {
    id: poll.id,
    expires_at: poll.expires_at ? new Date(poll.expires_at).toISOString() : null,
    expired,
    multiple: poll.multiple,
    votes_count: poll.votes_count,
    voters_count: poll.voters_count,
    options: poll.options.map((title, i) => ({
      title,
      votes_count: showTotals ? (poll.tallies[i] ?? 0) : null,
    })),
    emojis: [],
  };
  if (viewerId) {
    const own = [...new Set(ownVotes ?? [])].sort((a, b) => a - b);
    // The author counts as having voted: clients then show the results, not the form.
    entity.voted = poll.account_id === viewerId || own.length > 0;
    entity.own_votes = own;
  }
  return entity;
}

/** The viewer's choices per poll. */
async function ownVotesOf(
  db: Db,
  viewerId: string,
  pollIds: string[],
): Promise<Map<string, number[]>> {
  const out = new Map<string, number[]>();
  if (pollIds.length === 0) return out;
  const rows = await db
    .selectFrom("poll_votes")
    .select(["poll_id", "choice"])
    .where("account_id", "=", viewerId)
    .where("poll_id", "in", pollIds)
    .execute();
  for (const r of rows) out.set(r.poll_id, [...(out.get(r.poll_id) ?? []), r.choice]);
  return out;
}

/** Poll entities by status id, for the statuses that have one. */
export async function pollsOfStatuses(
  db: Db,
  viewerId: string | null,
  statusIds: string[],
): Promise<Map<string, PollEntity>> {
  const out = new Map<string, PollEntity>();
  if (statusIds.length === 0) return out;
  const polls = await db
    .selectFrom("polls")
    .selectAll()
    .where("status_id", "in", statusIds)
    .execute();
  if (polls.length === 0) return out;
  const own = viewerId
    ? await ownVotesOf(
        db,
        viewerId,
        polls.map((p) => p.id),
      )
    : new Map<string, number[]>();
  for (const p of polls) out.set(p.status_id, renderPoll(p, viewerId, own.get(p.id)));
  return out;
}

/** One poll as GET /api/v1/polls/:id answers. */
export async function serializePoll(
  db: Db,
  viewerId: string | null,
  poll: PollRow,
): Promise<PollEntity> {
  const own = viewerId ? await ownVotesOf(db, viewerId, [poll.id]) : new Map<string, number[]>();
  return renderPoll(poll, viewerId, own.get(poll.id));
}
