// src/infra/gc-tuning.ts: the young collection after large bodies frees the dead chunk
// buffers' memory outside the heap, which V8 alone would leave for a full collection; the
// marking triggers are set unless the operator gave their own.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { bodyReceived } from "../src/infra/gc-tuning.ts";

const MiB = 1024 * 1024;

function dropChunks(count: number): void {
  const chunks: Buffer[] = [];
  for (let i = 0; i < count; i++) chunks.push(Buffer.alloc(64 * 1024, i));
  chunks.length = 0;
}

describe("bodyReceived", () => {
  it("frees a body's dead chunks once enough has come, and not before", () => {
    bodyReceived(64 * MiB); // starts from a fresh count
    const before = process.memoryUsage().arrayBuffers;
    dropChunks(160); // 10 MiB, as a photo's body arrives
    bodyReceived(1 * MiB);
    const kept = process.memoryUsage().arrayBuffers;
    expect(kept - before).toBeGreaterThanOrEqual(9 * MiB);
    bodyReceived(9 * MiB);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(2 * MiB);
  });
});

describe("tuneMarkingTriggers", () => {
  /**
   * Runs a child with `args` that calls tuneMarkingTriggers (unless `tune` is null) with
   * `nodeOptions` as NODE_OPTIONS' value and triggers of 1% and 2%, keeps two million small
   * objects while churning short-lived ones, and prints how many full collections ran.
   * Such tiny triggers start marking right after each collection: many more full
   * collections than V8's own rule, which shows whether the flags took effect.
   */
  function fullCollections(args: string[], tune: { nodeOptions: string } | null): number {
    const call = tune
      ? `tuneMarkingTriggers(${JSON.stringify(tune.nodeOptions)}, { soft: 1, hard: 2 });`
      : "";
    const script = `
      import { PerformanceObserver, constants } from "node:perf_hooks";
      import { tuneMarkingTriggers } from "./src/infra/gc-tuning.ts";
      ${call}
      let full = 0;
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) if (e.detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) full++;
      }).observe({ entryTypes: ["gc"] });
      const kept = [];
      for (let round = 0; round < 400; round++) {
        for (let i = 0; i < 5000; i++) kept.push({ round, i, s: "k" + i });
        const junk = [];
        for (let i = 0; i < 5000; i++) junk.push({ i });
        await new Promise((r) => setImmediate(r));
      }
      setTimeout(() => console.log(full), 50);
    `;
    const out = spawnSync(process.execPath, [...args, "--input-type=module", "-e", script], {
      encoding: "utf8",
    });
    if (out.status !== 0) throw new Error(out.stderr);
    return Number(out.stdout.trim());
  }

  it("sets V8's marking triggers in a running process, unless the operator gave their own", () => {
    const untouched = fullCollections([], null);
    const tuned = fullCollections([], { nodeOptions: "" });
    expect(tuned).toBeGreaterThan(untouched + 4);
    // Named in NODE_OPTIONS, or given on the command line (0: V8's own rule): left alone.
    const named = fullCollections([], { nodeOptions: "--incremental-marking-hard-trigger=0" });
    expect(named).toBeLessThan(tuned - 3);
    const given = fullCollections(["--incremental-marking-soft-trigger=0"], { nodeOptions: "" });
    expect(given).toBeLessThan(tuned - 3);
  });
});
