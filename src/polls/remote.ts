// Polls of remote statuses: stored when their Question arrives (Create, a fetch, a boost)
// and refreshed by each Update, whose counts are the poll server's own. As on Mastodon,
// new options (a re-made poll) drop the local votes cast on the old ones.
import { Question } from "@fedify/vocab";
import { newId } from "../infra/ids.ts";
import type { Services } from "../services.ts";
import { readQuestion } from "./activitypub.ts";
import type { PollRow } from "./store.ts";

/** Stores or refreshes the poll of remote status `statusId` from its Question. */
export async function upsertRemotePoll(
  services: Services,
  status: { id: string; account_id: string },
  question: Question,
): Promise<PollRow | undefined> {
  const fields = await readQuestion(question);
  if (!fields) return undefined;
  const now = new Date();
  const votesCount = fields.tallies.reduce((a, b) => a + b, 0);
  return await services.db.transaction().execute(async (trx) => {
    const current = await trx
      .selectFrom("polls")
      .selectAll()
      .where("status_id", "=", status.id)
      .forUpdate()
      .executeTakeFirst();
    const values = {
      options: JSON.stringify(fields.options),
      tallies: JSON.stringify(fields.tallies),
      multiple: fields.multiple,
      expires_at: fields.expiresAt,
      votes_count: votesCount,
      voters_count: fields.votersCount,
      updated_at: now,
    };
    if (!current) {
      const inserted = await trx
        .insertInto("polls")
        .values({ ...values, id: newId(now), status_id: status.id, account_id: status.account_id })
        .onConflict((oc) => oc.column("status_id").doNothing())
        .returningAll()
        .executeTakeFirst();
      return inserted;
    }
    const changed =
      JSON.stringify(current.options) !== JSON.stringify(fields.options) ||
      current.multiple !== fields.multiple;
    if (changed) await trx.deleteFrom("poll_votes").where("poll_id", "=", current.id).execute();
    return await trx
      .updateTable("polls")
      .set(values)
      .where("id", "=", current.id)
      .returningAll()
      .executeTakeFirstOrThrow();
  });
}

/**
 * Fetches a remote poll again for its final counts (at its end: the poll's server sends
 * Updates only to its author's followers, and may not count us among them).
 */
export async function refetchRemotePoll(
  services: Services,
  status: { id: string; uri: string; account_id: string },
): Promise<void> {
  const { federationContext } = await import("../../federation/index.ts");
  const { fetchRemoteObject } = await import("../../federation/objects/remote-status.ts");
  const object = await fetchRemoteObject(federationContext(services), new URL(status.uri));
  // fetchRemoteObject only returns a document that names itself with the status's id.
  if (object instanceof Question) await upsertRemotePoll(services, status, object);
}
