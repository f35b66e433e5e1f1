// Two adjustments to V8's garbage collector, both found on photo uploads, where a 56 MB heap
// ran a full mark-compact about once per upload: 50–100 ms of CPU across the main thread and
// V8's helper threads (docs/benchmarks.md, media, session 5).
//
// 1. A young-generation collection after large request bodies. Node's HTTP parser hands each
//    body chunk to JavaScript as a new Buffer whose bytes live outside V8's heap. They are
//    freed only when V8 collects the Buffer objects, which die young; but an upload allocates
//    little else on the JS heap, so young collections stay rare while the outside memory piles
//    up, and V8 answers that with full mark-compacts ("external memory pressure"). A young
//    collection once a body is on disk frees the same buffers in a few milliseconds.
// 2. Marking starts by how much of the headroom is used. By default V8 starts marking as soon
//    as the old generation's headroom is smaller than the young generation's capacity. On a
//    machine with a lot of memory the young generation is large, so a heap this small is
//    always in that state: each mark-compact set off the next one, a few hundred milliseconds
//    later ("Start (task)" in --trace-incremental-marking). With percentage triggers, marking
//    starts once half of the headroom since the last collection is used. The home timeline
//    benchmark showed no difference.
import v8 from "node:v8";
import vm from "node:vm";

type Collect = (options: { type: "minor" }) => void;

/** Bytes that must have been received since the last young collection before another. */
const COLLECT_EVERY_BYTES = 8 * 1024 * 1024;
/** Percent of the headroom since the last collection: marking is scheduled, then forced. */
const MARKING_TRIGGERS = { soft: 50, hard: 90 };

let collect: Collect | undefined | null;
let received = 0;

function collector(): Collect | undefined {
  if (collect === undefined) {
    try {
      // Makes `gc` available to contexts created from now on (not to the main one, whose
      // globals stay as they were); the function taken from a fresh context collects the
      // whole isolate.
      v8.setFlagsFromString("--expose-gc");
      collect = vm.runInNewContext("gc") as Collect;
    } catch {
      collect = null;
    }
  }
  return collect ?? undefined;
}

/** Counts a received body of `bytes`; collects the young generation once enough has come. */
export function bodyReceived(bytes: number): void {
  received += bytes;
  if (received < COLLECT_EVERY_BYTES) return;
  received = 0;
  collector()?.({ type: "minor" });
}

/**
 * Sets the marking triggers, unless the operator gave V8 marking triggers of their own (on
 * the command line or in NODE_OPTIONS). V8 reads these two flags each time it decides, so
 * setting them once the process runs takes effect.
 */
export function tuneMarkingTriggers(
  nodeOptions: string | undefined,
  triggers: { soft: number; hard: number } = MARKING_TRIGGERS,
): void {
  const given = [...process.execArgv, ...(nodeOptions ?? "").split(/\s+/)];
  if (given.some((flag) => /^--incremental[-_]marking[-_](soft|hard)[-_]trigger/.test(flag))) {
    return;
  }
  v8.setFlagsFromString(`--incremental-marking-soft-trigger=${triggers.soft}`);
  v8.setFlagsFromString(`--incremental-marking-hard-trigger=${triggers.hard}`);
}
