// Shared pieces of the benchmarks: the environment (benchmarks read their own), a fresh
// PostgreSQL database, a real Roost process, wrk (or a built-in closed-loop generator when
// wrk is absent) and percentiles. Everything here talks to 127.0.0.1 only.
import { execFileSync, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

/** The benchmarks' own database, dropped and created beside DATABASE_URL's. */
export const DB_NAME = "roost_bench";

const LOCAL = new Set(["127.0.0.1", "localhost", "[::1]"]);

export interface BenchEnv {
  /** The server's admin URL; the bench database is created beside it. */
  adminUrl: string;
  databaseUrl: string;
  redisUrl?: string;
  seconds: number;
  connections: number;
}

export function benchEnv(database: string): BenchEnv {
  const adminUrl = process.env.DATABASE_URL || "postgres://roost@127.0.0.1:54329/roost";
  const redisUrl = process.env.REDIS_URL || undefined;
  for (const u of [adminUrl, redisUrl]) {
    if (u && !LOCAL.has(new URL(u).hostname)) throw new Error(`Not a local address: ${u}`);
  }
  const url = new URL(adminUrl);
  url.pathname = `/${database}`;
  return {
    adminUrl,
    databaseUrl: url.toString(),
    redisUrl,
    seconds: Number(process.env.BENCH_SECONDS || 15),
    connections: Number(process.env.BENCH_CONNECTIONS || 32),
  };
}

export async function recreateDatabase(env: BenchEnv, name: string): Promise<void> {
  const admin = new pg.Client({ connectionString: env.adminUrl });
  await admin.connect();
  try {
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.query(`create database ${name}`);
  } finally {
    await admin.end();
  }
}

export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
    });
  });
}

export interface Roost {
  url: string;
  /** The server's process id (for its CPU time). */
  pid: number;
  stop(): Promise<void>;
}

/**
 * The tree the server runs from: this one, or BENCH_ROOT (a copy of the tree with other
 * sources, to compare two versions alternately under the same load).
 */
export const serverRoot = process.env.BENCH_ROOT || repoRoot;

