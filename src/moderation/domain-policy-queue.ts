// Delivery under domain blocks: the outbox queue, minus messages to suspended domains (or,
// in LIMITED_FEDERATION_MODE, to domains not allowed). Checked when a delivery is queued
// and again when it comes up, so a block also stops deliveries already waiting or retrying.
import type { MessageQueue } from "@fedify/fedify";
import type { Services } from "../services.ts";
import { federationPolicy } from "./domain-policy.ts";

async function refused(services: Services, message: unknown): Promise<boolean> {
  const m = message as { type?: unknown; inbox?: unknown } | null;
  if (m?.type !== "outbox" || typeof m.inbox !== "string") return false;
  let host: URL;
  try {
    host = new URL(m.inbox);
  } catch {
    return false;
  }
  return (await federationPolicy(services, host)).suspended;
}

export function skipBlockedDomains(services: Services, queue: MessageQueue): MessageQueue {
  const wrapped: MessageQueue = {
    nativeRetrial: queue.nativeRetrial,
    enqueue: async (message, options) => {
      if (!(await refused(services, message))) await queue.enqueue(message, options);
    },
    listen: (handler, options) =>
      queue.listen(async (message) => {
        if (!(await refused(services, message))) await handler(message);
      }, options),
  };
  if (queue.enqueueMany) {
    const many = queue.enqueueMany.bind(queue);
    wrapped.enqueueMany = async (messages, options) => {
      const verdicts = await Promise.all(messages.map((m) => refused(services, m)));
      const kept = messages.filter((_, i) => !verdicts[i]);
      if (kept.length > 0) await many(kept, options);
    };
  }
  if (queue.getDepth) wrapped.getDepth = queue.getDepth.bind(queue);
  return wrapped;
}
