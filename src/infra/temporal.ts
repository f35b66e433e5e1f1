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

/**
 * Milliseconds in a Duration (polyfill or native); 0 for none or a negative one. Calendar
 * units (months, years) need a reference date; Fedify never sends them, so they are read
 * as their fixed-length fields rather than failing.
 */
export function durationToMs(duration: Temporal.Duration | Polyfill.Duration | undefined): number {
  if (duration == null) return 0;
  const d = Polyfill.Duration.from(duration as Polyfill.Duration);
  let ms: number;
  try {
    ms = d.total({ unit: "millisecond" });
  } catch {
    ms =
      ((d.days * 24 + d.hours) * 60 + d.minutes) * 60_000 +
      d.seconds * 1000 +
      d.milliseconds +
      d.microseconds / 1000 +
      d.nanoseconds / 1e6;
  }
  return Number.isFinite(ms) && ms > 0 ? ms : 0;
}
