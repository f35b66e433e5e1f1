// Builds a full Services (and the Hono app) on a fresh test backend.

import { createApp } from "../../src/app.ts";
import { type Config, parseConfig } from "../../src/config.ts";
import { createServices, type Services } from "../../src/services.ts";
import { startWorkers, type Workers } from "../../workers/index.ts";
import { createTestBackend, type TestBackend } from "./backend.ts";

export interface TestContext {
  backend: TestBackend;
  config: Config;
  services: Services;
  app: ReturnType<typeof createApp>;
  close(): Promise<void>;
}

export async function createTestContext(
  env: Record<string, string> = {},
  options: { services?: boolean; workers?: boolean } = {},
): Promise<TestContext> {
  const backend = await createTestBackend(options);
  const config = parseConfig({
    SECRET_KEY: "test-secret-key-test-secret-key-0123456789",
    LOG_LEVEL: "warning",
    ...backend.env,
    ...env,
  });
  const services = await createServices(config);
  const app = createApp(services);
  // Side effects (mail, fan-out) run in workers; tests that check them ask for workers.
  const workers: Workers | undefined = options.workers ? startWorkers(services) : undefined;
  return {
    backend,
    config,
    services,
    app,
    async close() {
      await workers?.stop();
      await services.close();
      await backend.cleanup();
    },
  };
}
