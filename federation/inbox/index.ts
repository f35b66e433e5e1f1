// The inbox: one line per activity type, each handled in its own file. Served at the
// shared inbox (/inbox) and per actor (/users/{identifier}/inbox).
import {
  Accept,
  Announce,
  Block,
  Create,
  Delete,
  EmojiReact,
  Follow,
  Like,
  Reject,
  Undo,
  Update,
} from "@fedify/vocab";
import { log } from "../../src/infra/logging.ts";
import type { RoostFederation } from "../context.ts";
import { onAnnounce, undoAnnounce, undoAnnounceByUri } from "./announce.ts";
import { onBlock } from "./block.ts";
import { onCreate } from "./create.ts";
import { onDelete } from "./delete.ts";
import { onAccept, onFollow, onReject } from "./follow.ts";
import { onEmojiReact, onLike, undoFavouriteByUri, undoLike } from "./like.ts";
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
