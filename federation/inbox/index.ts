// The inbox: one line per activity type, each handled in its own file. Served at the
// shared inbox (/inbox) and per actor (/users/{identifier}/inbox).
import { Accept, Block, Follow, Reject, Undo } from "@fedify/vocab";
import { log } from "../../src/infra/logging.ts";
import type { RoostFederation } from "../context.ts";
import { onBlock } from "./block.ts";
import { onAccept, onFollow, onReject } from "./follow.ts";
import { undoListener } from "./undo.ts";

const logger = log("federation");

export function registerInbox(federation: RoostFederation): void {
  federation
    .setInboxListeners("/users/{identifier}/inbox", "/inbox")
    .on(Follow, onFollow)
    .on(Accept, onAccept)
    .on(Reject, onReject)
    .on(Block, onBlock)
    .on(Undo, undoListener({}))
    .onError((_ctx, error) => {
      logger.warning("Inbox activity failed: {error}", { error });
    });
}
