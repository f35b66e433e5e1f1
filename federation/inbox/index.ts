// The inbox: one line per activity type, each handled in its own file. Served at the
// shared inbox (/inbox) and per actor (/users/{identifier}/inbox).
import {
  Accept,
  Add,
  Announce,
  Block,
  Create,
  Delete,
  EmojiReact,
  Flag,
  Follow,
  Like,
  Move,
  Reject,
  Remove,
  Undo,
  Update,
} from "@fedify/vocab";
import { log } from "../../src/infra/logging.ts";
import type { RoostFederation } from "../context.ts";
import { onAdd } from "./add.ts";
import { onAnnounce, undoAnnounce, undoAnnounceByUri } from "./announce.ts";
import { onBlock } from "./block.ts";
import { onCreate } from "./create.ts";
import { onDelete } from "./delete.ts";
import { onFlag } from "./flag.ts";
import { onAccept, onFollow, onReject } from "./follow.ts";
import { onEmojiReact, onLike, undoFavouriteByUri, undoLike } from "./like.ts";
import { onMove } from "./move.ts";
import { onRemove } from "./remove.ts";
import { undoListener } from "./undo.ts";
import { onUpdate } from "./update.ts";

const logger = log("federation");

export function registerInbox(federation: RoostFederation): void {
  federation
    .setInboxListeners("/users/{identifier}/inbox", "/inbox")
    .on(Follow, onFollow)
    .on(Accept, onAccept)
    .on(Reject, onReject)
    .on(Block, onBlock)
    .on(Create, onCreate)
    .on(Update, onUpdate)
    .on(Delete, onDelete)
    .on(Like, onLike)
    .on(EmojiReact, onEmojiReact)
    .on(Announce, onAnnounce)
    .on(Flag, onFlag)
    .on(Move, onMove)
    .on(Add, onAdd)
    .on(Remove, onRemove)
    .on(
      Undo,
      undoListener({
        like: undoLike,
        announce: undoAnnounce,
        byUri: [undoFavouriteByUri, undoAnnounceByUri],
      }),
    )
    .onError((_ctx, error) => {
      logger.warning("Inbox activity failed: {error}", { error });
    });
}
