// Votes: a local account voting through the API, and votes received from other servers
// on our polls. Both go through addVotes, which checks Mastodon's rules under a lock on the
// poll row and keeps the poll's tallies in step. Side effects come after the commit: a
// local vote on a remote poll is sent to the poll's author (poll.voted event), a vote on a
// local poll schedules an Update with the new totals, and a local voter will be told when
// a remote poll ends.
import type { Transaction } from "kysely";
import type { AccountRow } from "../auth/middleware.ts";
import { emitEvent } from "../events/emit.ts";
import { ApiError } from "../http/errors.ts";
import type { Database } from "../infra/db/schema.ts";
import { newId } from "../infra/ids.ts";
import type { Services } from "../services.ts";
import { findVisibleStatus } from "../statuses/queries.ts";
import { schedulePollDistribution, schedulePollExpiry } from "./jobs.ts";
import { findPoll, isExpired, type PollRow } from "./store.ts";

type Trx = Transaction<Database>;

/** Why a vote was refused, in Mastodon's words. */
export const VOTE_ERRORS = {
  expired: "Validation failed: The poll has already ended",
  invalidChoice: "Validation failed: The chosen vote option does not exist",
  selfVote: "Validation failed: You cannot vote in your own polls",
  alreadyVoted: "Validation failed: You have already voted on this poll",
} as const;

class VoteRefused extends Error {
  readonly reason: keyof typeof VOTE_ERRORS;
  constructor(reason: keyof typeof VOTE_ERRORS) {
    super(VOTE_ERRORS[reason]);
    this.reason = reason;
  }
}

interface NewVote {
  choice: number;
  uri: string | null;
}

/**
 * Records `voter`'s votes on a poll, or throws VoteRefused. Single-choice polls take one
 * vote per account; multiple-choice polls one per account and option (a second request
 * may add options, as on Mastodon, but not repeat one).
 */
async function addVotes(
  trx: Trx,
  pollId: string,
  voter: Pick<AccountRow, "id">,
  votes: NewVote[],
): Promise<{ poll: PollRow; voteIds: string[] }> {
  const poll = await trx
    .selectFrom("polls")
    .selectAll()
    .where("id", "=", pollId)
    .forUpdate()
    .executeTakeFirstOrThrow();
  if (isExpired(poll)) throw new VoteRefused("expired");
  if (poll.account_id === voter.id) throw new VoteRefused("selfVote");
  if (
    votes.some(
      (v) => !Number.isInteger(v.choice) || v.choice < 0 || v.choice >= poll.options.length,
    )
  ) {
    throw new VoteRefused("invalidChoice");
  }
  const previous = await trx
    .selectFrom("poll_votes")
    .select("choice")
    .where("poll_id", "=", poll.id)
    .where("account_id", "=", voter.id)
    .execute();
  const chosen = new Set(votes.map((v) => v.choice));
  if (!poll.multiple && (previous.length > 0 || chosen.size > 1)) {
    throw new VoteRefused("alreadyVoted");
  }
  if (previous.some((p) => chosen.has(p.choice)) || chosen.size !== votes.length) {
    throw new VoteRefused("alreadyVoted");
  }
  const now = new Date();
  const rows = votes.map((v) => ({
    id: newId(now),
    poll_id: poll.id,
    account_id: voter.id,
    choice: v.choice,
    uri: v.uri,
    created_at: now,
  }));
  await trx.insertInto("poll_votes").values(rows).execute();
  const tallies = poll.options.map((_, i) => (poll.tallies[i] ?? 0) + (chosen.has(i) ? 1 : 0));
  const updated = await trx
    .updateTable("polls")
    .set({
      tallies: JSON.stringify(tallies),
      votes_count: poll.votes_count + votes.length,
      // A remote poll whose server gives no voter count stays unknown.
      voters_count:
        poll.voters_count === null ? null : poll.voters_count + (previous.length === 0 ? 1 : 0),
      updated_at: now,
    })
    .where("id", "=", poll.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  return { poll: updated, voteIds: rows.map((r) => r.id) };
}

/** POST /api/v1/polls/:id/votes: the poll as it is after the vote. */
export async function voteOnPoll(
  services: Services,
  voter: AccountRow,
  pollId: string,
  choices: number[],
): Promise<PollRow> {
  const found = await findPoll(services.db, pollId);
  if (!found) throw ApiError.notFound("Record not found");
  // A poll is seen through its status: where the status is invisible, so is the poll.
  const status = await findVisibleStatus(services.db, voter.id, found.status_id);
  if (choices.length === 0) throw ApiError.unprocessable(VOTE_ERRORS.invalidChoice);
  let result: { poll: PollRow; voteIds: string[] };
  try {
    result = await services.db.transaction().execute(async (trx) => {
      const voteIds = choices.map(() => newId());
      // Our votes get ids others can refer to: the voter's actor id with a fragment.
      return await addVotes(
        trx,
        found.id,
        voter,
        choices.map((choice, i) => ({ choice, uri: `${voter.uri}#votes/${voteIds[i]}` })),
      );
    });
  } catch (error) {
    if (error instanceof VoteRefused) throw ApiError.unprocessable(error.message);
    throw error;
  }
  if (status.local) {
    await schedulePollDistribution(services, result.poll.id);
  } else {
    await emitEvent(services, "poll.voted", {
      pollId: result.poll.id,
      accountId: voter.id,
      voteIds: result.voteIds,
    });
    // The poll's server tells no one when it ends; the voter hears it from us.
    await schedulePollExpiry(services, result.poll);
  }
  return result.poll;
}

export interface ReceivedVote {
  /** The vote Note's id. */
  uri: string;
  /** The option's title (the Note's name). */
  name: string;
  /** The local status the Note replies to. */
  statusId: string;
}

/**
 * A remote account's vote on one of our polls. Returns false when the poll does not take it
 * (ended, unknown option, already voted); either way the Note is not a reply to store.
 */
export async function receiveVote(
  services: Services,
  voter: AccountRow,
  vote: ReceivedVote,
): Promise<boolean> {
  const poll = await services.db
    .selectFrom("polls")
    .selectAll()
    .where("status_id", "=", vote.statusId)
    .executeTakeFirst();
  if (!poll) return false;
  const known = await services.db
    .selectFrom("poll_votes")
    .select("id")
    .where("uri", "=", vote.uri)
    .executeTakeFirst();
  if (known) return false;
  const choice = poll.options.indexOf(vote.name);
  try {
    await services.db
      .transaction()
      .execute((trx) => addVotes(trx, poll.id, voter, [{ choice, uri: vote.uri }]));
  } catch (error) {
    if (error instanceof VoteRefused) return false;
    // The same vote delivered twice at once: the other delivery counted it.
    if ((error as { code?: string }).code === "23505") return false;
    throw error;
  }
  await schedulePollDistribution(services, poll.id);
  return true;
}

/** Whether `statusId` is a local status with a poll offering an option named `name`. */
export async function isVoteFor(
  services: Services,
  statusId: string,
  name: string,
): Promise<boolean> {
  const poll = await services.db
    .selectFrom("polls")
    .innerJoin("statuses", "statuses.id", "polls.status_id")
    .select("polls.options")
    .where("polls.status_id", "=", statusId)
    .where("statuses.local", "=", true)
    .executeTakeFirst();
  return poll?.options.includes(name) === true;
}
