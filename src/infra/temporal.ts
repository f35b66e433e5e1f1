// Node 24 has no global Temporal; Fedify uses @js-temporal/polyfill at run time while its
// type declarations name the built-in `Temporal` of TypeScript's esnext library. The two
// Duration types differ only in overload shapes, so conversions live here, in one place.
import { Temporal as Polyfill } from "@js-temporal/polyfill";

/** A Duration of `ms` milliseconds, typed as Fedify's interfaces expect. */
export function durationOf(ms: number): Temporal.Duration {
  return Polyfill.Duration.from({
    milliseconds: Math.max(0, Math.round(ms)),
  }) as unknown as Temporal.Duration;
}

/** Milliseconds in a Duration (polyfill or native), for time-only durations as Fedify passes them. */
export function durationToMs(duration: Temporal.Duration | Polyfill.Duration): number {
  return Polyfill.Duration.from(duration as Polyfill.Duration).total({ unit: "millisecond" });
}
