// Notification emails: mentions, follows, follow requests and direct messages are mailed
// per the user's preferences, a burst as one message (the batch delay is lowered here).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { idAtTime } from "../src/infra/ids.ts";
import { sendNotificationEmail } from "../src/notifications/email-batch.ts";
import { createUserWithToken } from "./helpers/auth.ts";
import { readMails } from "./helpers/auth-flow.ts";
import { sleep, until } from "./helpers/queue-backends.ts";
import { createTestContext, type TestContext } from "./helpers/services.ts";

type User = Awaited<ReturnType<typeof createUserWithToken>>;
let ctx: TestContext;
let bob: User;
// Long enough to gather a burst made by a handful of requests, short enough for a test.
// The batching window. A burst must fit inside it even when the machine is busy (the
// notification jobs of one burst may run a few seconds apart under load).
const DELAY_MS = 5000;

beforeAll(async () => {
  ctx = await createTestContext(
    { NOTIFICATION_EMAIL_DELAY: String(DELAY_MS / 1000) },
    { workers: true },
  );
  bob = await createUserWithToken(ctx, { username: "bob" });
});
afterAll(async () => {
  await ctx?.close();
});

async function call(method: string, path: string, token: string, body?: Record<string, unknown>) {
  const res = await ctx.app.request(path, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body ? JSON.stringify(body) : undefined,
  });
  expect(res.status, `${method} ${path}`).toBe(200);
  return res.json() as Promise<{ id: string }>;
}

async function user(username: string, emails?: Record<string, boolean>): Promise<User> {
  const u = await createUserWithToken(ctx, { username });
  if (emails) {
    await ctx.services.db
      .updateTable("users")
      .set({ settings: JSON.stringify({ notification_emails: emails }) })
      .where("id", "=", u.user.id)
      .execute();
  }
  return u;
}

const mailsTo = (username: string) =>
  readMails(ctx).filter((m) => m.to.toLowerCase().includes(`${username}@example.com`));

async function waitForMails(username: string, count: number) {
  await until(() => mailsTo(username).length >= count, 30_000);
  // Long enough for a second batch, had the burst been split.
  await sleep(DELAY_MS * 1.5);
  return mailsTo(username);
}

const post = (from: User, status: string, visibility = "public") =>
  call("POST", "/api/v1/statuses", from.token, { status, visibility });

describe("notification emails", () => {
  it("a burst of mentions and a follow becomes one mail", async () => {
    const alice = await user("alice");
    await Promise.all([
      post(bob, "@alice one"),
      post(bob, "@alice two"),
      post(bob, "@alice three"),
      call("POST", `/api/v1/accounts/${alice.account.id}/follow`, bob.token),
    ]);
    // Favourites are not mailed.
    const own = await post(alice, "my post");
    await call("POST", `/api/v1/statuses/${own.id}/favourite`, bob.token);

    const mails = await waitForMails("alice", 1);
    expect(mails).toHaveLength(1);
    const [mail] = mails;
    expect(mail!.subject).toBe("4 new notifications on Roost");
    expect(mail!.body.match(/mentioned you/g)?.length).toBe(6); // text and HTML parts
    expect(mail!.body).toContain("followed you");
    expect(mail!.body).toContain("three");
    expect(mail!.body).not.toContain("favourite");
    expect(mail!.links.some((l) => l.startsWith(`${ctx.config.publicUrl}/@bob/`))).toBe(true);

    // The next notification starts a new batch, with only what is new.
    await post(bob, "@alice four");
    const next = await waitForMails("alice", 2);
    expect(next).toHaveLength(2);
    expect(next[1]!.subject).toBe("@bob mentioned you on Roost");
    expect(next[1]!.body).toContain("four");
    expect(next[1]!.body).not.toContain("three");
  }, 90_000);

  it("a direct message and a follow request are mailed", async () => {
    const carol = await user("carol");
    await call("PATCH", "/api/v1/accounts/update_credentials", carol.token, { locked: true });
    await post(bob, "@carol a secret", "direct");
    await call("POST", `/api/v1/accounts/${carol.account.id}/follow`, bob.token);
    const [mail] = await waitForMails("carol", 1);
    expect(mail!.body).toContain("sent you a direct message");
    expect(mail!.body).toContain("a secret");
    expect(mail!.body).toContain("asked to follow you");
  }, 90_000);

  it("preferences turn kinds off", async () => {
    const dave = await user("dave", { mention: false, direct: false });
    const erin = await user("erin", { mention: false, follow: false, follow_request: false });
    await post(bob, "@dave not mailed");
    await post(bob, "@dave secret, not mailed", "direct");
    await post(bob, "@erin not mailed either");
    await call("POST", `/api/v1/accounts/${erin.account.id}/follow`, bob.token);
    await call("POST", `/api/v1/accounts/${dave.account.id}/follow`, bob.token);

    const [mail] = await waitForMails("dave", 1);
    expect(mail!.subject).toBe("@bob followed you on Roost");
    expect(mail!.body).not.toContain("not mailed");
    expect(mailsTo("erin")).toEqual([]);
  }, 90_000);

  it("a notification too young to have settled waits for the next mail instead of being skipped", async () => {
    const frank = await user("frank");
    const gina = await user("gina");
    const { db } = ctx.services;
    // Ids are taken before commit: a slow transaction can commit a notification whose id is
    // older than one already visible. The mail takes only settled ids, so the watermark
    // never passes a notification that might still be committing.
    const settled = idAtTime(Date.now() - 60_000);
    const young = idAtTime(Date.now());
    await db
      .insertInto("notification_email_state")
      .values({ account_id: frank.account.id, last_notification_id: "0" })
      .execute();
    await db
      .insertInto("notifications")
      .values([
        {
          id: settled,
          account_id: frank.account.id,
          from_account_id: bob.account.id,
          type: "follow",
        },
        {
          id: young,
          account_id: frank.account.id,
          from_account_id: gina.account.id,
          type: "follow",
        },
      ])
      .execute();
    await sendNotificationEmail(ctx.services, frank.account.id);
    // The mail itself is sent by a mail job.
    await until(() => mailsTo("frank").length >= 1, 30_000);
    const [first] = mailsTo("frank");
    expect(first!.subject).toBe("@bob followed you on Roost");
    // The young one was left for a batch of its own, which the worker sends shortly.
    const mails = await waitForMails("frank", 2);
    expect(mails).toHaveLength(2);
    expect(mails[1]!.subject).toBe("@gina followed you on Roost");
  }, 90_000);
});
