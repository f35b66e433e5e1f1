// Fedify's own conformance suite for MessageQueue, run against every queue backend this
// run can reach. Behaviour specific to Roost (retries, restarts, drain) is in
// queue-behavior.test.ts.
import { testMessageQueue } from "@fedify/testing";
import { describe, test } from "vitest";
import { createSqlQueues } from "../src/infra/queue/sql-queue.ts";
import type { JobQueue } from "../src/infra/queue/types.ts";
import { createQueueBackend, type OpenedQueues, QUEUE_KINDS } from "./helpers/queue-backends.ts";

for (const { kind, enabled } of QUEUE_KINDS) {
  describe.skipIf(!enabled)(`${kind} queue`, () => {
    test("passes @fedify/testing's testMessageQueue", async () => {
      const backend = await createQueueBackend(kind);
      const opened: OpenedQueues[] = [];
      // PGlite is one connection in one process: both queues share it. On PostgreSQL and
      // Redis each queue gets its own connections, like two worker processes.
      const shared = kind === "sql-pglite" ? await backend.open() : undefined;
      if (shared) opened.push(shared);
      let made = 0;
      const getQueue = async (): Promise<JobQueue> => {
        made++;
        if (shared) {
          // A second queue object on the same database, as a second listener would be.
          if (made === 1 || !shared.db) return shared.queues.jobs;
          return createSqlQueues(shared.db, { concurrency: 4, pollIntervalMs: 100 }).jobs;
        }
        const queues = await backend.open();
        opened.push(queues);
        return queues.queues.jobs;
      };
      try {
        await testMessageQueue(
          getQueue,
          async ({ mq1, mq2, controller }) => {
            controller.abort();
            await mq1.close();
            await mq2.close();
          },
          // BullMQ's ordering is best effort only (see bullmq-queue.ts).
          { testOrderingKey: kind !== "bullmq" },
        );
      } finally {
        for (const queues of opened) await queues.close();
        await backend.cleanup();
      }
    }, 90_000);
  });
}
