// Which local accounts used the API on which (UTC) day: the source of daily active users
// and of retention. Recorded from authentication, at most once per account per day per
// process (an in-memory note), and never in the request's way: the insert is not awaited
// and a failure only loses one mark.
import { log } from "../infra/logging.ts";
import type { Services } from "../services.ts";

const logger = log("analytics");
/** Bounds the memory of the notes; past this, notes are dropped and rebuilt on use. */
const MAX_NOTES = 100_000;
const seen = new Map<string, string>();

export function utcDay(at: Date = new Date()): string {
  return at.toISOString().slice(0, 10);
}

/** Marks `accountId` active today. Cheap to call on every request. */
export function recordActivity(services: Pick<Services, "db">, accountId: string): void {
  const day = utcDay();
  if (seen.get(accountId) === day) return;
  if (seen.size >= MAX_NOTES) seen.clear();
  seen.set(accountId, day);
  services.db
    .insertInto("daily_activity")
    .values({ day, account_id: accountId })
    .onConflict((oc) => oc.doNothing())
    .execute()
    .catch((error) => {
      seen.delete(accountId);
      logger.debug("Could not record activity: {error}", { error });
    });
}
