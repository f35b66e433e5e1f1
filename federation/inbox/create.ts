// Create: a remote post (Note, Question, Article, Page, Video, Audio, Event) arrives.
// The post must be the sender's own: its id on the sender's origin and the sender among
// its attributions. Fedify re-fetches an embedded object whose id is on another origin
// than the activity, so a forged embedded copy never gets this far.

import type { InboxContext } from "@fedify/fedify";
import type { Create } from "@fedify/vocab";
import { log } from "../../src/infra/logging.ts";
import { receivePollVote } from "../../src/polls/activitypub.ts";
import type { FederationContextData } from "../context.ts";
import { isStatusObject } from "../objects/remote-content.ts";
import { upsertRemoteStatus } from "../objects/remote-status.ts";
import { rememberEmbeddedJson } from "../objects/source-json.ts";
import { contentSender } from "./sender.ts";

type Ctx = InboxContext<FederationContextData>;
const logger = log("federation");

export async function onCreate(ctx: Ctx, create: Create): Promise<void> {
  const actorId = create.actorId;
  if (!actorId) return;
  const object = await create.getObject(ctx).catch(() => null);
  if (object) rememberEmbeddedJson(ctx, object);
  if (!object?.id || !isStatusObject(object)) return;
  if (object.id.origin !== actorId.origin) {
    logger.info("Refused Create of {id} by {actor}: another origin", {
      id: object.id.href,
      actor: actorId.href,
    });
    return;
  }
  if (!object.attributionIds.some((u) => u.href === actorId.href)) {
    logger.info("Refused Create of {id} by {actor}: attributed to someone else", {
      id: object.id.href,
      actor: actorId.href,
    });
    return;
  }
  const author = await contentSender(ctx, create);
  if (!author) return;
  // A vote on one of our polls is a Note too; it is counted, not kept as a reply.
  if (await receivePollVote(ctx.data, object, author)) return;
  await upsertRemoteStatus(ctx, ctx.data, object, {
    author,
    audience: { to: create.toIds, cc: create.ccIds },
  });
}
