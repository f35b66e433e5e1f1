// Stores a received post's attachments as media rows pointing at their remote URLs
// (nothing is downloaded: the API shows remote_url, as Mastodon does for uncached media).
import type { Transaction } from "kysely";
import type { Database } from "../../src/infra/db/schema.ts";
import { newId } from "../../src/infra/ids.ts";
import { domainPolicy } from "../../src/moderation/domain-policy.ts";
import { asRejectedMedia, type RemoteAttachment } from "./remote-media.ts";

export async function writeRemoteAttachments(
  trx: Transaction<Database>,
  statusId: string,
  accountId: string,
  attachments: RemoteAttachment[],
): Promise<void> {
  if (attachments.length === 0) return;
  const author = await trx
    .selectFrom("accounts")
    .select("domain")
    .where("id", "=", accountId)
    .executeTakeFirst();
  if (author?.domain && (await domainPolicy(trx, author.domain)).rejectMedia) {
    attachments = asRejectedMedia(attachments);
  }
  await trx
    .insertInto("media_attachments")
    .values(
      attachments.map((a, position) => ({
        id: newId(),
        account_id: accountId,
        status_id: statusId,
        position,
        type: a.type,
        content_type: a.contentType,
        remote_url: a.url,
        description: a.description,
        blurhash: a.blurhash,
        meta: JSON.stringify(a.meta),
      })),
    )
    .execute();
}
