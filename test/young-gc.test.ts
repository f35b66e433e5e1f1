// The young-generation collection after large bodies (src/infra/young-gc.ts) frees the dead
// chunk buffers' memory outside the heap, which V8 alone would leave for a full collection.
import { describe, expect, it } from "vitest";
import { bodyReceived } from "../src/infra/young-gc.ts";

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
