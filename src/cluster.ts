// WEB_CONCURRENCY above 1: this process only supervises, and that many children share the
// HTTP port (Node's cluster module hands each new connection to one of them), so a
// many-core machine is used by one service. The first child keeps NODE_ROLE (with `all` it
// also runs the queue workers); the others serve HTTP only. Each child is a whole Roost web
// process: it opens its own pool to PostgreSQL, and live events reach its streaming clients
// through Redis pub/sub (which is why the configuration requires REDIS_URL for this).
// A child that dies is started again; one that dies right after starting stops the lot,
// since starting it again would fail the same way.
import cluster, { type Worker } from "node:cluster";
import type { Config } from "./config.ts";
import { logger, setupLogging } from "./infra/logging.ts";

/** A child exiting sooner than this after its start is taken as unable to start. */
const EARLY_EXIT_MS = 10_000;

export async function runCluster(config: Config): Promise<void> {
  await setupLogging(config.logLevel);
  const roles = new Map<Worker, { role: string; startedAt: number }>();
  let stopping = false;
  let exitStatus = 0;

  const start = (role: string) => {
    const child = cluster.fork({ NODE_ROLE: role, WEB_CONCURRENCY: "1" });
    roles.set(child, { role, startedAt: Date.now() });
  };

  cluster.on("exit", (child, code, signal) => {
    const known = roles.get(child);
    roles.delete(child);
    if (stopping) {
      if (roles.size === 0) process.exit(exitStatus);
      return;
    }
    if (!known) return;
    if (Date.now() - known.startedAt < EARLY_EXIT_MS) {
      logger.error("A {role} process exited at start ({code}); stopping", {
        role: known.role,
        code: code ?? signal,
      });
      stop(code || 1);
      return;
    }
    logger.error("A {role} process exited ({code}); starting another", {
      role: known.role,
      code: code ?? signal,
    });
    start(known.role);
  });

  const stop = (exitCode = 0) => {
    if (stopping) return;
    stopping = true;
    exitStatus = exitCode;
    for (const child of roles.keys()) child.process.kill("SIGTERM");
    // The children drain within SHUTDOWN_TIMEOUT_MS themselves; this is the backstop.
    setTimeout(() => process.exit(exitStatus || 1), config.shutdownTimeoutMs + 5_000).unref();
    if (roles.size === 0) process.exit(exitStatus);
  };
  process.on("SIGTERM", () => stop());
  process.on("SIGINT", () => stop());

  start(config.role);
  for (let i = 1; i < config.webConcurrency; i++) start("web");
  logger.info("Roost supervising {n} processes on port {port}", {
    n: config.webConcurrency,
    port: config.port,
  });
}