/** Starts `node src/main.ts` (NODE_ROLE=all by default) and waits for /health. */
export async function startRoost(env: BenchEnv, extra: Record<string, string> = {}) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // e.g. BENCH_NODE_ARGS="--trace-gc": flags NODE_OPTIONS does not accept.
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? "").split(" ").filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, "src/main.ts"], {
    cwd: serverRoot,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      NODE_ENV: "production",
      NODE_ROLE: "all",
      HOST: "127.0.0.1",
      PORT: String(port),
      PUBLIC_URL: url,
      DATABASE_URL: env.databaseUrl,
      ...(env.redisUrl ? { REDIS_URL: env.redisUrl, REDIS_PREFIX: `roostbench${port}` } : {}),
      SECRET_KEY: "bench-secret-key-bench-secret-key-0123456789",
      LOG_LEVEL: "warning",
      // Measured, not throttled: the limiter would answer most of a benchmark with 429s.
      RATE_LIMIT: "false",
      // e.g. BENCH_NODE_OPTIONS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the server.
      // e.g. WEB_CONCURRENCY=2: one HTTP process per core (src/cluster.ts).
      ...(process.env.WEB_CONCURRENCY ? { WEB_CONCURRENCY: process.env.WEB_CONCURRENCY } : {}),
      // e.g. DB_POOL_SIZE=4: fewer PostgreSQL connections per process.
      ...(process.env.DB_POOL_SIZE ? { DB_POOL_SIZE: process.env.DB_POOL_SIZE } : {}),
      ...(process.env.BENCH_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS } : {}),
      // e.g. VIPS_CONCURRENCY=1: libvips threads per image (sharp reads it at start-up).
      ...(process.env.VIPS_CONCURRENCY ? { VIPS_CONCURRENCY: process.env.VIPS_CONCURRENCY } : {}),
      ...extra,
    },
    stdio: ["ignore", "inherit", "inherit"],
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`Roost exited with ${child.exitCode}`);
    const ok = await fetch(`${url}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error("Roost did not start");
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    pid: child.pid ?? 0,
    async stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      await exited;
    },
  } satisfies Roost;
}

export interface LoadResult {
  tool: string;
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  /** CPU milliseconds per request of the server process and of its PostgreSQL backends. */
  cpu?: { server: number; db: number };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

export function hasWrk(): boolean {
  try {
    execFileSync("wrk", ["--version"], { stdio: "ignore" });
    return true;
  } catch (error) {
    // wrk --version exits 1 after printing its version; only a missing binary is ENOENT.
    return (error as NodeJS.ErrnoException).code !== "ENOENT";
  }
}

/** wrk's "50.000%  1.23ms" style durations to milliseconds. */
function wrkMs(text: string): number {
  const m = /([\d.]+)(us|ms|s|m)\b/.exec(text);
  if (!m) return Number.NaN;
  const n = Number(m[1]);
  return m[2] === "us" ? n / 1000 : m[2] === "ms" ? n : m[2] === "s" ? n * 1000 : n * 60_000;
}

/** GETs `url` for `seconds` from `connections` keep-alive connections (wrk, 2 threads). */
export async function httpLoad(
  url: string,
  headers: Record<string, string>,
  seconds: number,
  connections: number,
): Promise<LoadResult> {
  if (hasWrk()) {
    const args = ["-t2", `-c${connections}`, `-d${seconds}s`, "--latency", "--timeout", "5s"];
    for (const [k, v] of Object.entries(headers)) args.push("-H", `${k}: ${v}`);
    const out = execFileSync("wrk", [...args, url], { encoding: "utf8" });
    const line = (label: string) => out.split("\n").find((l) => l.trim().startsWith(label)) ?? "";
    const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
    const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
    const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
    const socketErrors = socket ? socket.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
    return {
      tool: "wrk",
      requests,
      rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0),
      p50: wrkMs(line("50%").replace("50%", "")),
      p99: wrkMs(line("99%").replace("99%", "")),
      errors: non2xx + socketErrors,
    };
  }
  return closedLoop("fetch", connections, seconds, async () => {
    const res = await fetch(url, { headers });
    await res.arrayBuffer();
    return res.ok;
  });
}

/** `workers` loops each running `task` back to back for `seconds`; latencies per call. */
export async function closedLoop(
  tool: string,
  workers: number,
  seconds: number,
  task: () => Promise<boolean>,
): Promise<LoadResult> {
  const latencies: number[] = [];
  let errors = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        const ok = await task().catch(() => false);
        latencies.push(performance.now() - t0);
        if (!ok) errors++;
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    tool,
    requests: latencies.length,
    rps: latencies.length / elapsed,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    errors,
  };
}

export function formatResult(label: string, r: LoadResult): string {
  const f = (n: number) => n.toFixed(2);
  const cpu = r.cpu
    ? `  CPU/request: node ${f(r.cpu.server)} ms, PostgreSQL ${f(r.cpu.db)} ms`
    : "";
  return `${label.padEnd(34)} ${r.tool.padEnd(6)} ${String(Math.round(r.rps)).padStart(6)} req/s  p50 ${f(r.p50).padStart(7)} ms  p99 ${f(r.p99).padStart(7)} ms  (${r.requests} requests, ${r.errors} errors)${cpu}`;
}

/** User plus system CPU seconds from a `/proc/.../stat` line (a process's or a thread's). */
function statCpuSeconds(stat: string): number {
  // Fields after the command name (which may hold spaces): utime and stime are 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * CPU seconds (user + system) a process has used so far, from /proc (Linux); 0 when it is
 * gone. CPU time per request barely depends on how busy the machine is, unlike latency, so
 * it compares two versions fairly on a shared machine.
 */
export function cpuSeconds(pid: number): number {
  try {
    const own = statCpuSeconds(readFileSync(`/proc/${pid}/stat`, "utf8"));
    // With WEB_CONCURRENCY the server is a supervisor and its children: count them too.
    let children = 0;
    for (const child of readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").split(" ")) {
      if (child.trim()) children += cpuSeconds(Number(child));
    }
    return own + children;
  } catch {
    return 0;
  }
}

/**
 * CPU seconds per thread of a process, summed by thread name, as `/proc/<pid>/task/<tid>/stat`
 * gives it (Node 24 names them "MainThread", "V8Worker" for V8's helpers, "libuv-worker" for
 * the thread pool; sharp's are "libvips worker"); empty when the process is gone or not on
 * Linux.
 */
export function threadCpuSeconds(pid: number): Map<string, number> {
  const byName = new Map<string, number>();
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      byName.set(name, (byName.get(name) ?? 0) + statCpuSeconds(stat));
    }
  } catch {
    // gone, or not Linux
  }
  return byName;
}

/** A memory figure of a process from /proc/<pid>/status (Linux), in MiB; 0 when it is gone. */
export function procMemoryMiB(pid: number, field: "VmRSS" | "VmHWM"): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kib = Number(status.match(new RegExp(`^${field}:\\s+(\\d+) kB`, "m"))?.[1] ?? 0);
    return kib / 1024;
  } catch {
    return 0;
  }
}

/** A process's peak resident memory so far (VmHWM) in MiB; 0 when it is gone. */
export function peakRssMiB(pid: number): number {
  return procMemoryMiB(pid, "VmHWM");
}

/** The CPU seconds of every PostgreSQL backend connected to `database` (same machine). */
export async function backendCpu(adminUrl: string, database: string): Promise<Map<number, number>> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>(
      "select pid from pg_stat_activity where datname = $1",
      [database],
    );
    return new Map(rows.map((r) => [r.pid, cpuSeconds(r.pid)]));
  } finally {
    await client.end();
  }
}

/** CPU seconds the backends used between two `backendCpu` samples (new ones from zero). */
export function backendCpuSpent(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0;
  for (const [pid, cpu] of after) total += Math.max(0, cpu - (before.get(pid) ?? 0));
  return total;
}
