// The Fedify federation of one process: built once per Services (so tests with several
// backends in one process each get their own) and shared by the web app and the workers.
// Queues are started by the worker role only (manuallyStartQueue), so a web-only process
// enqueues deliveries and inbox work but never consumes them.
import { createFederation } from "@fedify/fedify";
import type { Services } from "../src/services.ts";
import { ROOST_VERSION } from "../src/version.ts";
import { registerActors } from "./actors.ts";
import { registerCollections } from "./collections.ts";
import type { RoostFederation } from "./context.ts";
import { registerInbox } from "./inbox/index.ts";

const federations = new WeakMap<Services, RoostFederation>();

export function getFederation(services: Services): RoostFederation {
  let federation = federations.get(services);
  if (!federation) {
    federation = buildFederation(services);
    federations.set(services, federation);
  }
  return federation;
}

function buildFederation(services: Services): RoostFederation {
  const { config, queues } = services;
  const federation = createFederation<Services>({
    kv: services.kv,
    // Each queue retries natively with its own policy (src/infra/queue/types.ts): deliveries
    // 16 tries over about two and a half days, as Mastodon does.
    queue: { inbox: queues.inbox, outbox: queues.outbox, fanout: queues.fanout },
    manuallyStartQueue: true,
    // Behind a proxy the request's own URL may be internal; ids always use the public origin.
    origin: config.publicUrl,
    allowPrivateAddress: config.allowPrivateAddress,
    userAgent: `Roost/${ROOST_VERSION} (+${config.publicUrl}/)`,
  });
  registerActors(federation);
  registerCollections(federation);
  registerInbox(federation);
  return federation;
}

/** A Fedify context outside a request (workers, services): ids, lookups and delivery. */
export function federationContext(services: Services) {
  return getFederation(services).createContext(new URL(services.config.publicUrl), services);
}
