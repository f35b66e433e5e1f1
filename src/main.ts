// Entry point: `npm start`. Runs the HTTP server, the queue workers, or both (NODE_ROLE).
import { serve } from "@hono/node-server";
import { createApp } from "./app.ts";
import { ConfigError, loadConfig } from "./config.ts";
import { logger, setupLogging } from "./infra/logging.ts";
import { resolveSecretKey } from "./infra/secrets.ts";
import { startTracing } from "./infra/tracing.ts";
import { createServices } from "./services.ts";
import { startWorkers } from "../workers/index.ts";

async function main(): Promise<void> {
  const startedAt = performance.now();
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
    config = { ...config, secretKey: resolveSecretKey(config) };
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      process.exit(78); // EX_CONFIG
    }
    throw e;
  }
  await setupLogging(config.logLevel);
  const tracing = await startTracing(config);
  const services = await createServices(config);
  const runWeb = config.role !== "worker";
  const runWorkers = config.role !== "web";

  const workers = runWorkers ? startWorkers(services) : undefined;
  const server = runWeb
    ? serve({ fetch: createApp(services).fetch, port: config.port, hostname: config.host })
    : undefined;
  if (server) {
    await new Promise<void>((resolve, reject) => {
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
    }, config.shutdownTimeoutMs + 5000);
    force.unref();
    // Stop accepting connections, let in-flight requests finish, then drain the workers.
    const closed = server
      ? new Promise<void>((resolve) => server.close(() => resolve()))
      : Promise.resolve();
    if (server && "closeIdleConnections" in server) server.closeIdleConnections();
    await Promise.all([closed, workers?.stop()]);
    await services.close();
    await tracing?.shutdown();
    logger.info("Stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

main().catch((error) => {
  const cause = error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : "";
  console.error(`Roost failed to start: ${error instanceof Error ? error.message : error}${cause}`);
  process.exit(1);
});
