// Host availability (federation/hosts.ts): outcomes recorded per host, the 7-day rule with a
// back-dated clock, deliveries to unavailable hosts dropped by the outbox queue, and a host
// coming back when anything from it arrives.
import type { MessageQueue } from "@fedify/fedify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  flushHosts,
  hostSeen,
  isHostUnavailable,
  recordDelivery,
  refreshHosts,
  skipUnavailableHosts,
  UNAVAILABLE_AFTER_MS,
} from "../federation/hosts.ts";
import { createTestContext, type TestContext } from "./helpers/services.ts";

let ctx: TestContext;

beforeAll(async () => {
  ctx = await createTestContext({ PUBLIC_URL: "https://testing.local" });
}, 90_000);
afterAll(async () => {
  await ctx?.close();
});

const row = (host: string) =>
  ctx.services.db
    .selectFrom("federation_hosts")
    .selectAll()
    .where("host", "=", host)
    .executeTakeFirst();

describe("host availability", () => {
  it("marks a host unavailable after 7 days of failures, and available on success", async () => {
    const s = ctx.services;
    const start = new Date(Date.now() - UNAVAILABLE_AFTER_MS - 60_000);
    recordDelivery(s, "down.example", false, start);
    await flushHosts(s);
    expect((await row("down.example"))?.failing_since?.getTime()).toBe(start.getTime());
    expect((await row("down.example"))?.unavailable).toBe(false);
    // Failing for less than 7 days: still tried.
    recordDelivery(s, "flaky.example", false, new Date(Date.now() - 3600_000));
    recordDelivery(s, "down.example", false);
    await flushHosts(s);
    expect((await row("down.example"))?.unavailable).toBe(true);
    recordDelivery(s, "flaky.example", false);
    await flushHosts(s);
    expect((await row("flaky.example"))?.unavailable).toBe(false);
    await refreshHosts(s);
    expect(isHostUnavailable(s, "down.example")).toBe(true);
    expect(isHostUnavailable(s, "flaky.example")).toBe(false);
    // One success clears the failure streak.
    recordDelivery(s, "flaky.example", true);
    await flushHosts(s);
    expect((await row("flaky.example"))?.failing_since).toBeNull();
  });

  it("drops outbox messages to unavailable hosts, and revives a host that speaks", async () => {
    const s = ctx.services;
    await s.db
      .insertInto("federation_hosts")
      .values({
        host: "gone.example",
        failing_since: new Date(Date.now() - 10 * 86400_000),
        last_failure_at: new Date(),
        unavailable: true,
      })
      .onConflict((oc) => oc.column("host").doUpdateSet({ unavailable: true }))
      .execute();
    await refreshHosts(s);
    const sent: unknown[] = [];
    const inner: MessageQueue = {
      enqueue: async (m) => {
        sent.push(m);
      },
      enqueueMany: async (ms) => {
        sent.push(...ms);
      },
      listen: async () => {},
    };
    const queue = skipUnavailableHosts(s, inner);
    const msg = (inbox: string) => ({ type: "outbox", inbox });
    await queue.enqueue(msg("https://gone.example/inbox"));
    await queue.enqueueMany?.([
      msg("https://gone.example/users/a/inbox"),
      msg("https://ok.example/inbox"),
    ]);
    await queue.enqueue({ type: "fanout", inboxes: {} });
    expect(sent).toEqual([msg("https://ok.example/inbox"), { type: "fanout", inboxes: {} }]);
    // An activity from the host arrives: it is available again.
    hostSeen(s, new URL("https://gone.example/users/x"));
    await flushHosts(s);
    expect((await row("gone.example"))?.unavailable).toBe(false);
    expect(isHostUnavailable(s, "gone.example")).toBe(false);
    await queue.enqueue(msg("https://gone.example/inbox"));
    expect(sent).toHaveLength(3);
  });
});
