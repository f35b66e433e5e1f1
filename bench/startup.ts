// Start-up time and idle memory of `npm start` (embedded mode): time from spawn until the
// server answers /health, then resident memory after it has been idle for a while.
// Run: npm run bench:startup   (bounded: three cold/warm starts, loopback only)
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { procMemoryMiB } from "./lib.ts";

const IDLE_MS = Number(process.env.IDLE_MS ?? 10_000);
const PORT = Number(process.env.PORT ?? 39_123);
const root = path.resolve(import.meta.dirname, "..");

async function startOnce(dataDir: string, label: string): Promise<void> {
  const started = performance.now();
  const child = spawn(process.execPath, ["src/main.ts"], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? "",
      DATA_DIR: dataDir,
      PORT: String(PORT),
      HOST: "127.0.0.1",
      LOG_LEVEL: "warning",
    },
    stdio: "ignore",
  });
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (Date.now() > deadline) throw new Error("server did not start");
    try {
      const res = await fetch(`http://127.0.0.1:${PORT}/health`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  const readyMs = performance.now() - started;
  const rssReady = procMemoryMiB(child.pid!, "VmRSS");
  await new Promise((r) => setTimeout(r, IDLE_MS));
  const rssIdle = procMemoryMiB(child.pid!, "VmRSS");
  child.kill("SIGTERM");
  await new Promise((r) => child.once("exit", r));
  console.log(
    `${label}: ready in ${readyMs.toFixed(0)} ms; RSS ${rssReady.toFixed(0)} MiB at ready, ${rssIdle.toFixed(0)} MiB after ${IDLE_MS / 1000} s idle`,
  );
}

const dataDir = mkdtempSync(path.join(tmpdir(), "roost-bench-startup-"));
try {
  await startOnce(dataDir, "first start (creates the database)");
  await startOnce(dataDir, "second start");
  await startOnce(dataDir, "third start");
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
