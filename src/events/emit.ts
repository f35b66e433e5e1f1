// Emitting an event enqueues one job per subscriber that handles it. Call only after the
// transaction that made the change has committed: a rolled-back change must not surface.
import { subscribers } from "../../workers/subscribers/index.ts";
import type { Services } from "../services.ts";
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
  const jobs = subscribersOf(name).map((subscriber) => ({
    type: "event" as const,
    subscriber,
    name,
    payload,
  }));
  if (jobs.length === 0) return;
  const queue = services.queues.jobs;
  if (queue.enqueueMany) await queue.enqueueMany(jobs);
  else for (const job of jobs) await queue.enqueue(job);
}
