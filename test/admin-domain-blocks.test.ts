// Admin domain blocks and allows: the API (roles, scopes, schema), the public list with
// obfuscation and exposure, and what a block does to federation: a suspended domain's
// signed activities are refused, its follows cut, its accounts marked (and unmarked when
// lifted), nothing is delivered to it; a silenced domain's follows become requests.
import type { MessageQueue } from "@fedify/fedify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeRemoteAttachments } from "../federation/objects/remote-media-rows.ts";
import { accountOfActor } from "../federation/remote-accounts.ts";
import { newId } from "../src/infra/ids.ts";
import { obfuscateDomain } from "../src/moderation/domain-blocks.ts";
import { domainPolicy, normalizeDomain } from "../src/moderation/domain-policy.ts";
import { skipBlockedDomains } from "../src/moderation/domain-policy-queue.ts";
import { insertFollow } from "../src/relationships/follow-service.ts";
import { createUserWithToken } from "./helpers/auth.ts";
import { STAFF_SCOPES, userWithRole } from "./helpers/moderation.ts";
import { expectResponseSchema, expectSchema } from "./helpers/openapi.ts";
import {
  type RemoteActor,
  type RemoteHosts,
  signedPost,
  startRemoteHosts,
} from "./helpers/remote-actors.ts";
import { createTestContext, type TestContext } from "./helpers/services.ts";

const ORIGIN = "https://testing.local";
const AS = "https://www.w3.org/ns/activitystreams";

let ctx: TestContext;
let hosts: RemoteHosts;
let admin: string;
let moderator: string;
let adminNoScope: string;
let alice: Awaited<ReturnType<typeof createUserWithToken>>;

function call(method: string, path: string, token: string, body?: Record<string, unknown>) {
  return ctx.app.request(path, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body ? { "content-type": "application/json" } : {}),
    },
    body: body ? JSON.stringify(body) : undefined,
  });
}

