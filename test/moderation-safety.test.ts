// User safety around moderation: suspending or disabling an account closes its open
// streaming connections at once; a user's domain block refuses follows from that domain
// (with a Reject) and hides its notifications, as it does those the notification policy
// holds, from GET /api/v1/notifications/:id too; staff actions mail the user a notice.
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { getHub } from "../src/streaming/hub.ts";
import { readMails, waitForMail } from "./helpers/auth-flow.ts";
import {
  call,
  deliveries,
  expectStatus,
  remoteFollow,
  type TestUser,
  userWithRole,
} from "./helpers/moderation.ts";
import { sleep, until } from "./helpers/queue-backends.ts";
import {
  type RemoteActor,
  type RemoteHosts,
  signedPost,
  startRemoteHosts,
} from "./helpers/remote-actors.ts";
import { createTestContext, type TestContext } from "./helpers/services.ts";
import { openWebSocket, type RawClient, serveWithStreaming } from "./helpers/streaming.ts";

const ORIGIN = "https://testing.local";
const AS = "https://www.w3.org/ns/activitystreams";

let ctx: TestContext;
let hosts: RemoteHosts;
let server: { url: string; close(): Promise<void> };
let admin: TestUser;

beforeAll(async () => {
  hosts = await startRemoteHosts(1);
  ctx = await createTestContext(
    { PUBLIC_URL: ORIGIN, FEDERATION_ALLOW_PRIVATE_ADDRESS: "true" },
    { workers: true },
  );
  server = await serveWithStreaming(ctx);
  admin = await userWithRole(ctx, "admin", { username: "ada" });
}, 60_000);

afterAll(async () => {
  await server?.close();
  await ctx?.close();
  await hosts?.close();
});

describe("streams close on suspension and disabling", () => {
  const closed = (c: RawClient) =>
    new Promise<number>((resolve) => {
      if (c.ws.readyState === c.ws.CLOSED) resolve(-1);
      c.ws.once("close", (code) => resolve(code));
    });

  for (const type of ["suspend", "disable"] as const) {
    it(`${type} closes the account's connections without waiting for the token check`, async () => {
      const victim = await userWithRole(ctx, "user", { username: `victim_${type}` });
      const bystander = await userWithRole(ctx, "user", { username: `bystander_${type}` });
      // The periodic token check would close them too, within 15 s; rule it out here.
      const check = vi.spyOn(getHub(ctx.services), "checkTokens").mockResolvedValue();
      try {
        const c = await openWebSocket(server.url, victim.token, { stream: "user" });
        const other = await openWebSocket(server.url, bystander.token, { stream: "user" });
        const code = closed(c);
        expectStatus(
          await call(
            ctx,
            "POST",
            `/api/v1/admin/accounts/${victim.account.id}/action`,
            admin.token,
            {
              type,
            },
          ),
          200,
        );
        const result = await Promise.race([code, sleep(5000).then(() => "still open")]);
        expect(result).toBe(1008);
        expect(other.ws.readyState).toBe(other.ws.OPEN);
        other.close();
      } finally {
        check.mockRestore();
      }
    });
  }
});

describe("a user's domain block", () => {
  let alice: TestUser;
  let mallory: RemoteActor;
  let malloryId: string;
  let domain: string;

  beforeAll(async () => {
    alice = await userWithRole(ctx, "user", { username: "alice" });
    mallory = await hosts.actor(hosts.origins[0]!, "mallory");
    malloryId = await remoteFollow(ctx, ORIGIN, mallory, "alice");
    const row = await ctx.services.db
      .selectFrom("accounts")
      .select("domain")
      .where("id", "=", malloryId)
      .executeTakeFirstOrThrow();
    domain = row.domain!;
  });

  it("hides the domain's notifications from GET /api/v1/notifications/:id", async () => {
    let id = "";
    await until(async () => {
      const list = await call(ctx, "GET", "/api/v1/notifications", alice.token);
      id = list.body.find((n: { account: { id: string } }) => n.account.id === malloryId)?.id ?? "";
      return id !== "";
    }, 20_000);
    expectStatus(await call(ctx, "GET", `/api/v1/notifications/${id}`, alice.token), 200);
    expectStatus(await call(ctx, "POST", "/api/v1/domain_blocks", alice.token, { domain }), 200);
    expectStatus(await call(ctx, "GET", `/api/v1/notifications/${id}`, alice.token), 404);
  });

  it("refuses a follow from the blocked domain with a Reject", async () => {
    const follow = `${mallory.id}#follows/after-block`;
    const res = await ctx.app.request(
      await signedPost(
        `${ORIGIN}/inbox`,
        {
          "@context": AS,
          id: follow,
          type: "Follow",
          actor: mallory.id,
          object: `${ORIGIN}/users/alice`,
        },
        mallory,
      ),
    );
    expect(res.status).toBeLessThan(300);
    await until(
      () =>
        deliveries(hosts, "Reject").some((d) =>
          JSON.stringify(d.json.object).includes("after-block"),
        ),
      20_000,
    );
    const rows = await ctx.services.db
      .selectFrom("follows")
      .select("id")
      .where("account_id", "=", malloryId)
      .where("target_account_id", "=", alice.account.id)
      .execute();
    expect(rows).toEqual([]);
    const requests = await ctx.services.db
      .selectFrom("follow_requests")
      .select("id")
      .where("account_id", "=", malloryId)
      .execute();
    expect(requests).toEqual([]);
  });

  it("refuses the user's own follow of an account on the blocked domain", async () => {
    const res = await call(ctx, "POST", `/api/v1/accounts/${malloryId}/follow`, alice.token);
    expect(res.status).toBe(403);
  });
});

