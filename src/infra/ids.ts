// Mastodon-style ids: milliseconds since the epoch in the high bits, 16 bits of sequence
// and randomness below. Sortable by creation time (timelines page by id), unguessable
// enough not to enumerate, and strings on the wire as Mastodon clients expect.
import { randomInt } from "node:crypto";

let lastMs = 0;
let sequence = 0;

export function newId(at: Date | number = Date.now()): string {
  const ms = typeof at === "number" ? at : at.getTime();
  if (ms === lastMs) {
    sequence = (sequence + 1) & 0xffff;
  } else {
    lastMs = ms;
    sequence = randomInt(0, 0x8000);
  }
  return ((BigInt(ms) << 16n) | BigInt(sequence)).toString();
}

/** The smallest id at a given time: `max_id`/`min_id` boundaries for time-based paging. */
export function idAtTime(at: Date | number): string {
  const ms = typeof at === "number" ? at : at.getTime();
  return (BigInt(ms) << 16n).toString();
}

/** Compares decimal id strings numerically (bigints exceed Number's precision). */
export function compareIds(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}
