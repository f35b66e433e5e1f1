// The notification policy (Mastodon 4.3+): per user, what happens to notifications from
// senders the user does not follow, who do not follow them, new accounts, private mentions
// and moderator-limited accounts: `accept` them, `filter` them into notification requests
// (requests.ts), or `drop` them. Decided once, when the notification is made (create.ts).
import { sql } from "kysely";
import type { Db } from "../infra/db/index.ts";
import type { NotificationPolicyValue, NotificationType } from "../infra/db/schema.ts";

export const POLICY_VALUES: readonly NotificationPolicyValue[] = ["accept", "filter", "drop"];

export const POLICY_KEYS = [
  "for_not_following",
  "for_not_followers",
  "for_new_accounts",
  "for_private_mentions",
  "for_limited_accounts",
] as const;

export type PolicyKey = (typeof POLICY_KEYS)[number];
export type NotificationPolicy = Record<PolicyKey, NotificationPolicyValue>;

/** What a user without a stored policy gets (only limited accounts are filtered). */
export const DEFAULT_POLICY: NotificationPolicy = {
  for_not_following: "accept",
  for_not_followers: "accept",
  for_new_accounts: "accept",
  for_private_mentions: "accept",
  for_limited_accounts: "filter",
};

/** Mastodon's filterable types: what someone did to you, not polls, edits or admin notices. */
const FILTERABLE: readonly NotificationType[] = [
  "mention",
  "reblog",
  "favourite",
  "follow",
  "follow_request",
];

/** Accounts younger than this count as new (for_new_accounts). */
const NEW_ACCOUNT_MS = 30 * 24 * 3_600_000;

export async function getPolicy(db: Db, accountId: string): Promise<NotificationPolicy> {
  const row = await db
    .selectFrom("notification_policies")
    .select(POLICY_KEYS)
    .where("account_id", "=", accountId)
    .executeTakeFirst();
  return row ?? { ...DEFAULT_POLICY };
}

export async function updatePolicy(
  db: Db,
  accountId: string,
  changes: Partial<NotificationPolicy>,
): Promise<NotificationPolicy> {
  const next = { ...(await getPolicy(db, accountId)), ...changes };
  await db
    .insertInto("notification_policies")
    .values({ account_id: accountId, ...next })
    .onConflict((oc) => oc.column("account_id").doUpdateSet({ ...next, updated_at: new Date() }))
    .execute();
  return next;
}

export type PolicyDecision = NotificationPolicyValue;

interface Incoming {
  type: NotificationType;
  fromAccountId: string;
  statusId: string | null;
}

/**
 * For each recipient, what its policy does with this notification. The strictest matching
 * rule wins (drop over filter over accept). Never filtered: types that are not filterable,
 * senders the recipient follows, senders whose request the recipient accepted.
 */
export async function decidePolicy(
  db: Db,
  recipientIds: string[],
  n: Incoming,
): Promise<Map<string, PolicyDecision>> {
  const decisions = new Map<string, PolicyDecision>();
  if (recipientIds.length === 0 || !FILTERABLE.includes(n.type)) return decisions;
  const sender = await db
    .selectFrom("accounts")
    .select(["created_at", "silenced_at"])
    .where("id", "=", n.fromAccountId)
    .executeTakeFirst();
  if (!sender) return decisions;
  const status = n.statusId
    ? await db
        .selectFrom("statuses")
        .select(["visibility", "in_reply_to_account_id"])
        .where("id", "=", n.statusId)
        .executeTakeFirst()
    : undefined;
  const rows = await db
    .selectFrom("accounts")
    .leftJoin("notification_policies as p", "p.account_id", "accounts.id")
    .select([
      "accounts.id",
      "p.for_not_following",
      "p.for_not_followers",
      "p.for_new_accounts",
      "p.for_private_mentions",
      "p.for_limited_accounts",
    ])
    .select(
      sql<boolean>`exists (select 1 from follows f where f.account_id = accounts.id and f.target_account_id = ${n.fromAccountId})`.as(
        "following",
      ),
    )
    .select(
      sql<boolean>`exists (select 1 from follows f where f.account_id = ${n.fromAccountId} and f.target_account_id = accounts.id)`.as(
        "followed_by",
      ),
    )
    .select(
      sql<boolean>`exists (select 1 from notification_permissions np where np.account_id = accounts.id and np.from_account_id = ${n.fromAccountId})`.as(
        "permitted",
      ),
    )
    .where("accounts.id", "in", recipientIds)
    .execute();
  const isNew = Date.now() - new Date(sender.created_at).getTime() < NEW_ACCOUNT_MS;
  const limited = sender.silenced_at !== null;
  for (const row of rows) {
    if (row.following || row.permitted) continue;
    const policy: NotificationPolicy = {
      for_not_following: row.for_not_following ?? DEFAULT_POLICY.for_not_following,
      for_not_followers: row.for_not_followers ?? DEFAULT_POLICY.for_not_followers,
      for_new_accounts: row.for_new_accounts ?? DEFAULT_POLICY.for_new_accounts,
      for_private_mentions: row.for_private_mentions ?? DEFAULT_POLICY.for_private_mentions,
      for_limited_accounts: row.for_limited_accounts ?? DEFAULT_POLICY.for_limited_accounts,
    };
    // A private mention answering the recipient is part of a conversation they started.
    const privateMention =
      n.type === "mention" &&
      status?.visibility === "direct" &&
      status.in_reply_to_account_id !== row.id;
    const matched: NotificationPolicyValue[] = [policy.for_not_following];
    if (!row.followed_by) matched.push(policy.for_not_followers);
    if (isNew) matched.push(policy.for_new_accounts);
    if (privateMention) matched.push(policy.for_private_mentions);
    if (limited) matched.push(policy.for_limited_accounts);
    const decision = matched.includes("drop")
      ? "drop"
      : matched.includes("filter")
        ? "filter"
        : "accept";
    if (decision !== "accept") decisions.set(row.id, decision);
  }
  return decisions;
}
