// Reading and changing one's conversations, and the direct timeline. Lists are paged by the
// conversations' last status id, as Mastodon does, so a conversation with a new message
// moves to the top and `min_id` catches up on what changed.
import type { AccountRow } from "../auth/middleware.ts";
import { ApiError } from "../http/errors.ts";
import type { PageParams } from "../http/pagination.ts";
import type { Services } from "../services.ts";
import { type MastodonStatus, serializeStatuses } from "../statuses/serializer.ts";
import { notMutedBy, visibleTo } from "../statuses/visibility.ts";
import { applyPage } from "../timelines/paging.ts";
import {
  type ConversationEntity,
  type ConversationRow,
  serializeConversations,
} from "./serializer.ts";

export interface ConversationPage {
  conversations: ConversationEntity[];
  /** Paging cursors: last status ids of the first and last conversation on the page. */
  newest?: string;
  oldest?: string;
}

export async function listConversations(
  services: Services,
  viewer: AccountRow,
  page: PageParams,
): Promise<ConversationPage> {
  const base = services.db
    .selectFrom("account_conversations")
    .selectAll("account_conversations")
    .where("account_conversations.account_id", "=", viewer.id);
  const { query, reverse } = applyPage(base, "account_conversations.last_status_id", page);
  const rows = await query.execute();
  const ordered = reverse ? rows.reverse() : rows;
  return {
    conversations: await serializeConversations(services, viewer, ordered),
    newest: ordered[0]?.last_status_id,
    oldest: ordered.at(-1)?.last_status_id,
  };
}

async function ownConversation(
  services: Services,
  viewer: AccountRow,
  id: string,
): Promise<ConversationRow> {
  if (!/^\d{1,20}$/.test(id)) throw ApiError.notFound();
  const row = await services.db
    .selectFrom("account_conversations")
    .selectAll()
    .where("id", "=", id)
    .where("account_id", "=", viewer.id)
    .executeTakeFirst();
  if (!row) throw ApiError.notFound();
  return row;
}

export async function markConversationRead(
  services: Services,
  viewer: AccountRow,
  id: string,
): Promise<ConversationEntity> {
  await ownConversation(services, viewer, id);
  const row = await services.db
    .updateTable("account_conversations")
    .set({ unread: false })
    .where("id", "=", id)
    .where("account_id", "=", viewer.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  const [entity] = await serializeConversations(services, viewer, [row]);
  if (!entity) throw ApiError.notFound();
  return entity;
}

/** Removes the conversation from the list; the next message in the thread brings it back. */
export async function removeConversation(
  services: Services,
  viewer: AccountRow,
  id: string,
): Promise<void> {
  await ownConversation(services, viewer, id);
  await services.db
    .deleteFrom("account_conversations")
    .where("id", "=", id)
    .where("account_id", "=", viewer.id)
    .execute();
}

export interface DirectPage {
  statuses: MastodonStatus[];
  newest?: string;
  oldest?: string;
}

/** Direct statuses the viewer wrote or was addressed in, newest first (timelines/direct). */
export async function directTimeline(
  services: Services,
  viewer: AccountRow,
  page: PageParams,
): Promise<DirectPage> {
  const base = services.db
    .selectFrom("statuses")
    .innerJoin("accounts", "accounts.id", "statuses.account_id")
    .selectAll("statuses")
    .where("statuses.visibility", "=", "direct")
    .where("statuses.reblog_of_id", "is", null)
    .where("accounts.suspended_at", "is", null)
    .where((eb) =>
      eb.or([
        eb("statuses.account_id", "=", viewer.id),
        eb.exists(
          eb
            .selectFrom("mentions")
            .select("mentions.status_id")
            .whereRef("mentions.status_id", "=", "statuses.id")
            .where("mentions.account_id", "=", viewer.id),
        ),
      ]),
    )
    .where(visibleTo(viewer.id))
    .where(notMutedBy(viewer.id));
  const { query, reverse } = applyPage(base, "statuses.id", page);
  const rows = await query.execute();
  const ordered = reverse ? rows.reverse() : rows;
  return {
    statuses: await serializeStatuses(services, viewer, ordered),
    newest: ordered[0]?.id,
    oldest: ordered.at(-1)?.id,
  };
}
