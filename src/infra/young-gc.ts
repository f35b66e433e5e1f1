// A young-generation collection after large request bodies.
//
// Node's HTTP parser hands each body chunk to JavaScript as a fresh Buffer whose bytes live
// outside V8's heap. Those bytes are freed only when V8 collects the Buffer objects, which
// die young; but an upload allocates almost nothing else on the JS heap, so young
// collections stay rare while the outside memory piles up, and V8 answers that with full
// mark-compacts of the whole heap: about one per 10 MB photo, 50–100 ms of CPU across the
// main thread and V8's helpers (docs/benchmarks.md, media). A young collection once a body
// is on disk frees the same buffers in a few milliseconds.
import v8 from "node:v8";
import vm from "node:vm";

type Collect = (options: { type: "minor" }) => void;

/** Bytes that must have been received since the last nudge before another is worth it. */
const NUDGE_EVERY_BYTES = 8 * 1024 * 1024;

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
  if (received < NUDGE_EVERY_BYTES) return;
  received = 0;
  collector()?.({ type: "minor" });
}
