// Delivery health per remote host, as Mastodon keeps it: a host whose deliveries have failed
// for 7 days is marked unavailable and gets no more deliveries until it shows signs of life
// (any activity from it arrives, or a delivery to it succeeds). Outcomes come from Fedify's
// delivery metric (the only hook that sees successes as well as failures, with the host);
// they are batched, so a fan-out to thousands of inboxes costs a few writes. The set of
// unavailable hosts is cached per process and re-read every minute, so the outbox queue
// can check it without a query per message.
import type { MessageQueue } from "@fedify/fedify";
import { type Attributes, type Meter, type MeterProvider, metrics } from "@opentelemetry/api";
import { sql } from "kysely";
import { log } from "../src/infra/logging.ts";
import type { Services } from "../src/services.ts";

export const UNAVAILABLE_AFTER_MS = 7 * 24 * 60 * 60 * 1000;
const REFRESH_MS = 60_000;
const FLUSH_MS = 1000;
/** A success is written at most this often per host while the host is healthy. */
const SUCCESS_WRITE_MS = 60 * 60 * 1000;
const logger = log("federation");

interface HostState {
  unavailable: Set<string>;
  failing: Set<string>;
  loadedAt: number;
  loading: Promise<void> | null;
  pending: Map<string, { ok: boolean; at: Date }>;
  successWrittenAt: Map<string, number>;
  timer: ReturnType<typeof setTimeout> | null;
}

const states = new WeakMap<Services, HostState>();

function stateOf(services: Services): HostState {
  let state = states.get(services);
  if (!state) {
    state = {
      unavailable: new Set(),
      failing: new Set(),
      loadedAt: 0,
      loading: null,
      pending: new Map(),
      successWrittenAt: new Map(),
      timer: null,
    };
    states.set(services, state);
  }
  return state;
}

/** Re-reads the failing and unavailable hosts. */
export async function refreshHosts(services: Services): Promise<void> {
  const state = stateOf(services);
  const rows = await services.db
    .selectFrom("federation_hosts")
    .select(["host", "unavailable"])
    .where("failing_since", "is not", null)
    .execute();
  state.failing = new Set(rows.map((r) => r.host));
  state.unavailable = new Set(rows.filter((r) => r.unavailable).map((r) => r.host));
  state.loadedAt = Date.now();
}

/** Whether deliveries to `host` are skipped (from the cache; refreshed in the background). */
export function isHostUnavailable(services: Services, host: string): boolean {
  const state = stateOf(services);
  if (Date.now() - state.loadedAt > REFRESH_MS && !state.loading) {
    state.loading = refreshHosts(services)
      .catch((error) => logger.warning("Reading host states failed: {error}", { error }))
      .finally(() => {
        state.loading = null;
      });
  }
  return state.unavailable.has(host);
}

/** Notes a delivery outcome for `host`; written with the next batch. */
export function recordDelivery(services: Services, host: string, ok: boolean, at = new Date()) {
  const state = stateOf(services);
  if (ok && !state.failing.has(host)) {
    const last = state.successWrittenAt.get(host);
    if (last !== undefined && at.getTime() - last < SUCCESS_WRITE_MS) return;
  }
  // A failure after a success in the same batch still counts: keep the latest outcome.
  state.pending.set(host, { ok, at });
  if (!state.timer) {
    state.timer = setTimeout(() => {
      state.timer = null;
      flushHosts(services).catch((error) =>
        logger.warning("Writing host states failed: {error}", { error }),
      );
    }, FLUSH_MS);
    state.timer.unref?.();
  }
}

/** Any activity from `actorId`'s host shows the host is alive again. */
export function hostSeen(services: Services, actorId: URL | null): void {
  if (!actorId) return;
  if (stateOf(services).failing.has(actorId.host)) recordDelivery(services, actorId.host, true);
}

