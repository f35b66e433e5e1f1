// Roost's own expectations of its queues, beyond Fedify's conformance suite: delays, native
// retries with the queue's policy, permanent failure, persistence across restarts, graceful
// drain, strict ordering keys (SQL) and no double processing across processes.
import type { MessageQueueEnqueueOptions } from "@fedify/fedify";
import { Temporal } from "@js-temporal/polyfill";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { sql } from "kysely";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import type { RetryPolicy } from "../src/infra/queue/types.ts";
import {
  createQueueBackend,
  type OpenedQueues,
  QUEUE_KINDS,
  type QueueBackend,
  sleep,
  until,
} from "./helpers/queue-backends.ts";

// The polyfill's Duration type differs slightly from TypeScript's built-in Temporal types
// that Fedify's declarations use; at run time it is what Fedify itself passes.
const after = (milliseconds: number) =>
  Temporal.Duration.from({ milliseconds }) as unknown as MessageQueueEnqueueOptions["delay"];

const quickRetry = (maxAttempts: number, backoffMs = 300): RetryPolicy => ({
  maxAttempts,
  backoffMs: () => backoffMs,
});

for (const { kind, enabled } of QUEUE_KINDS) {
  const isSql = kind !== "bullmq";
  describe.skipIf(!enabled)(`${kind} queue behaviour`, { timeout: 60_000 }, () => {
    let backend: QueueBackend;
    const opened: OpenedQueues[] = [];
    const controller = { current: new AbortController() };
    const open = async (options?: Parameters<QueueBackend["open"]>[0]) => {
      const queues = await backend.open(options);
      opened.push(queues);
      return queues;
    };

    beforeEach(async () => {
      backend = await createQueueBackend(kind);
      controller.current = new AbortController();
    });
    afterEach(async () => {
      controller.current.abort();
      for (const queues of opened.splice(0)) await queues.close();
      await backend.cleanup();
    });

    test("holds a delayed message back until its delay has passed", async () => {
      const { queues } = await open();
      const received: { message: unknown; at: number }[] = [];
      void queues.jobs.listen((message) => void received.push({ message, at: Date.now() }), {
        signal: controller.current.signal,
      });
      const enqueuedAt = Date.now();
      await queues.jobs.enqueue({ n: 1 }, { delay: after(1500) });
      const depth = await queues.jobs.getDepth();
      expect(depth).toEqual({ queued: 1, ready: 0, delayed: 1 });
      await sleep(1000);
      expect(received).toEqual([]);
      await until(() => received.length === 1, 5000);
      expect(received[0]?.message).toEqual({ n: 1 });
      expect(received[0]!.at - enqueuedAt).toBeGreaterThanOrEqual(1450);
      expect(await queues.jobs.getDepth()).toMatchObject({ queued: 0 });
    });

    test("retries a failed message after the policy's backoff", async () => {
      const { queues } = await open({ policies: { jobs: quickRetry(3, 400) } });
      const tries: number[] = [];
      void queues.jobs.listen(
        () => {
          tries.push(Date.now());
          if (tries.length === 1) throw new Error("transient");
        },
        { signal: controller.current.signal },
      );
      await queues.jobs.enqueue({ flaky: true });
      await until(() => tries.length === 2, 8000);
      expect(tries[1]! - tries[0]!).toBeGreaterThanOrEqual(350);
      await sleep(600);
      expect(tries).toHaveLength(2);
      await until(async () => (await queues.jobs.getDepth()).queued === 0);
    });

    test("gives up after the policy's maximum attempts and keeps the failure", async () => {
      const { queues, db } = await open({ policies: { jobs: quickRetry(2, 50) } });
      let tries = 0;
      void queues.jobs.listen(
        () => {
          tries++;
          throw new Error(`broken #${tries}`);
        },
        { signal: controller.current.signal },
      );
      await queues.jobs.enqueue({ poison: true });
      await until(() => tries === 2, 8000);
      await sleep(800);
      expect(tries).toBe(2);
      expect(await queues.jobs.getDepth()).toMatchObject({ queued: 0 });
      if (db) {
        const rows = await db.selectFrom("jobs").selectAll().execute();
        expect(rows).toHaveLength(1);
        expect(rows[0]).toMatchObject({ attempts: 2, locked_by: null, payload: { poison: true } });
        expect(rows[0]?.failed_at).toBeInstanceOf(Date);
        expect(rows[0]?.last_error).toContain("broken #2");
      } else {
        const connection = new Redis(backend.redisUrl!, { maxRetriesPerRequest: null });
        const queue = new Queue("jobs", { connection, prefix: backend.bullPrefix });
        const failed = await queue.getFailed();
        await queue.close();
        connection.disconnect();
        expect(failed.map((job) => [job.data, job.attemptsMade, job.failedReason])).toEqual([
          [{ poison: true }, 2, "broken #2"],
        ]);
      }
    });

    test("keeps messages across a restart", async () => {
      const first = await open();
      await first.queues.jobs.enqueue({ survives: 1 });
      await first.queues.jobs.enqueueMany!([{ survives: 2 }, { survives: 3 }]);
      await first.close();
      opened.splice(opened.indexOf(first), 1);

      const second = await open();
      expect(await second.queues.jobs.getDepth()).toEqual({ queued: 3, ready: 3, delayed: 0 });
      const received: unknown[] = [];
      void second.queues.jobs.listen((message) => void received.push(message), {
        signal: controller.current.signal,
      });
      await until(() => received.length === 3, 8000);
      expect(new Set(received.map((m) => JSON.stringify(m)))).toEqual(
        new Set(['{"survives":1}', '{"survives":2}', '{"survives":3}']),
      );
    });

    test("drains gracefully: listen resolves only after the running handler finished", async () => {
      const { queues } = await open();
      let started = false;
      let finished = false;
      const listening = queues.jobs.listen(
        async () => {
          started = true;
          await sleep(700);
          finished = true;
        },
        { signal: controller.current.signal },
      );
      await queues.jobs.enqueue({ slow: true });
      await until(() => started, 8000);
      controller.current.abort();
      let resolved = false;
      void listening.then(() => {
        resolved = true;
      });
      await sleep(200);
      expect(resolved).toBe(false);
      await listening;
      expect(finished).toBe(true);
      // The finished job counts as done and is not handed out again.
      expect(await queues.jobs.getDepth()).toEqual({ queued: 0, ready: 0, delayed: 0 });
    });

    test.skipIf(!isSql)(
      "runs messages sharing an ordering key one at a time, in order",
      async () => {
        const { queues } = await open({ concurrency: 8, policies: { jobs: quickRetry(3, 200) } });
        const log: string[] = [];
        const active = new Map<string, number>();
        let overlap = false;
        let failedOnce = false;
        void queues.jobs.listen(
          async (message: { key: string; n: number }) => {
            const running = (active.get(message.key) ?? 0) + 1;
            active.set(message.key, running);
            if (running > 1) overlap = true;
            try {
              await sleep(message.key === "a" ? 60 : 10);
              if (message.key === "a" && message.n === 1 && !failedOnce) {
                failedOnce = true;
                log.push("a1-failed");
                throw new Error("retry me first");
              }
              log.push(`${message.key}${message.n}`);
            } finally {
              active.set(message.key, (active.get(message.key) ?? 1) - 1);
            }
          },
          { signal: controller.current.signal },
        );
        for (let n = 1; n <= 4; n++) {
          await queues.jobs.enqueue({ key: "a", n }, { orderingKey: "a" });
          await queues.jobs.enqueue({ key: "b", n }, { orderingKey: "b" });
        }
        await until(() => log.filter((e) => !e.endsWith("failed")).length === 8, 10_000);
        expect(overlap).toBe(false);
        // a2 waits for a1's retry rather than overtaking it.
        expect(log.filter((e) => e.startsWith("a"))).toEqual(["a1-failed", "a1", "a2", "a3", "a4"]);
        expect(log.filter((e) => e.startsWith("b"))).toEqual(["b1", "b2", "b3", "b4"]);
        // Different keys do not wait for each other: b finished while a was still retrying.
        expect(log.indexOf("b4")).toBeLessThan(log.indexOf("a2"));
      },
    );

    test.skipIf(!isSql)("takes over a job whose lease ran out (crashed process)", async () => {
      const { queues, db } = await open();
      await queues.jobs.enqueue({ orphan: true });
      // As if a process had claimed it and died: leased for another 600 ms.
      await sql`update jobs set locked_by = 'dead-process',
        locked_until = now() + interval '600 milliseconds'`.execute(db!);
      const received: number[] = [];
      const started = Date.now();
      void queues.jobs.listen(() => void received.push(Date.now()), {
        signal: controller.current.signal,
      });
      await until(() => received.length === 1, 8000);
      expect(received[0]! - started).toBeGreaterThanOrEqual(400);
    });

    test.skipIf(kind === "sql-pglite")(
      "never hands one message to two processes",
      async () => {
        const producer = await open();
        const workers = [await open({ concurrency: 5 }), await open({ concurrency: 5 })];
        const seen = new Map<number, number>();
        const perWorker = [0, 0];
        workers.forEach(({ queues }, index) => {
          void queues.jobs.listen(
            async (message: { n: number }) => {
              seen.set(message.n, (seen.get(message.n) ?? 0) + 1);
              perWorker[index]!++;
              await sleep(Math.random() * 10);
            },
            { signal: controller.current.signal },
          );
        });
        const total = 300;
        const messages = Array.from({ length: total }, (_, n) => ({ n }));
        for (let i = 0; i < total; i += 50) {
          await producer.queues.jobs.enqueueMany!(messages.slice(i, i + 50));
        }
        await until(() => seen.size === total, 20_000);
        await sleep(500);
        expect([...seen.values()].every((count) => count === 1)).toBe(true);
        expect(perWorker[0]! + perWorker[1]!).toBe(total);
        // Both processes took part.
        expect(Math.min(...perWorker)).toBeGreaterThan(0);
      },
      40_000,
    );
  });
}
