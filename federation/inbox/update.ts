// Update: the sender edited one of its posts, or its profile. A post edit keeps the
// history (status_edits: the original version first, as Mastodon does) and is applied
// once: an Update not newer than the last edit changes nothing.

import type { InboxContext } from "@fedify/fedify";
import { isActor, Question, type Update } from "@fedify/vocab";
import type { AccountRow } from "../../src/auth/middleware.ts";
import { emitEvent } from "../../src/events/emit.ts";
import { newId } from "../../src/infra/ids.ts";
import { upsertRemotePoll } from "../../src/polls/remote.ts";
import type { FederationContextData } from "../context.ts";
import { isStatusObject, readStatusFields, type StatusObject } from "../objects/remote-content.ts";
import {
  findStatusByUri,
  type StatusRow,
  upsertRemoteStatus,
  writeMentionsAndTags,
} from "../objects/remote-status.ts";
import { rememberEmbeddedJson } from "../objects/source-json.ts";
import { upsertRemoteActor } from "../remote-accounts.ts";
import { contentSender } from "./sender.ts";

type Ctx = InboxContext<FederationContextData>;

export async function onUpdate(ctx: Ctx, update: Update): Promise<void> {
  const actorId = update.actorId;
  if (!actorId) return;
  const object = await update.getObject(ctx).catch(() => null);
  if (object) rememberEmbeddedJson(ctx, object);
  if (!object?.id) return;
  if (isActor(object)) {
    // A profile update: only an actor's own.
    if (object.id.href !== actorId.href) return;
    const account = await upsertRemoteActor(ctx.data, object, ctx);
    await emitEvent(ctx.data, "account.updated", { accountId: account.id });
    return;
  }
  if (!isStatusObject(object)) return;
  if (object.id.origin !== actorId.origin) return;
  if (!object.attributionIds.some((u) => u.href === actorId.href)) return;
  const author = await contentSender(ctx, update);
  if (!author) return;
  const audience = { to: update.toIds, cc: update.ccIds };
  const existing = await findStatusByUri(ctx.data, object.id.href);
  if (!existing) {
    // An edit of a post we never received: store it as it is now.
    await upsertRemoteStatus(ctx, ctx.data, object, { author, audience });
    return;
  }
  if (existing.account_id !== author.id || existing.local) return;
  // Poll servers send an Update whenever the counts change, not only on edits.
  if (object instanceof Question) await upsertRemotePoll(ctx.data, existing, object);
  await applyEdit(ctx, existing, object, author, audience);
}

async function applyEdit(
  ctx: Ctx,
  status: StatusRow,
  object: StatusObject,
  author: AccountRow,
  audience: { to: URL[]; cc: URL[] },
): Promise<void> {
  const fields = await readStatusFields(object, author, audience);
  if (!fields) return;
  const editedAt = fields.updated ?? new Date();
  // Replayed or out-of-order Updates: the newer version has already been applied.
  if (status.edited_at && editedAt.getTime() <= status.edited_at.getTime()) return;
  const unchanged =
    fields.content === status.content &&
    fields.spoilerText === status.spoiler_text &&
    fields.sensitive === status.sensitive;
  // Without an edit date a repeated identical Update must not add history.
  if (unchanged && !fields.updated) return;
  const applied = await ctx.data.db.transaction().execute(async (trx) => {
    // Re-read under a row lock: two deliveries of one Update must not both apply.
    const current = await trx
      .selectFrom("statuses")
      .select(["edited_at"])
      .where("id", "=", status.id)
      .forUpdate()
      .executeTakeFirst();
    if (!current) return false;
    if (current.edited_at && editedAt.getTime() <= current.edited_at.getTime()) return false;
    const previous = await trx
      .selectFrom("status_edits")
      .select("id")
      .where("status_id", "=", status.id)
      .limit(1)
      .executeTakeFirst();
    const snapshot = {
      status_id: status.id,
      account_id: author.id,
      media: JSON.stringify([]),
    };
    if (!previous) {
      // The first edit also records the original version, for the history view.
      await trx
        .insertInto("status_edits")
        .values({
          ...snapshot,
          id: newId(status.created_at),
          content: status.content,
          spoiler_text: status.spoiler_text,
          sensitive: status.sensitive,
          created_at: status.created_at,
        })
        .execute();
    }
    await trx
      .insertInto("status_edits")
      .values({
        ...snapshot,
        id: newId(editedAt),
        content: fields.content,
        spoiler_text: fields.spoilerText,
        sensitive: fields.sensitive,
        created_at: editedAt,
      })
      .execute();
    await trx
      .updateTable("statuses")
      .set({
        content: fields.content,
        spoiler_text: fields.spoilerText,
        sensitive: fields.sensitive,
        language: fields.language,
        url: fields.url ?? status.url,
        edited_at: editedAt,
        updated_at: new Date(),
      })
      .where("id", "=", status.id)
      .execute();
    await writeMentionsAndTags(trx, status.id, fields, status.created_at);
    return true;
  });
  if (applied) await emitEvent(ctx.data, "status.updated", { statusId: status.id });
}
