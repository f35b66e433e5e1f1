// What posting (status-service.ts) and editing (edit-status.ts) a status share: the length
// and poll-with-media checks, resolving the accounts a text mentions, and saving its
// hashtags; and which visibilities count for replies_count, which deleting
// (delete-status.ts) undoes with the same rule.
import { sql, type Transaction } from "kysely";
import { findAccountByHandle } from "../accounts/resolve.ts";
import type { AccountRow } from "../auth/middleware.ts";
import { ApiError } from "../http/errors.ts";
import type { Database, Visibility } from "../infra/db/schema.ts";
import { newId } from "../infra/ids.ts";
import { getInstanceSettings } from "../instance/settings.ts";
import type { Services } from "../services.ts";
import { countCharacters } from "../text/count.ts";
import { extractHashtags, extractMentions } from "../text/extract.ts";
import type { MentionTarget } from "../text/render.ts";

type Trx = Transaction<Database>;

export const POLL_WITH_MEDIA =
  "Validation failed: A poll cannot be combined with media attachments";

/** Public and unlisted posts count for replies_count, as Mastodon's "distributable". */
export function distributable(v: Visibility): boolean {
  return v === "public" || v === "unlisted";
}

export async function checkLength(
  services: Services,
  text: string,
  spoiler: string,
): Promise<void> {
  const { maxStatusChars } = await getInstanceSettings(services.db, services.config);
  if (countCharacters(text) + countCharacters(spoiler) > maxStatusChars) {
    throw ApiError.unprocessable(
      `Validation failed: Text character limit of ${maxStatusChars} exceeded`,
    );
  }
}

/** The accounts `text` mentions that exist or can be resolved; unknown ones are skipped. */
export async function resolveMentions(services: Services, text: string): Promise<AccountRow[]> {
  const found = new Map<string, AccountRow>();
  // A bound on lookups: each unknown remote handle may cost a WebFinger request.
  for (const m of extractMentions(text).slice(0, 50)) {
    // A handle that cannot be resolved (unknown, or its server unreachable) stays plain
    // text, as in Mastodon; it must not fail the post.
    const account = await findAccountByHandle(services, m.username, m.domain, {
      resolve: true,
    }).catch(() => undefined);
    if (account && account.suspended_at === null) found.set(account.id, account);
  }
  return [...found.values()];
}

export function mentionTargets(accounts: AccountRow[]): MentionTarget[] {
  return accounts.map((a) => ({ username: a.username, domain: a.domain, url: a.url ?? a.uri }));
}

export async function saveTags(trx: Trx, statusId: string, text: string): Promise<void> {
  const names = extractHashtags(text).slice(0, 50);
  const now = new Date();
  for (const display of names) {
    const tag = await trx
      .insertInto("tags")
      .values({
        id: newId(),
        name: display.toLowerCase(),
        display_name: display,
        last_status_at: now,
      })
      .onConflict((oc) => oc.expression(sql`lower(name)`).doUpdateSet({ last_status_at: now }))
      .returning("id")
      .executeTakeFirstOrThrow();
    await trx
      .insertInto("status_tags")
      .values({ status_id: statusId, tag_id: tag.id })
      .onConflict((oc) => oc.doNothing())
      .execute();
  }
}
