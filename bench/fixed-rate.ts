// A fixed-rate load generator: GETs a URL at `rate` requests per second, spread over
// `connections` keep-alive connections, for `seconds`. Where wrk's closed loop measures the
// most a server can do (and so, by Little's law, a latency of at least connections ÷
// throughput), this measures the latency at a given throughput: "p99 at 1,000 requests/s".
// Each request has a scheduled send time, and its latency counts from that time, not from
// when a connection was free to send it, so a stalled server is charged for the requests it
// held up (no "coordinated omission", as in wrk2). Raw sockets and a prebuilt request keep
// the generator's own CPU per request small, since it shares the cores with the server.
import net from "node:net";
import { type LoadResult, percentile } from "./lib.ts";

interface Connection {
  socket: net.Socket;
  busy: boolean;
  /** Scheduled send time of the request in flight. */
  scheduled: number;
  pending: Buffer;
}

const HEADER_END = Buffer.from("\r\n\r\n");
const CHUNKED_END = Buffer.from("\r\n0\r\n\r\n");

/** Bytes of the first complete response in `data`, or -1 while it is still arriving. */
function responseLength(data: Buffer): { length: number; ok: boolean } | null {
  const end = data.indexOf(HEADER_END);
  if (end < 0) return null;
  const head = data.subarray(0, end).toString("latin1");
  const ok = /^HTTP\/1\.1 2\d\d/.test(head);
  const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
  if (length) {
    const total = end + 4 + Number(length[1]);
    return data.length >= total ? { length: total, ok } : null;
  }
  const chunkedEnd = data.indexOf(CHUNKED_END, end);
  return chunkedEnd < 0 ? null : { length: chunkedEnd + CHUNKED_END.length, ok };
}

export async function fixedRateLoad(
  url: string,
  headers: Record<string, string>,
  seconds: number,
  connections: number,
  rate: number,
): Promise<LoadResult> {
  const target = new URL(url);
  const lines = [`GET ${target.pathname}${target.search} HTTP/1.1`, `Host: ${target.host}`];
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  const request = Buffer.from(`${lines.join("\r\n")}\r\n\r\n`);

  const latencies: number[] = [];
  let errors = 0;
  const backlog: number[] = [];
  const idle: Connection[] = [];
  const send = (conn: Connection, scheduled: number) => {
    conn.busy = true;
    conn.scheduled = scheduled;
    conn.socket.write(request);
  };
  const open = () =>
    new Promise<Connection>((resolve, reject) => {
      const socket = net.connect(Number(target.port), target.hostname);
      socket.setNoDelay(true);
      const conn: Connection = { socket, busy: false, scheduled: 0, pending: Buffer.alloc(0) };
      socket.once("connect", () => resolve(conn));
      socket.once("error", reject);
      // A connection lost mid-run leaves its request unanswered: counted as an error below.
      socket.on("error", () => {});
      socket.on("data", (chunk: Buffer) => {
        conn.pending = conn.pending.length ? Buffer.concat([conn.pending, chunk]) : chunk;
        const done = responseLength(conn.pending);
        if (!done) return;
        latencies.push(performance.now() - conn.scheduled);
        if (!done.ok) errors++;
        conn.pending = conn.pending.subarray(done.length);
        conn.busy = false;
        const next = backlog.shift();
        if (next !== undefined) send(conn, next);
        else idle.push(conn);
      });
    });
  const all = await Promise.all(Array.from({ length: connections }, open));
  idle.push(...all);

  const interval = 1000 / rate;
  const start = performance.now();
  const total = Math.round(seconds * rate);
  let issued = 0;
  // A coarse timer: each tick sends every request whose time has come. Lateness of the
  // timer itself is charged to the latency, so it can only make the figures worse.
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      while (issued < total && start + issued * interval <= now) {
        const scheduled = start + issued * interval;
        issued++;
        const conn = idle.pop();
        if (conn) send(conn, scheduled);
        else backlog.push(scheduled);
      }
      if (issued < total) setTimeout(tick, 1);
      else resolve();
    };
    tick();
  });
  // Let the requests in flight finish (bounded: a stuck server ends the run as errors).
  const deadline = performance.now() + 10_000;
  while ((backlog.length || all.some((c) => c.busy)) && performance.now() < deadline) {
    await new Promise((r) => setTimeout(r, 5));
  }
  const elapsed = (performance.now() - start) / 1000;
  errors += total - latencies.length;
  for (const c of all) c.socket.destroy();
  latencies.sort((a, b) => a - b);
  return {
    tool: `${rate}/s`,
    requests: latencies.length,
    rps: latencies.length / elapsed,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    errors,
  };
}
