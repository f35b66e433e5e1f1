// Keeping conversations (direct messages as chat) up to date as direct statuses come and
// go. Each local account taking part in a direct thread has one row per thread, as
// Mastodon's account_conversations: the other participants, the newest status, and whether
// it is unread. Run by the conversations subscriber; every step is idempotent.
import { sql } from "kysely";
import type { DomainEvents } from "../events/types.ts";
import { newId } from "../infra/ids.ts";
import type { Services } from "../services.ts";
import type { StatusRow } from "../statuses/serializer.ts";
import { notMutedBy, visibleTo } from "../statuses/visibility.ts";
import { publishToAccount } from "../streaming/publish.ts";
import { type ConversationRow, serializeConversations } from "./serializer.ts";

/** How far up a reply chain to look for the thread of a status stored without one. */
const MAX_THREAD_WALK = 32;

/**
 * The thread a status belongs to. Local statuses carry conversation_id; statuses received
 * from other servers may not, so the reply chain is followed up to a known thread (or its
 * top), which keeps a remote reply in the same conversation as the local message it answers.
 */
export async function threadKeyOf(
  services: Services,
  status: Pick<StatusRow, "id" | "conversation_id" | "in_reply_to_id">,
): Promise<string> {
  if (status.conversation_id) return status.conversation_id;
  let current = status;
  for (let i = 0; i < MAX_THREAD_WALK && current.in_reply_to_id; i++) {
    const parent = await services.db
      .selectFrom("statuses")
      .select(["id", "conversation_id", "in_reply_to_id"])
      .where("id", "=", current.in_reply_to_id)
      .executeTakeFirst();
    if (!parent) break;
    if (parent.conversation_id) return parent.conversation_id;
    current = parent;
  }
  return current.id;
}

/** A new direct status: add it to the conversation of each local participant. */
export async function addDirectStatus(services: Services, statusId: string): Promise<void> {
  const { db } = services;
  const status = await db
    .selectFrom("statuses")
    .selectAll()
    .where("id", "=", statusId)
    .executeTakeFirst();
  if (status?.visibility !== "direct" || status.reblog_of_id) return;

  const mentioned = await db
    .selectFrom("mentions")
    .select("account_id")
    .where("status_id", "=", status.id)
    .execute();
  const everyone = [...new Set([status.account_id, ...mentioned.map((m) => m.account_id)])];

  // Local participants who may see it: blocks hide it, and like Mastodon (whose
  // conversations are fed by notifications) a muted author starts no conversation.
  const candidates = await db
    .selectFrom("accounts")
    .select("accounts.id")
    .where("accounts.id", "in", everyone)
    .where("accounts.domain", "is", null)
    .where("accounts.suspended_at", "is", null)
    .execute();
  const threadKey = await threadKeyOf(services, status);
  const updated: ConversationRow[] = [];
  for (const { id: accountId } of candidates) {
    if (accountId !== status.account_id && !(await mayReceive(services, accountId, status.id))) {
      continue;
    }
    const others = everyone.filter((id) => id !== accountId).sort();
    const unread = accountId !== status.account_id;
    const row = await sql<ConversationRow>`
      insert into account_conversations
        (id, account_id, conversation_id, participant_account_ids, last_status_id, unread)
      values (${newId()}, ${accountId}, ${threadKey}, ${JSON.stringify(others)}::jsonb,
        ${status.id}, ${unread})
      on conflict (account_id, conversation_id) do update set
        participant_account_ids = (
          select coalesce(jsonb_agg(distinct p.v order by p.v), '[]'::jsonb)
          from jsonb_array_elements_text(
            account_conversations.participant_account_ids || excluded.participant_account_ids
          ) as p(v)),
        -- A retried job (same status) must not mark unread again what was read meanwhile.
        unread = case when excluded.last_status_id > account_conversations.last_status_id
          then excluded.unread else account_conversations.unread end,
        last_status_id = greatest(account_conversations.last_status_id, excluded.last_status_id),
        updated_at = now()
      returning *`.execute(db);
    if (row.rows[0]) updated.push(row.rows[0]);
  }
  await publishConversations(services, updated);
}

async function mayReceive(services: Services, accountId: string, statusId: string) {
  const row = await services.db
    .selectFrom("statuses")
    .select("statuses.id")
    .where("statuses.id", "=", statusId)
    .where(visibleTo(accountId))
    .where(notMutedBy(accountId))
    .executeTakeFirst();
  return row !== undefined;
}

/** Sends each changed conversation, rendered for its owner, to the owner's `direct` stream. */
async function publishConversations(services: Services, rows: ConversationRow[]): Promise<void> {
  for (const row of rows) {
    const viewer = await services.db
      .selectFrom("accounts")
      .selectAll()
      .where("id", "=", row.account_id)
      .executeTakeFirst();
    if (!viewer) continue;
    const [entity] = await serializeConversations(services, viewer, [row]);
    if (entity?.last_status) {
      await publishToAccount(services, row.account_id, ["direct"], "conversation", entity);
    }
  }
}

/**
 * A deleted status: conversations whose newest status it was fall back to the newest
 * remaining direct status of the thread that their owner may see, or disappear when there
 * is none. Other conversations are unchanged (the row never named older statuses).
 */
export async function removeDirectStatus(
  services: Services,
  event: DomainEvents["status.deleted"],
): Promise<void> {
  if (event.visibility !== "direct" || event.reblogOfId) return;
  const { db } = services;
  const rows = await db
    .selectFrom("account_conversations")
    .selectAll()
    .where("last_status_id", "=", event.statusId)
    .execute();
  for (const row of rows) {
    const previous = await db
      .selectFrom("statuses")
      .select("statuses.id")
      .where((eb) =>
        eb.or([
          eb("statuses.conversation_id", "=", row.conversation_id),
          eb("statuses.id", "=", row.conversation_id),
        ]),
      )
      .where("statuses.visibility", "=", "direct")
      .where("statuses.id", "<>", event.statusId)
      .where(visibleTo(row.account_id))
      .orderBy("statuses.id", "desc")
      .limit(1)
      .executeTakeFirst();
    if (previous) {
      await db
        .updateTable("account_conversations")
        .set({ last_status_id: previous.id, updated_at: new Date() })
        .where("id", "=", row.id)
        .where("last_status_id", "=", event.statusId)
        .execute();
    } else {
      await db
        .deleteFrom("account_conversations")
        .where("id", "=", row.id)
        .where("last_status_id", "=", event.statusId)
        .execute();
    }
  }
}
