// Streaming a status event straight from the process that committed it, instead of
// through a job. The `jobs` queue runs every subscriber's job in one pool of WORKER_CONCURRENCY
// slots, first come first served; a few slow jobs of earlier posts (federation signing an
// activity takes seconds on a loaded machine) held every slot and kept the streaming job
// waiting for seconds (docs/benchmarks.md, "Streaming"). Publishing here skips that hop.
//
// Exactly once, as far as a process can die:
// - emitEvent also enqueues the streaming job, delayed by FALLBACK_DELAY_MS and carrying the
//   same key. The job is durable, so an event whose process died before publishing is still
//   published, only later;
// - after publishing, the direct path records the key (KV, an hour); the fallback job finds
//   it and does nothing, which is the usual case;
// - if both publish (the process died between publishing and recording, or the direct path
//   outlasted the delay), the messages carry the same key and each hub writes a key once
//   (src/streaming/delivered.ts), so no client hears it twice.
import type { DomainEvents, EventName } from "../events/types.ts";
import { log } from "../infra/logging.ts";
import { durationOf } from "../infra/temporal.ts";
import type { Services } from "../services.ts";
import { streamStatusCreated, streamStatusDeleted, streamStatusUpdated } from "./events.ts";

const logger = log("streaming");

/** How long the queued fallback waits before checking whether the direct path published. */
export const FALLBACK_DELAY_MS = 10_000;

/** How long the key of a published event is remembered for its fallback job. */
const PUBLISHED_TTL = durationOf(60 * 60_000);

/** The events published directly, with their publishers; the rest stay queued. */
const direct = {
  "status.created": streamStatusCreated,
  "status.updated": streamStatusUpdated,
  "status.deleted": streamStatusDeleted,
} satisfies { [E in EventName]?: (s: Services, e: DomainEvents[E], key?: string) => unknown };

type DirectEvent = keyof typeof direct;

export function streamsDirectly(name: EventName): name is DirectEvent {
  return Object.hasOwn(direct, name);
}

/** The payload of a fallback job: the event plus the key its messages carry. */
export type Keyed<P> = P & { streamKey?: string };

const publishedKey = (key: string) => ["streaming", "published", key] as const;

// Direct publications under way, per Services, so that shutdown and tests can wait for them.
const pending = new WeakMap<Services, Set<Promise<void>>>();

/**
 * Publishes the event now, without waiting (the caller's request is answered meanwhile).
 * Call after the commit, once the fallback job is enqueued or being enqueued.
 */
export function publishDirectly<E extends DirectEvent>(
  services: Services,
  name: E,
  payload: DomainEvents[E],
  key: string,
): void {
  const publish = direct[name] as (s: Services, e: DomainEvents[E], key: string) => Promise<void>;
  const run = (async () => {
    try {
      await publish(services, payload, key);
      await services.kv.set(publishedKey(key), true, { ttl: PUBLISHED_TTL });
    } catch (error) {
      // The fallback job publishes it in FALLBACK_DELAY_MS.
      logger.warn("Direct streaming of {name} failed, the queued job will retry: {error}", {
        name,
        error,
      });
    }
  })();
  let set = pending.get(services);
  if (!set) {
    set = new Set();
    pending.set(services, set);
  }
  set.add(run);
  void run.finally(() => set.delete(run));
}

/** Waits for the direct publications started so far (tests, shutdown). */
export async function directPublicationsSettled(services: Services): Promise<void> {
  await Promise.allSettled([...(pending.get(services) ?? [])]);
}

/**
 * The queued job's side: publishes unless the direct path already did. Jobs without a key
 * (enqueued by an older version, or for events not published directly) always publish.
 */
export function fallbackFor<E extends DirectEvent>(
  name: E,
): (services: Services, payload: Keyed<DomainEvents[E]>) => Promise<void> {
  const publish = direct[name] as (s: Services, e: DomainEvents[E], key?: string) => Promise<void>;
  return async (services, payload) => {
    const key = payload.streamKey;
    if (key && (await services.kv.get(publishedKey(key))) === true) return;
    await publish(services, payload, key);
  };
}
