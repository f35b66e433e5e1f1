// Entry point: `npm start`. Parses the configuration before loading anything else, so a
// mistake is reported in one line and at once; then runs the roles NODE_ROLE asks for, in
// this process or, with WEB_CONCURRENCY above 1, in children it supervises (cluster.ts).
import { type Config, ConfigError, loadConfig } from "./config.ts";
import { resolveSecretKey } from "./infra/secrets.ts";

let config: Config;
try {
  config = loadConfig();
  config = { ...config, secretKey: resolveSecretKey(config) };
} catch (e) {
  if (!(e instanceof ConfigError)) throw e;
  console.error(e.message);
  process.exit(78); // EX_CONFIG
}

try {
  const { default: cluster } = await import("node:cluster");
  if (config.webConcurrency > 1 && config.role !== "worker" && cluster.isPrimary) {
    const { runCluster } = await import("./cluster.ts");
    await runCluster(config);
  } else {
    const { runServer } = await import("./server.ts");
    await runServer(config);
  }
} catch (error) {
  const cause =
    error instanceof Error && error.cause instanceof Error ? ` (${error.cause.message})` : "";
  console.error(`Roost failed to start: ${error instanceof Error ? error.message : error}${cause}`);
  process.exit(1);
}
