// Polls in ActivityPub, as Mastodon writes them: a Question whose `oneOf` (single choice)
// or `anyOf` (multiple) lists one Note per option, with its name and a `replies`
// collection whose totalItems is the option's count; `endTime`, `closed` once over, and
// `votersCount`. Reading works the other way, for Questions from any server.
import { type Object as APObject, Collection, Note, type Question } from "@fedify/vocab";
import type { RemoteDocument } from "@fedify/vocab-runtime";
import { toInstant } from "../../federation/util.ts";
import type { AccountRow } from "../auth/middleware.ts";
import { POLL_LIMITS } from "../instance/limits.ts";
import type { Services } from "../services.ts";
import { isExpired, type PollRow } from "./store.ts";
import { isVoteFor, receiveVote } from "./votes.ts";

/** Remote polls may have more options than we allow locally, within reason. */
const MAX_REMOTE_OPTIONS = Math.max(POLL_LIMITS.maxOptions, 20);
const MAX_OPTION_CHARS = 500;

/**
 * Options and their counts are read only where embedded (as every server sends them): an
 * option or a count given as a link would cost one fetch each, for a number.
 */
const noFetch = async (url: string): Promise<RemoteDocument> => {
  throw new Error(`Not fetched: ${url}`);
};

/** The poll part of a local status's Question. */
export function questionValues(poll: PollRow, now = Date.now()) {
  const expired = isExpired(poll, now);
  // Hidden totals stay hidden from other servers too, until the end.
  const showTotals = expired || !poll.hide_totals;
  const options = poll.options.map(
    (name, i) =>
      new Note({
        name,
        replies: new Collection({ totalItems: showTotals ? (poll.tallies[i] ?? 0) : 0 }),
      }),
  );
  return {
    ...(poll.multiple ? { inclusiveOptions: options } : { exclusiveOptions: options }),
    endTime: poll.expires_at ? toInstant(poll.expires_at) : null,
    closed: expired && poll.expires_at ? toInstant(poll.expires_at) : null,
    voters: poll.voters_count,
  };
}

export interface RemotePollFields {
  options: string[];
  tallies: number[];
  multiple: boolean;
  expiresAt: Date | null;
  votersCount: number | null;
}

/** What a received Question says about its poll; null when it offers no usable options. */
export async function readQuestion(question: Question): Promise<RemotePollFields | null> {
  const read = async (multiple: boolean) => {
    const options: string[] = [];
    const tallies: number[] = [];
    const list = multiple
      ? question.getInclusiveOptions({ documentLoader: noFetch, suppressError: true })
      : question.getExclusiveOptions({ documentLoader: noFetch, suppressError: true });
    for await (const option of list) {
      if (options.length >= MAX_REMOTE_OPTIONS) break;
      // Kept exactly as sent: a vote names its option, and the poll's server matches it.
      const name = option.name?.toString().slice(0, MAX_OPTION_CHARS);
      if (!name?.trim() || options.includes(name)) continue;
      const replies = await option
        .getReplies({ documentLoader: noFetch, suppressError: true })
        .catch(() => null);
      const count = replies?.totalItems ?? 0;
      options.push(name);
      tallies.push(Number.isFinite(count) && count > 0 ? Math.floor(count) : 0);
    }
    return { options, tallies };
  };
  let multiple = false;
  let found = await read(false);
  if (found.options.length === 0) {
    multiple = true;
    found = await read(true);
  }
  if (found.options.length === 0) return null;
  // Pleroma sends the end as `closed` alone; Misskey may send no end at all.
  const closed = question.closed;
  const end = question.endTime ?? (typeof closed === "object" ? closed : null);
  const voters = question.voters;
  return {
    options: found.options,
    tallies: found.tallies,
    multiple,
    expiresAt: end ? new Date(end.epochMilliseconds) : null,
    votersCount: typeof voters === "number" && voters >= 0 ? Math.floor(voters) : null,
  };
}

/**
 * A received Note that is a vote on one of our polls (named after an option, replying to
 * the poll, as Mastodon sends votes): counted, and true so it is not stored as a reply.
 */
export async function receivePollVote(
  services: Services,
  object: APObject,
  voter: AccountRow,
): Promise<boolean> {
  if (!(object instanceof Note) || !object.id) return false;
  const name = object.name?.toString();
  const target = object.replyTargetId;
  if (!name || !target || target.origin !== new URL(services.config.publicUrl).origin) {
    return false;
  }
  const status = await services.db
    .selectFrom("statuses")
    .select("id")
    .where("uri", "=", target.href)
    .where("local", "=", true)
    .executeTakeFirst();
  if (!status || !(await isVoteFor(services, status.id, name))) return false;
  await receiveVote(services, voter, { uri: object.id.href, name, statusId: status.id });
  return true;
}
