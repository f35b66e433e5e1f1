// The Fedify federation of one process: built once per Services (so tests with several
// backends in one process each get their own) and shared by the web app and the workers.
// Queues are started by the worker role only (manuallyStartQueue), so a web-only process
// enqueues deliveries and inbox work but never consumes them.
import { createFederation } from "@fedify/fedify";
import { skipBlockedDomains } from "../src/moderation/domain-policy-queue.ts";
import type { Services } from "../src/services.ts";
import { ROOST_VERSION } from "../src/version.ts";
import { registerActors } from "./actors.ts";
import { registerCollections } from "./collections.ts";
import type { RoostFederation } from "./context.ts";
import { deliveryMeterProvider, skipUnavailableHosts } from "./hosts.ts";
import { registerInbox } from "./inbox/index.ts";
import { loaderFactories } from "./loaders.ts";

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
  const userAgent = `Roost/${ROOST_VERSION} (+${config.publicUrl}/)`;
  const federation = createFederation<Services>({
    kv: services.kv,
    // Each queue retries natively with its own policy (src/infra/queue/types.ts): deliveries
    // 16 tries over about two and a half days, as Mastodon does.
    // Deliveries to hosts unavailable for days are dropped (federation/hosts.ts).
    queue: {
      inbox: queues.inbox,
      // ... and so are deliveries to blocked domains (src/moderation/domain-policy-queue.ts).
      outbox: skipBlockedDomains(services, skipUnavailableHosts(services, queues.outbox)),
      fanout: queues.fanout,
    },
    manuallyStartQueue: true,
    // Behind a proxy the request's own URL may be internal; ids always use the public origin.
    origin: config.publicUrl,
    // Object fetches only believe ActivityPub content types (federation/loaders.ts). Fedify
    // refuses custom loaders together with allowPrivateAddress/userAgent, so those two are
    // given to the loaders and set on the federation below (WebFinger and keys read them).
    ...loaderFactories(services.kv, { allowPrivateAddress: config.allowPrivateAddress, userAgent }),
    // Delivery outcomes per host (successes included) come through Fedify's metrics.
    meterProvider: deliveryMeterProvider(services),
  });
  Object.assign(federation, { allowPrivateAddress: config.allowPrivateAddress, userAgent });
  registerActors(federation);
  registerCollections(federation);
  registerInbox(federation);
  return federation;
}

/** A Fedify context outside a request (workers, services): ids, lookups and delivery. */
export function federationContext(services: Services) {
  return getFederation(services).createContext(new URL(services.config.publicUrl), services);
}