async function remoteAccount(domain: string, username: string) {
  const uri = `https://${domain}/users/${username}`;
  return await ctx.services.db
    .insertInto("accounts")
    .values({
      id: newId(),
      username,
      domain,
      uri,
      inbox_url: `${uri}/inbox`,
      fetched_at: new Date(),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

beforeAll(async () => {
  hosts = await startRemoteHosts(1);
  ctx = await createTestContext(
    { PUBLIC_URL: ORIGIN, FEDERATION_ALLOW_PRIVATE_ADDRESS: "true" },
    { workers: true },
  );
  admin = (await userWithRole(ctx, "admin", { scopes: STAFF_SCOPES })).token;
  moderator = (await userWithRole(ctx, "moderator", { scopes: STAFF_SCOPES })).token;
  adminNoScope = (await userWithRole(ctx, "admin", { scopes: ["read", "write"] })).token;
  alice = await createUserWithToken(ctx, { username: "alice" });
}, 90_000);

afterAll(async () => {
  await ctx?.close();
  await hosts?.close();
});

describe("domain names and policy", () => {
  it("normalizes domains and covers subdomains", async () => {
    expect(normalizeDomain("Example.COM.")).toBe("example.com");
    expect(normalizeDomain("https://bad.example/users/x")).toBe("bad.example");
    expect(normalizeDomain("bad.example:8443")).toBe("bad.example");
    expect(normalizeDomain("bücher.example")).toBe("xn--bcher-kva.example");
    expect(normalizeDomain("not a domain")).toBeNull();
    expect(obfuscateDomain("example.com")).toMatch(/^ex.*\*.*om$/);

    const res = await call("POST", "/api/v1/admin/domain_blocks", admin, {
      domain: "policy.example",
      severity: "noop",
      reject_media: true,
      reject_reports: true,
    });
    expect(res.status).toBe(200);
    const sub = await domainPolicy(ctx.services.db, "deep.sub.policy.example:443");
    expect(sub).toEqual({
      suspended: false,
      silenced: false,
      rejectMedia: true,
      rejectReports: true,
    });
    expect((await domainPolicy(ctx.services.db, "notpolicy.example")).rejectMedia).toBe(false);
  });
});

describe("/api/v1/admin/domain_blocks", () => {
  it("needs manage_federation and an admin scope", async () => {
    const list = await call("GET", "/api/v1/admin/domain_blocks", moderator);
    expect(list.status).toBe(403);
    const create = await call("POST", "/api/v1/admin/domain_blocks", moderator, {
      domain: "x.example",
    });
    expect(create.status).toBe(403);
    expect((await call("GET", "/api/v1/admin/domain_blocks", adminNoScope)).status).toBe(403);
    expect((await call("GET", "/api/v1/admin/domain_blocks", alice.token)).status).toBe(403);
    // The granular scope reads but does not write.
    const reader = (await userWithRole(ctx, "admin", { scopes: ["admin:read:domain_blocks"] }))
      .token;
    expect((await call("GET", "/api/v1/admin/domain_blocks", reader)).status).toBe(200);
    const write = await call("POST", "/api/v1/admin/domain_blocks", reader, {
      domain: "y.example",
    });
    expect(write.status).toBe(403);
  });

  it("creates, shows, updates, lists and deletes, recording each in the audit log", async () => {
    const created = await call("POST", "/api/v1/admin/domain_blocks", admin, {
      domain: "crud.example",
      severity: "silence",
      public_comment: "spam",
      private_comment: "see report 12",
      obfuscate: true,
    });
    expect(created.status).toBe(200);
    const block = (await created.json()) as Record<string, unknown>;
    expectSchema("AdminDomainBlock", block);
    expect(block).toMatchObject({
      domain: "crud.example",
      severity: "silence",
      obfuscate: true,
      public_comment: "spam",
      private_comment: "see report 12",
    });

    const again = await call("POST", "/api/v1/admin/domain_blocks", admin, {
      domain: "CRUD.example",
    });
    expect(again.status).toBe(422);
    const bad = await call("POST", "/api/v1/admin/domain_blocks", admin, { domain: "no way" });
    expect(bad.status).toBe(422);
    const badSeverity = await call("POST", "/api/v1/admin/domain_blocks", admin, {
      domain: "sev.example",
      severity: "obliterate",
    });
    expect(badSeverity.status).toBe(422);

    const shown = await call("GET", `/api/v1/admin/domain_blocks/${block.id}`, admin);
    expectSchema("AdminDomainBlock", await shown.json());
    const updated = await call("PUT", `/api/v1/admin/domain_blocks/${block.id}`, admin, {
      severity: "suspend",
      reject_media: true,
    });
    const after = (await updated.json()) as Record<string, unknown>;
    expectSchema("AdminDomainBlock", after);
    expect(after).toMatchObject({
      severity: "suspend",
      reject_media: true,
      public_comment: "spam",
    });
    expect(
      (await call("PUT", `/api/v1/admin/domain_blocks/${block.id}`, moderator, {})).status,
    ).toBe(403);

    const list = await call("GET", "/api/v1/admin/domain_blocks?limit=1", admin);
    const rows = (await list.json()) as unknown[];
    expect(rows).toHaveLength(1);
    for (const row of rows) expectSchema("AdminDomainBlock", row);
    expect(list.headers.get("link")).toContain("max_id=");

    expect(
      (await call("DELETE", `/api/v1/admin/domain_blocks/${block.id}`, moderator)).status,
    ).toBe(403);
    const removed = await call("DELETE", `/api/v1/admin/domain_blocks/${block.id}`, admin);
    expect(removed.status).toBe(200);
    expect((await call("GET", `/api/v1/admin/domain_blocks/${block.id}`, admin)).status).toBe(404);

    const log = await ctx.services.db
      .selectFrom("admin_action_logs")
      .select(["action", "target_type"])
      .where("target_id", "=", block.id as string)
      .orderBy("id")
      .execute();
    expect(log.map((l) => l.action)).toEqual(["create", "update", "destroy"]);
    expect(log.every((l) => l.target_type === "DomainBlock")).toBe(true);
  });

  it("lists public blocks per show_domain_blocks, obfuscated when asked", async () => {
    await call("POST", "/api/v1/admin/domain_blocks", admin, {
      domain: "hidden-name.example",
      severity: "suspend",
      obfuscate: true,
      public_comment: "harassment",
    });
    // Default: signed-in users only.
    expect((await ctx.app.request("/api/v1/instance/domain_blocks")).status).toBe(404);
    const res = await call("GET", "/api/v1/instance/domain_blocks", alice.token);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { domain: string; comment: string | null }[];
    expectResponseSchema("GET", "/api/v1/instance/domain_blocks", 200, body);
    const entry = body.find((b) => b.domain.includes("*") && b.domain.endsWith("ple"));
    expect(entry).toBeDefined();
    expect(entry?.domain).not.toContain("hidden-name");
    expect(entry?.comment).toBe("harassment");

    const open = await call("PATCH", "/api/v1/admin/settings", admin, {
      show_domain_blocks: "all",
      show_domain_blocks_rationale: "disabled",
    });
    expect(open.status).toBe(200);
    const anon = await ctx.app.request("/api/v1/instance/domain_blocks");
    expect(anon.status).toBe(200);
    const anonBody = (await anon.json()) as { comment: string | null }[];
    expect(anonBody.length).toBeGreaterThan(0);
    expect(anonBody.every((b) => b.comment === null)).toBe(true);
  });
});

describe("what a block does", () => {
  it("suspend: refuses signed activities, cuts follows, marks accounts; lifting unmarks", async () => {
    const origin = hosts.origins[0]!;
    const actor: RemoteActor = await hosts.actor(origin, "spammer");
    const host = new URL(origin).host;
    // The actor is known and follows alice; alice follows them back.
    const stored = await ctx.services.db
      .insertInto("accounts")
      .values({
        id: newId(),
        username: "spammer",
        domain: host,
        uri: actor.id,
        inbox_url: `${actor.id}/inbox`,
        public_key_id: actor.keyId,
        public_key_pem: actor.publicKeyPem,
        fetched_at: new Date(),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    const moderatorSuspended = await remoteAccount("127.0.0.1", "already");
    const earlier = new Date("2020-01-01T00:00:00Z");
    await ctx.services.db
      .updateTable("accounts")
      .set({ suspended_at: earlier })
      .where("id", "=", moderatorSuspended.id)
      .execute();
    await ctx.services.db.transaction().execute(async (trx) => {
      for (const [a, b] of [
        [stored.id, alice.account.id],
        [alice.account.id, stored.id],
      ] as const) {
        await insertFollow(trx, {
          id: newId(),
          account_id: a,
          target_account_id: b,
          uri: null,
          show_reblogs: true,
          notify: false,
          languages: null,
        });
      }
    });

    // Before the block a signed Like of nothing is accepted for processing.
    const like = (n: number) => ({
      "@context": AS,
      id: `${actor.id}/likes/${n}`,
      type: "Like",
      actor: actor.id,
      object: `${ORIGIN}/users/alice/statuses/1`,
    });
    const before = await ctx.app.request(await signedPost(`${ORIGIN}/inbox`, like(1), actor));
    expect(before.status).toBe(202);

    const res = await call("POST", "/api/v1/admin/domain_blocks", admin, {
      domain: "127.0.0.1",
      severity: "suspend",
    });
    expect(res.status).toBe(200);
    const block = (await res.json()) as { id: string };

    const refused = await ctx.app.request(await signedPost(`${ORIGIN}/inbox`, like(2), actor));
    expect(refused.status).toBe(403);
    const personal = await ctx.app.request(
      await signedPost(`${ORIGIN}/users/alice/inbox`, like(3), actor),
    );
    expect(personal.status).toBe(403);

    const marked = await ctx.services.db
      .selectFrom("accounts")
      .select(["suspended_at", "followers_count", "following_count"])
      .where("id", "=", stored.id)
      .executeTakeFirstOrThrow();
    expect(marked.suspended_at).not.toBeNull();
    const follows = await ctx.services.db
      .selectFrom("follows")
      .select("id")
      .where((eb) =>
        eb.or([eb("account_id", "=", stored.id), eb("target_account_id", "=", stored.id)]),
      )
      .execute();
    expect(follows).toHaveLength(0);
    const aliceRow = await ctx.services.db
      .selectFrom("accounts")
      .select(["followers_count", "following_count"])
      .where("id", "=", alice.account.id)
      .executeTakeFirstOrThrow();
    expect(aliceRow).toEqual({ followers_count: 0, following_count: 0 });

    // Nothing is resolved from the domain any more.
    expect(
      await accountOfActor(ctx.services, new URL(actor.id), async () => {
        throw new Error("must not fetch");
      }),
    ).toBeNull();

    // Deliveries to the domain are dropped when queued.
    const queued: unknown[] = [];
    const fake: MessageQueue = {
      enqueue: async (m) => {
        queued.push(m);
      },
      listen: async () => {},
    };
    const guarded = skipBlockedDomains(ctx.services, fake);
    await guarded.enqueue({ type: "outbox", inbox: `${origin}/inbox` });
    await guarded.enqueue({ type: "outbox", inbox: "https://elsewhere.example/inbox" });
    expect(queued).toEqual([{ type: "outbox", inbox: "https://elsewhere.example/inbox" }]);

    // Lifting the block clears its own marks only.
    expect((await call("DELETE", `/api/v1/admin/domain_blocks/${block.id}`, admin)).status).toBe(
      200,
    );
    const rows = await ctx.services.db
      .selectFrom("accounts")
      .select(["id", "suspended_at"])
      .where("id", "in", [stored.id, moderatorSuspended.id])
      .execute();
    expect(rows.find((r) => r.id === stored.id)?.suspended_at).toBeNull();
    expect(rows.find((r) => r.id === moderatorSuspended.id)?.suspended_at).toEqual(earlier);
    const accepted = await ctx.app.request(await signedPost(`${ORIGIN}/inbox`, like(4), actor));
    expect(accepted.status).toBe(202);
  });

  it("silence: marks accounts (new ones too) and turns their follows into requests", async () => {
    const old = await remoteAccount("limited.example", "old");
    const res = await call("POST", "/api/v1/admin/domain_blocks", admin, {
      domain: "limited.example",
      severity: "silence",
    });
    expect(res.status).toBe(200);
    const marked = await ctx.services.db
      .selectFrom("accounts")
      .select("silenced_at")
      .where("id", "=", old.id)
      .executeTakeFirstOrThrow();
    expect(marked.silenced_at).not.toBeNull();

    const { createFollow } = await import("../src/relationships/follow-service.ts");
    const result = await createFollow(ctx.services, old.id, alice.account.id);
    expect(result.state).toBe("requested");

    // Their posts are found by search only for their followers.
    const statusId = newId();
    await ctx.services.db
      .insertInto("statuses")
      .values({
        id: statusId,
        account_id: old.id,
        uri: `https://limited.example/statuses/${statusId}`,
        content: "<p>quietword</p>",
        visibility: "public",
        local: false,
      } as never)
      .execute();
    const { searchStatuses } = await import("../src/search/search.ts");
    const search = () =>
      searchStatuses(ctx.services.db, alice.account, "quietword", { offset: 0, limit: 5 });
    expect(await search()).toHaveLength(0);
    await ctx.services.db.transaction().execute(async (trx) => {
      await insertFollow(trx, {
        id: newId(),
        account_id: alice.account.id,
        target_account_id: old.id,
        uri: null,
        show_reblogs: true,
        notify: false,
        languages: null,
      });
    });
    expect((await search()).map((s) => s.id)).toEqual([statusId]);

    // An account first seen after the block arrives silenced (remote-accounts.ts upsert).
    const { upsertRemoteActor } = await import("../federation/remote-accounts.ts");
    const { Person } = await import("@fedify/vocab");
    const fresh = await upsertRemoteActor(
      ctx.services,
      new Person({
        id: new URL("https://sub.limited.example/users/new"),
        preferredUsername: "new",
        inbox: new URL("https://sub.limited.example/users/new/inbox"),
      }),
    );
    expect(fresh.silenced_at).not.toBeNull();
    expect(fresh.suspended_at).toBeNull();
  });

  it("reject_media: attachments from the domain are kept as links only", async () => {
    await call("POST", "/api/v1/admin/domain_blocks", admin, {
      domain: "nomedia.example",
      severity: "noop",
      reject_media: true,
    });
    const author = await remoteAccount("nomedia.example", "painter");
    const statusId = newId();
    await ctx.services.db
      .insertInto("statuses")
      .values({
        id: statusId,
        account_id: author.id,
        uri: `https://nomedia.example/statuses/${statusId}`,
        text: "",
        content: "<p>look</p>",
        visibility: "public",
        local: false,
      } as never)
      .execute();
    await ctx.services.db.transaction().execute(async (trx) => {
      await writeRemoteAttachments(trx, statusId, author.id, [
        {
          url: "https://nomedia.example/files/a.png",
          type: "image",
          contentType: "image/png",
          description: "a picture",
          blurhash: "LEHV6nWB2yk8pyo0adR*.7kCMdnj",
          meta: {},
        },
      ]);
    });
    const media = await ctx.services.db
      .selectFrom("media_attachments")
      .select(["type", "blurhash", "remote_url"])
      .where("status_id", "=", statusId)
      .executeTakeFirstOrThrow();
    expect(media).toEqual({
      type: "unknown",
      blurhash: null,
      remote_url: "https://nomedia.example/files/a.png",
    });
  });
});

describe("/api/v1/admin/domain_allows and LIMITED_FEDERATION_MODE", () => {
  it("manages the allowlist with manage_federation", async () => {
    expect((await call("GET", "/api/v1/admin/domain_allows", moderator)).status).toBe(403);
    expect(
      (await call("POST", "/api/v1/admin/domain_allows", moderator, { domain: "a.example" }))
        .status,
    ).toBe(403);
    const res = await call("POST", "/api/v1/admin/domain_allows", admin, {
      domain: "friends.example",
    });
    expect(res.status).toBe(200);
    const allow = (await res.json()) as { id: string };
    expectSchema("AdminDomainAllow", allow);
    const list = (await (
      await call("GET", "/api/v1/admin/domain_allows", admin)
    ).json()) as unknown[];
    expect(list).toHaveLength(1);
    for (const row of list) expectSchema("AdminDomainAllow", row);
    const shown = await call("GET", `/api/v1/admin/domain_allows/${allow.id}`, admin);
    expectSchema("AdminDomainAllow", await shown.json());

    // In allowlist mode only allowed domains (and their subdomains) federate.
    const limited = { limitedFederation: true };
    expect((await domainPolicy(ctx.services.db, "friends.example", limited)).suspended).toBe(false);
    expect((await domainPolicy(ctx.services.db, "a.friends.example", limited)).suspended).toBe(
      false,
    );
    expect((await domainPolicy(ctx.services.db, "strangers.example", limited)).suspended).toBe(
      true,
    );
    expect((await domainPolicy(ctx.services.db, "strangers.example")).suspended).toBe(false);

    expect(
      (await call("DELETE", `/api/v1/admin/domain_allows/${allow.id}`, moderator)).status,
    ).toBe(403);
    expect((await call("DELETE", `/api/v1/admin/domain_allows/${allow.id}`, admin)).status).toBe(
      200,
    );
    expect((await domainPolicy(ctx.services.db, "friends.example", limited)).suspended).toBe(true);
  });

  it("refuses inbox posts from domains not allowed when the mode is on", async () => {
    const limitedCtx = await createTestContext({
      PUBLIC_URL: ORIGIN,
      FEDERATION_ALLOW_PRIVATE_ADDRESS: "true",
      LIMITED_FEDERATION_MODE: "true",
    });
    try {
      const actor = await hosts.actor(hosts.origins[0]!, "stranger");
      const activity = {
        "@context": AS,
        id: `${actor.id}/likes/x`,
        type: "Like",
        actor: actor.id,
        object: `${ORIGIN}/users/alice/statuses/1`,
      };
      const res = await limitedCtx.app.request(
        await signedPost(`${ORIGIN}/inbox`, activity, actor),
      );
      expect(res.status).toBe(403);
    } finally {
      await limitedCtx.close();
    }
  });
});
