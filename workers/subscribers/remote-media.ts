// REMOTE_MEDIA_CACHE: a received remote post's attachments are queued for
// caching once the post is stored (src/media/remote-cache.ts); local posts have none.
import type { Subscriber } from "../../src/events/types.ts";
import { enqueueRemoteAttachments } from "../../src/media/remote-cache.ts";

export const remoteMediaSubscriber: Subscriber = {
  "status.created": async (services, { statusId }) => {
    await enqueueRemoteAttachments(services, statusId);
  },
};