describe("notifications held by the policy", () => {
  it("are not found by GET /api/v1/notifications/:id", async () => {
    const quiet = await userWithRole(ctx, "user", { username: "quiet" });
    const stranger = await userWithRole(ctx, "user", { username: "stranger" });
    expectStatus(
      await call(ctx, "PATCH", "/api/v2/notifications/policy", quiet.token, {
        for_not_following: "filter",
      }),
      200,
    );
    expectStatus(
      await call(ctx, "POST", "/api/v1/statuses", stranger.token, { status: "hello @quiet" }),
      200,
    );
    let held: { id: string } | undefined;
    await until(async () => {
      held = await ctx.services.db
        .selectFrom("notifications")
        .select("id")
        .where("account_id", "=", quiet.account.id)
        .where("filtered", "=", true)
        .executeTakeFirst();
      return held !== undefined;
    }, 20_000);
    expectStatus(await call(ctx, "GET", `/api/v1/notifications/${held!.id}`, quiet.token), 404);
    // Once the sender's request is accepted the notification is an ordinary one again.
    const accepted = await call(
      ctx,
      "POST",
      `/api/v1/notifications/requests/${await requestId(quiet)}/accept`,
      quiet.token,
    );
    expectStatus(accepted, 200);
    expectStatus(await call(ctx, "GET", `/api/v1/notifications/${held!.id}`, quiet.token), 200);
  });
});

async function requestId(user: TestUser): Promise<string> {
  const list = await call(ctx, "GET", "/api/v1/notifications/requests", user.token);
  expectStatus(list, 200);
  return list.body[0].id;
}

describe("mail on staff actions", () => {
  it("mails the user what was done and the moderator's text", async () => {
    const tina = await userWithRole(ctx, "user", { username: "tina" });
    expectStatus(
      await call(ctx, "POST", `/api/v1/admin/accounts/${tina.account.id}/action`, admin.token, {
        type: "silence",
        text: "Please stop posting the same link everywhere.",
        send_email_notification: true,
      }),
      200,
    );
    const mail = await waitForMail(ctx, "tina@example.com");
    expect(mail.subject).toMatch(/limited/i);
    expect(mail.body).toContain("@tina");
    expect(mail.body).toContain("Please stop posting the same link everywhere.");
  });

  it("sends nothing when staff ask not to", async () => {
    const ted = await userWithRole(ctx, "user", { username: "ted" });
    expectStatus(
      await call(ctx, "POST", `/api/v1/admin/accounts/${ted.account.id}/action`, admin.token, {
        type: "none",
        text: "no mail for this one",
        send_email_notification: false,
      }),
      200,
    );
    // A later warning with mail shows the queue has run past the first one.
    const tess = await userWithRole(ctx, "user", { username: "tess" });
    expectStatus(
      await call(ctx, "POST", `/api/v1/admin/accounts/${tess.account.id}/action`, admin.token, {
        type: "none",
        text: "a mailed warning",
      }),
      200,
    );
    const mail = await waitForMail(ctx, "tess@example.com");
    expect(mail.subject).toMatch(/warning/i);
    await sleep(1000);
    expect(readMails(ctx).some((m) => m.to.includes("ted@example.com"))).toBe(false);
  });
});
