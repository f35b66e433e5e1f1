// Poll side effects that run later, on the `jobs` queue:
// - poll.distribute: after votes on a local poll, one Update with the new totals to the
//   poll's audience. Votes within the debounce window share one Update.
// - poll.expire: when a poll ends, a `poll` notification to its local author and to every
//   local voter (remote polls: scheduled when a local account votes, since their server
//   sends us nothing at the end), and for a local poll a final Update.
import type { KvKey } from "@fedify/fedify";
import { enqueueJob } from "../../workers/jobs.ts";
import { emitEvent } from "../events/emit.ts";
import { newId } from "../infra/ids.ts";
import { log } from "../infra/logging.ts";
import { durationOf } from "../infra/temporal.ts";
import type { Services } from "../services.ts";
import { isExpired, type PollRow } from "./store.ts";

const logger = log("polls");

/** How long votes are gathered before the totals are sent (Mastodon waits 3 minutes). */
export const POLL_UPDATE_DELAY_MS = 5_000;
/** A job that wakes a little early (clock skew between processes) still counts as the end. */
const EXPIRY_SLACK_MS = 1_000;

/** Schedules one Update of a local poll's totals, unless one is already pending. */
export async function schedulePollDistribution(services: Services, pollId: string): Promise<void> {
  const key: KvKey = ["poll-distribution", pollId];
  if (await services.kv.get(key)) return;
  await services.kv.set(key, true, { ttl: durationOf(POLL_UPDATE_DELAY_MS) });
  await enqueueJob(services, { type: "poll.distribute", pollId }, POLL_UPDATE_DELAY_MS);
}

/** Schedules the end-of-poll notifications at the poll's end. */
export async function schedulePollExpiry(
  services: Services,
  poll: Pick<PollRow, "id" | "expires_at">,
): Promise<void> {
  if (!poll.expires_at) return;
  const delay = new Date(poll.expires_at).getTime() - Date.now();
  await enqueueJob(services, { type: "poll.expire", pollId: poll.id }, Math.max(0, delay));
}

async function pollWithStatus(services: Services, pollId: string) {
  return await services.db
    .selectFrom("polls")
    .innerJoin("statuses", "statuses.id", "polls.status_id")
    .selectAll("polls")
    .select(["statuses.local", "statuses.id as statusId", "statuses.uri as statusUri"])
    .where("polls.id", "=", pollId)
    .executeTakeFirst();
}

export async function runPollDistribution(services: Services, pollId: string): Promise<void> {
  const poll = await pollWithStatus(services, pollId);
  if (!poll?.local) return;
  const { sendPollUpdate } = await import("../../federation/outbox.ts");
  await sendPollUpdate(services, poll.statusId);
}

export async function runPollExpiry(services: Services, pollId: string): Promise<void> {
  const poll = await pollWithStatus(services, pollId);
  if (!poll?.expires_at) return;
  // The end moved (an edit restarted the poll): wait for the new one.
  if (!isExpired(poll, Date.now() + EXPIRY_SLACK_MS)) {
    await schedulePollExpiry(services, poll);
    return;
  }
  if (!poll.local) {
    // Best effort: the notification goes out with the counts we have if the fetch fails.
    const { refetchRemotePoll } = await import("./remote.ts");
    await refetchRemotePoll(services, {
      id: poll.statusId,
      uri: poll.statusUri,
      account_id: poll.account_id,
    }).catch((error) => {
      logger.info("Could not refresh poll {id} at its end: {error}", { id: poll.id, error });
    });
  }
  const recipients = await services.db
    .selectFrom("poll_votes")
    .innerJoin("accounts", "accounts.id", "poll_votes.account_id")
    .select("accounts.id")
    .distinct()
    .where("poll_votes.poll_id", "=", poll.id)
    .where("accounts.domain", "is", null)
    .where("accounts.suspended_at", "is", null)
    .execute();
  const ids = new Set(recipients.map((r) => r.id));
  if (poll.local) ids.add(poll.account_id);
  if (ids.size > 0) {
    const now = new Date();
    // Keyed by the poll, so a retried (or twice scheduled) job notifies nobody twice.
    const created = await services.db
      .insertInto("notifications")
      .values(
        [...ids].map((accountId) => ({
          id: newId(now),
          account_id: accountId,
          from_account_id: poll.account_id,
          type: "poll" as const,
          status_id: poll.statusId,
          group_key: null,
          activity_key: `poll:${poll.id}`,
          created_at: now,
        })),
      )
      .onConflict((oc) => oc.columns(["account_id", "activity_key"]).doNothing())
      .returning(["id", "account_id", "type"])
      .execute();
    for (const n of created) {
      await emitEvent(services, "notification.created", {
        notificationId: n.id,
        accountId: n.account_id,
        type: n.type,
      });
    }
  }
  if (poll.local) {
    // The final totals, which hide_totals polls show only now.
    const { sendPollUpdate } = await import("../../federation/outbox.ts");
    await sendPollUpdate(services, poll.statusId).catch((error) => {
      logger.warning("Final update of poll {id} failed: {error}", { id: poll.id, error });
      throw error;
    });
  }
}
