// The Relationship entity: how the viewer stands towards other accounts. Computed for many
// accounts at once with one query per relation table, since apps ask for a whole page of
// accounts in one call (`/api/v1/accounts/relationships?id[]=...`).
import type { Db } from "../infra/db/index.ts";

export interface RelationshipEntity {
  id: string;
  following: boolean;
  showing_reblogs: boolean;
  notifying: boolean;
  languages: string[] | null;
  followed_by: boolean;
  blocking: boolean;
  blocked_by: boolean;
  muting: boolean;
  muting_notifications: boolean;
  muting_expires_at: string | null;
  requested: boolean;
  requested_by: boolean;
  domain_blocking: boolean;
  endorsed: boolean;
  note: string;
}

/** The viewer's relationships to `targetIds`, in the order given. */
export async function relationshipsFor(
  db: Db,
  viewerId: string,
  targetIds: readonly string[],
): Promise<RelationshipEntity[]> {
  const ids = [...new Set(targetIds)];
  if (ids.length === 0) return [];
  const now = new Date();
  const [
    following,
    followedBy,
    requested,
    requestedBy,
    blocking,
    blockedBy,
    muting,
    endorsed,
    notes,
    domainBlocked,
  ] = await Promise.all([
    db
      .selectFrom("follows")
      .select(["target_account_id as id", "show_reblogs", "notify", "languages"])
      .where("account_id", "=", viewerId)
      .where("target_account_id", "in", ids)
      .execute(),
    db
      .selectFrom("follows")
      .select("account_id as id")
      .where("target_account_id", "=", viewerId)
      .where("account_id", "in", ids)
      .execute(),
    db
      .selectFrom("follow_requests")
      .select(["target_account_id as id", "show_reblogs", "notify", "languages"])
      .where("account_id", "=", viewerId)
      .where("target_account_id", "in", ids)
      .execute(),
    db
      .selectFrom("follow_requests")
      .select("account_id as id")
      .where("target_account_id", "=", viewerId)
      .where("account_id", "in", ids)
      .execute(),
    db
      .selectFrom("blocks")
      .select("target_account_id as id")
      .where("account_id", "=", viewerId)
      .where("target_account_id", "in", ids)
      .execute(),
    db
      .selectFrom("blocks")
      .select("account_id as id")
      .where("target_account_id", "=", viewerId)
      .where("account_id", "in", ids)
      .execute(),
    db
      .selectFrom("mutes")
      .select(["target_account_id as id", "hide_notifications", "expires_at"])
      .where("account_id", "=", viewerId)
      .where("target_account_id", "in", ids)
      // An expired mute is just not cleaned up yet.
      .where((eb) => eb.or([eb("expires_at", "is", null), eb("expires_at", ">", now)]))
      .execute(),
    db
      .selectFrom("endorsements")
      .select("target_account_id as id")
      .where("account_id", "=", viewerId)
      .where("target_account_id", "in", ids)
      .execute(),
    db
      .selectFrom("account_notes")
      .select(["target_account_id as id", "comment"])
      .where("account_id", "=", viewerId)
      .where("target_account_id", "in", ids)
      .execute(),
    db
      .selectFrom("accounts")
      .innerJoin("account_domain_blocks as adb", "adb.domain", "accounts.domain")
      .select("accounts.id")
      .where("adb.account_id", "=", viewerId)
      .where("accounts.id", "in", ids)
      .execute(),
  ]);
  const byId = <T extends { id: string }>(rows: T[]) => new Map(rows.map((r) => [r.id, r]));
  const followMap = byId(following);
  const requestMap = byId(requested);
  const muteMap = byId(muting);
  const noteMap = byId(notes);
  const followedBySet = new Set(followedBy.map((r) => r.id));
  const requestedBySet = new Set(requestedBy.map((r) => r.id));
  const blockingSet = new Set(blocking.map((r) => r.id));
  const blockedBySet = new Set(blockedBy.map((r) => r.id));
  const endorsedSet = new Set(endorsed.map((r) => r.id));
  const domainBlockedSet = new Set(domainBlocked.map((r) => r.id));

  return ids.map((id) => {
    // A pending request already carries the options the follow will have.
    const follow = followMap.get(id) ?? requestMap.get(id);
    const mute = muteMap.get(id);
    return {
      id,
      following: followMap.has(id),
      showing_reblogs: follow?.show_reblogs ?? false,
      notifying: follow?.notify ?? false,
      languages: follow?.languages ?? null,
      followed_by: followedBySet.has(id),
      blocking: blockingSet.has(id),
      blocked_by: blockedBySet.has(id),
      muting: mute !== undefined,
      muting_notifications: mute?.hide_notifications ?? false,
      muting_expires_at: mute?.expires_at ? new Date(mute.expires_at).toISOString() : null,
      requested: requestMap.has(id),
      requested_by: requestedBySet.has(id),
      domain_blocking: domainBlockedSet.has(id),
      endorsed: endorsedSet.has(id),
      note: noteMap.get(id)?.comment ?? "",
    };
  });
}

export async function relationshipFor(
  db: Db,
  viewerId: string,
  targetId: string,
): Promise<RelationshipEntity> {
  const [relationship] = await relationshipsFor(db, viewerId, [targetId]);
  return relationship!;
}
