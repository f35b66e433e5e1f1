// The Conversation entity: {id, unread, accounts, last_status}. A page is rendered with one
// query for the participants and one serializeStatuses call for the last statuses.
import type { Selectable } from "kysely";
import { type AccountEntity, serializeAccount } from "../accounts/serializers.ts";
import type { AccountRow } from "../auth/middleware.ts";
import type { AccountConversationsTable } from "../infra/db/schema.ts";
import type { Services } from "../services.ts";
import { type MastodonStatus, serializeStatuses } from "../statuses/serializer.ts";
import { visibleTo } from "../statuses/visibility.ts";

export type ConversationRow = Selectable<AccountConversationsTable>;

export interface ConversationEntity {
  id: string;
  unread: boolean;
  accounts: AccountEntity[];
  last_status: MastodonStatus | null;
}

/** jsonb arrays come back parsed from both drivers; be lenient with anything else. */
export function participantIds(row: Pick<ConversationRow, "participant_account_ids">): string[] {
  const value: unknown = row.participant_account_ids;
  if (Array.isArray(value)) return value.map(String);
  if (typeof value === "string") {
    try {
      const parsed: unknown = JSON.parse(value);
      return Array.isArray(parsed) ? parsed.map(String) : [];
    } catch {
      return [];
    }
  }
  return [];
}

/**
 * Renders conversations for their owner. One whose last status the viewer can no longer
 * see (deleted, blocked, suspended author) is left out.
 */
export async function serializeConversations(
  services: Services,
  viewer: AccountRow,
  rows: ConversationRow[],
): Promise<ConversationEntity[]> {
  if (rows.length === 0) return [];
  const { db, config } = services;
  const accountIds = [...new Set(rows.flatMap(participantIds))];
  const [accounts, statuses] = await Promise.all([
    accountIds.length
      ? db
          .selectFrom("accounts")
          .selectAll()
          .where("id", "in", accountIds)
          .where("suspended_at", "is", null)
          .execute()
      : Promise.resolve([]),
    db
      .selectFrom("statuses")
      .innerJoin("accounts", "accounts.id", "statuses.account_id")
      .selectAll("statuses")
      .where(
        "statuses.id",
        "in",
        rows.map((r) => r.last_status_id),
      )
      .where("accounts.suspended_at", "is", null)
      .where(visibleTo(viewer.id))
      .execute(),
  ]);
  const accountsById = new Map(accounts.map((a) => [a.id, serializeAccount(a, config)]));
  const rendered = await serializeStatuses(services, viewer, statuses);
  const statusesById = new Map(rendered.map((s) => [s.id, s]));
  const out: ConversationEntity[] = [];
  for (const row of rows) {
    const lastStatus = statusesById.get(row.last_status_id);
    if (!lastStatus) continue;
    const participants = participantIds(row)
      .map((id) => accountsById.get(id))
      .filter((a): a is AccountEntity => a !== undefined);
    out.push({
      id: row.id,
      unread: row.unread,
      // A note to oneself has no one else in it; Mastodon shows the owner then.
      accounts: participants.length ? participants : [serializeAccount(viewer, config)],
      last_status: lastStatus,
    });
  }
  return out;
}