/** Writes the pending outcomes now. */
export async function flushHosts(services: Services): Promise<void> {
  const state = stateOf(services);
  if (state.timer) clearTimeout(state.timer);
  state.timer = null;
  const batch = [...state.pending];
  state.pending.clear();
  const ok = batch.filter(([, o]) => o.ok);
  const failed = batch.filter(([, o]) => !o.ok);
  if (ok.length > 0) {
    await services.db
      .insertInto("federation_hosts")
      .values(ok.map(([host, o]) => ({ host, last_success_at: o.at })))
      .onConflict((oc) =>
        oc.column("host").doUpdateSet({
          last_success_at: sql`excluded.last_success_at`,
          failing_since: null,
          unavailable: false,
        }),
      )
      .execute();
    for (const [host, o] of ok) {
      state.successWrittenAt.set(host, o.at.getTime());
      state.failing.delete(host);
      state.unavailable.delete(host);
    }
  }
  for (const [host, o] of failed) {
    // One statement per host: the 7-day rule compares with the stored failing_since.
    const cutoff = new Date(o.at.getTime() - UNAVAILABLE_AFTER_MS);
    const row = await services.db
      .insertInto("federation_hosts")
      .values({ host, failing_since: o.at, last_failure_at: o.at })
      .onConflict((oc) =>
        oc.column("host").doUpdateSet({
          last_failure_at: sql`excluded.last_failure_at`,
          failing_since: sql`coalesce(federation_hosts.failing_since, excluded.failing_since)`,
          unavailable: sql<boolean>`coalesce(federation_hosts.failing_since, excluded.failing_since) <= ${cutoff}`,
        }),
      )
      .returning(["unavailable"])
      .executeTakeFirst();
    state.failing.add(host);
    state.successWrittenAt.delete(host);
    if (row?.unavailable) state.unavailable.add(host);
  }
}

/**
 * A MeterProvider that passes everything to the global one and also reports each delivery
 * attempt (Fedify's `activitypub.delivery.sent` counter, tagged with host and success).
 */
export function deliveryMeterProvider(services: Services): MeterProvider {
  const watch = (meter: Meter): Meter =>
    new Proxy(meter, {
      get(target, prop) {
        const value = Reflect.get(target, prop, target);
        if (prop !== "createCounter") {
          return typeof value === "function" ? value.bind(target) : value;
        }
        return (name: string, options?: object) => {
          const counter = target.createCounter(name, options);
          if (name !== "activitypub.delivery.sent") return counter;
          return {
            add(value: number, attributes?: Attributes, context?: unknown) {
              counter.add(value, attributes, context as never);
              const host = attributes?.["activitypub.remote.host"];
              if (typeof host === "string") {
                recordDelivery(
                  services,
                  host,
                  attributes?.["activitypub.delivery.success"] === true,
                );
              }
            },
          };
        };
      },
    });
  return {
    getMeter: (name, version, options) =>
      watch(metrics.getMeterProvider().getMeter(name, version, options)),
  };
}

function skipped(services: Services, message: unknown): boolean {
  const m = message as { type?: unknown; inbox?: unknown } | null;
  if (m?.type !== "outbox" || typeof m.inbox !== "string") return false;
  try {
    return isHostUnavailable(services, new URL(m.inbox).host);
  } catch {
    return false;
  }
}

/**
 * The outbox queue, minus deliveries to unavailable hosts: dropped when enqueued (fan-out
 * included) and when a queued or retried one comes up.
 */
export function skipUnavailableHosts(services: Services, queue: MessageQueue): MessageQueue {
  const wrapped: MessageQueue = {
    nativeRetrial: queue.nativeRetrial,
    enqueue: async (message, options) => {
      if (!skipped(services, message)) await queue.enqueue(message, options);
    },
    listen: (handler, options) =>
      queue.listen(async (message) => {
        if (!skipped(services, message)) await handler(message);
      }, options),
  };
  if (queue.enqueueMany) {
    const many = queue.enqueueMany.bind(queue);
    wrapped.enqueueMany = async (messages, options) => {
      const kept = messages.filter((m) => !skipped(services, m));
      if (kept.length > 0) await many(kept, options);
    };
  }
  if (queue.getDepth) wrapped.getDepth = queue.getDepth.bind(queue);
  return wrapped;
}
