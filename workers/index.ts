// Starts the queue listeners of a worker process. Each queue's processor is registered here;
// Fedify's queues (inbox, outbox, fanout) are consumed by Fedify itself (startQueue).
import { getFederation } from "../federation/index.ts";
import { scheduleDailyReport } from "../src/analytics/daily-report.ts";
import { log } from "../src/infra/logging.ts";
import type { QueueName } from "../src/infra/queue/types.ts";
import { scheduleMediaPrune } from "../src/media/jobs.ts";
import type { Services } from "../src/services.ts";
import { processJob } from "./jobs.ts";

const logger = log("worker");

export interface Workers {
  /** Stops taking new messages and waits for the ones in hand. */
  stop(): Promise<void>;
}

export function startWorkers(services: Services): Workers {
  const controller = new AbortController();
  const listeners: Promise<void>[] = [];
  const listen = (name: QueueName, handler: (message: unknown) => Promise<void>) => {
    listeners.push(
      services.queues[name].listen(handler, { signal: controller.signal }).catch((error) => {
        logger.error("Queue {name} listener failed: {error}", { name, error });
      }),
    );
  };
  listen("jobs", (message) => processJob(services, message));
  const federation = getFederation(services);
  for (const queue of ["inbox", "outbox", "fanout"] as const) {
    listeners.push(
      federation.startQueue(services, { signal: controller.signal, queue }).catch((error) => {
        logger.error("Queue {name} listener failed: {error}", { name: queue, error });
      }),
    );
  }
  const stopMediaPrune = scheduleMediaPrune(services);
  const stopDailyReport = scheduleDailyReport(services);
  logger.info("Workers started");
  return {
    async stop() {
      stopMediaPrune();
      stopDailyReport();
      controller.abort();
      await Promise.all(listeners);
    },
  };
}
