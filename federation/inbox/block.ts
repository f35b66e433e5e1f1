// Block and Undo(Block) from a remote actor against a local account. A block ends follows
// in both directions; the row keeps the blocker's posts and the local account apart in
// the visibility rules (src/statuses/visibility.ts).
import type { InboxContext } from "@fedify/fedify";
import type { Block } from "@fedify/vocab";
import type { AccountRow } from "../../src/auth/middleware.ts";
import { emitEvent } from "../../src/events/emit.ts";
import { newId } from "../../src/infra/ids.ts";
import { deleteFollow } from "../../src/relationships/follow-service.ts";
import type { FederationContextData } from "../context.ts";
import { localAccountOf, remoteSender } from "./follow.ts";

type Ctx = InboxContext<FederationContextData>;

export async function onBlock(ctx: Ctx, block: Block): Promise<void> {
  const target = await localAccountOf(ctx, block.objectId);
  if (!target) return;
  const blocker = await remoteSender(ctx, block);
  if (!blocker) return;
  const services = ctx.data;
  const { created, removed } = await services.db.transaction().execute(async (trx) => {
    const inserted = await trx
      .insertInto("blocks")
      .values({
        id: newId(),
        account_id: blocker.id,
        target_account_id: target.id,
        uri: block.id?.href ?? null,
      })
      .onConflict((oc) => oc.columns(["account_id", "target_account_id"]).doNothing())
      .returning("id")
      .executeTakeFirst();
    const removed: { accountId: string; targetAccountId: string; uri: string | null }[] = [];
    for (const [a, b] of [
      [blocker.id, target.id],
      [target.id, blocker.id],
    ] as const) {
      const row = await deleteFollow(trx, a, b);
      if (row) removed.push({ accountId: a, targetAccountId: b, uri: row.uri });
      const request = await trx
        .deleteFrom("follow_requests")
        .where("account_id", "=", a)
        .where("target_account_id", "=", b)
        .returning("uri")
        .executeTakeFirst();
      if (request) removed.push({ accountId: a, targetAccountId: b, uri: request.uri });
    }
    return { created: inserted !== undefined, removed };
  });
  for (const payload of removed) await emitEvent(services, "follow.removed", payload);
  if (created) {
    await emitEvent(services, "block.created", {
      accountId: blocker.id,
      targetAccountId: target.id,
      uri: block.id?.href ?? null,
    });
  }
}

/** Undo(Block): `blocker` (remote) unblocks the local account the block named. */
export async function onUndoBlock(ctx: Ctx, blocker: AccountRow, block: Block): Promise<void> {
  const target = await localAccountOf(ctx, block.objectId);
  let query = ctx.data.db.deleteFrom("blocks").where("account_id", "=", blocker.id);
  if (target) query = query.where("target_account_id", "=", target.id);
  else if (block.id) query = query.where("uri", "=", block.id.href);
  else return;
  const removed = await query.returning(["target_account_id", "uri"]).executeTakeFirst();
  if (removed) {
    await emitEvent(ctx.data, "block.removed", {
      accountId: blocker.id,
      targetAccountId: removed.target_account_id,
      uri: removed.uri,
    });
  }
}
