// Runs the HTTP server, the queue workers, or both, and drains them on SIGTERM/SIGINT.
import type { Server } from "node:http";
import { serve } from "@hono/node-server";
import { startWorkers } from "../workers/index.ts";
import { createApp } from "./app.ts";
import type { Config } from "./config.ts";
import { writePidFile } from "./infra/db/pid-file.ts";
import { tuneMarkingTriggers } from "./infra/gc-tuning.ts";
import { logger, setupLogging } from "./infra/logging.ts";
import { startTracing } from "./infra/tracing.ts";
import { createServices } from "./services.ts";
import { attachStreaming } from "./streaming/websocket.ts";

const KEEP_ALIVE_MS = 65_000;

export async function runServer(config: Config): Promise<void> {
  const startedAt = performance.now();
  tuneMarkingTriggers(config.nodeOptions);
  await setupLogging(config.logLevel);
  const tracing = await startTracing(config);
  const services = await createServices(config);
  // Tells `npm run cli` that this process holds the embedded database (see pid-file.ts).
  if (services.dbKind === "pglite") writePidFile(config.dataDir);
  const runWeb = config.role !== "worker";
  const runWorkers = config.role !== "web";

  const workers = runWorkers ? startWorkers(services) : undefined;
  const requests = runWeb ? trackRequests(createApp(services).fetch) : undefined;
  const server = requests
    ? serve({ fetch: requests.fetch, port: config.port, hostname: config.host })
    : undefined;
  // Idle keep-alive connections outlive a reverse proxy's (60 s for most): with Node's 5 s
  // default, a proxy can send a request down a connection in the instant Node closes it.
  if (server) (server as Server).keepAliveTimeout = KEEP_ALIVE_MS;
  // The streaming API's WebSocket endpoint: upgrades never reach Hono.
  const streaming = server ? attachStreaming(server as Server, services) : undefined;
  if (server) {
    await new Promise<void>((resolve, reject) => {
      if (server.listening) resolve();
      server.once("listening", resolve);
      server.once("error", reject);
    });
  }
  logger.info("Roost ({role}, {db}{redis}) ready at {url} in {ms} ms", {
    role: config.role,
    db: services.dbKind,
    redis: config.redisUrl ? " + redis" : "",
    url: config.publicUrl,
    ms: Math.round(performance.now() - startedAt),
  });

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info("Received {signal}; draining", { signal });
    const force = setTimeout(() => {
      logger.error("Shutdown timed out; exiting");
      process.exit(1);
    }, config.shutdownTimeoutMs);
    force.unref();
    // Stop accepting connections and let in-flight requests finish while the workers
    // finish the jobs in hand; only then close the backends they use.
    const closed = server
      ? new Promise<void>((resolve) => server.close(() => resolve()))
      : Promise.resolve();
    if (server && "closeIdleConnections" in server) server.closeIdleConnections();
    // Streaming connections never finish on their own; end them so the server can close.
    await streaming?.close();
    await Promise.all([closed, workers?.stop()]);
    // A client that hung up closes its connection while its handler may still be running:
    // wait for the handlers themselves before closing the database under them.
    await requests?.drained();
    await services.close();
    await tracing?.shutdown();
    logger.info("Stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

/** Counts requests being handled, so shutdown can wait until none is left. */
function trackRequests<A extends unknown[]>(fetch: (...args: A) => Response | Promise<Response>) {
  let inFlight = 0;
  let onIdle: (() => void) | undefined;
  return {
    fetch: async (...args: A): Promise<Response> => {
      inFlight++;
      try {
        return await fetch(...args);
      } finally {
        inFlight--;
        if (inFlight === 0) onIdle?.();
      }
    },
    drained(): Promise<void> {
      if (inFlight === 0) return Promise.resolve();
      return new Promise((resolve) => {
        onIdle = resolve;
      });
    },
  };
}
