// Emitting an event enqueues one job per subscriber that handles it. Call only after the
// transaction that made the change has committed: a rolled-back change must not surface.
// Status events are also streamed at once from this process (src/streaming/direct.ts): their
// streaming job is only a delayed fallback, so a backed-up queue cannot hold them up.
import { subscribers } from "../../workers/subscribers/index.ts";
import { newId } from "../infra/ids.ts";
import { durationOf } from "../infra/temporal.ts";
import type { Services } from "../services.ts";
import { FALLBACK_DELAY_MS, publishDirectly, streamsDirectly } from "../streaming/direct.ts";
import type { DomainEvents, EventName } from "./types.ts";

let routes: Map<EventName, string[]> | undefined;

/** Which subscribers handle an event; built on first use (the table imports services, which emit). */
function subscribersOf(name: EventName): string[] {
  if (!routes) {
    routes = new Map();
    for (const [subscriber, handlers] of Object.entries(subscribers)) {
      for (const event of Object.keys(handlers) as EventName[]) {
        routes.set(event, [...(routes.get(event) ?? []), subscriber]);
      }
    }
  }
  return routes.get(name) ?? [];
}

export async function emitEvent<E extends EventName>(
  services: Services,
  name: E,
  payload: DomainEvents[E],
): Promise<void> {
  const all = subscribersOf(name);
  const queue = services.queues.jobs;
  const enqueued: Promise<void>[] = [];
  let queued = all;
  if (all.includes("streaming") && streamsDirectly(name)) {
    queued = all.filter((s) => s !== "streaming");
    // Started before the inserts below, which it need not wait for: the fallback job only
    // has to exist by the time the process could have died, and it looks for the key.
    const key = newId();
    publishDirectly(services, name, payload as DomainEvents[typeof name], key);
    enqueued.push(
      queue.enqueue(
        { type: "event", subscriber: "streaming", name, payload: { ...payload, streamKey: key } },
        { delay: durationOf(FALLBACK_DELAY_MS) },
      ),
    );
  }
  const jobs = queued.map((subscriber) => ({ type: "event" as const, subscriber, name, payload }));
  if (jobs.length > 0) {
    enqueued.push(
      queue.enqueueMany
        ? queue.enqueueMany(jobs)
        : (async () => {
            for (const job of jobs) await queue.enqueue(job);
          })(),
    );
  }
  await Promise.all(enqueued);
}
