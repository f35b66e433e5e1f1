// Undo: the sender takes back an earlier activity of its own. Follow and Block are handled
// here; Like and Announce by the content handlers' undo functions (see inbox/index.ts).
import type { InboxContext } from "@fedify/fedify";
import { type Activity, Announce, Block, Follow, Like, type Undo } from "@fedify/vocab";
import type { AccountRow } from "../../src/auth/middleware.ts";
import { unfollowAccount } from "../../src/relationships/follow-service.ts";
import type { FederationContextData } from "../context.ts";
import { onUndoBlock } from "./block.ts";
import { onUndoFollow, remoteSender } from "./follow.ts";

type Ctx = InboxContext<FederationContextData>;

export type UndoHandler<T extends Activity> = (
  ctx: Ctx,
  sender: AccountRow,
  activity: T,
) => Promise<void>;

export interface UndoDelegates {
  like?: UndoHandler<Like>;
  announce?: UndoHandler<Announce>;
  /** Undo by the stored activity id alone; each returns whether it found one. */
  byUri?: ((ctx: Ctx, sender: AccountRow, uri: string) => Promise<boolean>)[];
}

export function undoListener(delegates: UndoDelegates) {
  return async (ctx: Ctx, undo: Undo): Promise<void> => {
    const sender = await remoteSender(ctx, undo);
    if (!sender) return;
    // Many servers' Follow ids cannot be fetched; a stored id settles it without a fetch.
    const objectId = undo.objectId;
    if (objectId && (await undoStoredFollow(ctx, sender, objectId.href))) return;
    for (const undoByUri of delegates.byUri ?? []) {
      if (objectId && (await undoByUri(ctx, sender, objectId.href))) return;
    }
    const object = await undo.getObject(ctx).catch(() => null);
    // Only the sender's own activities can be undone by it.
    if (!object || !("actorId" in object) || (object as Activity).actorId?.href !== sender.uri) {
      return;
    }
    if (object instanceof Follow) await onUndoFollow(ctx, sender, object);
    else if (object instanceof Block) await onUndoBlock(ctx, sender, object);
    else if (object instanceof Like) await delegates.like?.(ctx, sender, object);
    else if (object instanceof Announce) await delegates.announce?.(ctx, sender, object);
  };
}

async function undoStoredFollow(ctx: Ctx, sender: AccountRow, uri: string): Promise<boolean> {
  for (const table of ["follows", "follow_requests"] as const) {
    const row = await ctx.data.db
      .selectFrom(table)
      .select("target_account_id")
      .where("uri", "=", uri)
      .where("account_id", "=", sender.id)
      .executeTakeFirst();
    if (row) {
      await unfollowAccount(ctx.data, sender.id, row.target_account_id);
      return true;
    }
  }
  return false;
}
