// The federation surface one instance serves: WebFinger, actor documents with stable keys,
// NodeInfo (once), collections and the authorization of followers-only objects.
import { Note, Person } from "@fedify/vocab";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApp } from "../src/app.ts";
import { parseConfig } from "../src/config.ts";
import { newId } from "../src/infra/ids.ts";
import { insertFollow } from "../src/relationships/follow-service.ts";
import { createServices } from "../src/services.ts";
import { createUserWithToken } from "./helpers/auth.ts";
import { createTestBackend, type TestBackend } from "./helpers/backend.ts";
import type { TestContext } from "./helpers/services.ts";

const AP = "application/activity+json";
let backend: TestBackend;
let ctx: TestContext;
let aliceId: string;

async function open(): Promise<TestContext> {
  const config = parseConfig({
    SECRET_KEY: "test-secret-key-test-secret-key-0123456789",
    LOG_LEVEL: "warning",
    PUBLIC_URL: "https://roost.test",
    ...backend.env,
  });
  const services = await createServices(config);
  return { backend, config, services, app: createApp(services), close: () => services.close() };
}

async function actorJson(c: TestContext, name: string): Promise<Record<string, unknown>> {
  const res = await c.app.request(`/users/${name}`, { headers: { Accept: AP } });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/activity\+json|ld\+json/);
  return (await res.json()) as Record<string, unknown>;
}

beforeAll(async () => {
  backend = await createTestBackend();
  ctx = await open();
  aliceId = (await createUserWithToken(ctx, { username: "alice" })).account.id;
});

afterAll(async () => {
  await ctx?.close();
  await backend?.cleanup();
});

describe("WebFinger", () => {
  it("resolves acct: handles, case-insensitively", async () => {
    const res = await ctx.app.request("/.well-known/webfinger?resource=acct:ALICE@roost.test");
    expect(res.status).toBe(200);
    const jrd = (await res.json()) as { subject: string; links: { rel: string; href?: string }[] };
    const self = jrd.links.find((l) => l.rel === "self");
    expect(self?.href).toBe("https://roost.test/users/alice");
  });

  it("resolves the profile URL and the actor URL", async () => {
    for (const resource of ["https://roost.test/@alice", "https://roost.test/users/alice"]) {
      const res = await ctx.app.request(
        `/.well-known/webfinger?resource=${encodeURIComponent(resource)}`,
      );
      expect(res.status, resource).toBe(200);
      const jrd = (await res.json()) as { links: { rel: string; href?: string }[] };
      expect(jrd.links.find((l) => l.rel === "self")?.href).toBe("https://roost.test/users/alice");
    }
  });

  it("answers 404 for unknown accounts", async () => {
    const res = await ctx.app.request("/.well-known/webfinger?resource=acct:nobody@roost.test");
    expect(res.status).toBe(404);
  });
});

describe("actor", () => {
  it("is a Person with an RSA key and Multikeys", async () => {
    const json = await actorJson(ctx, "alice");
    const person = await Person.fromJsonLd(json);
    expect(person).toBeInstanceOf(Person);
    expect(person.id?.href).toBe("https://roost.test/users/alice");
    expect(person.preferredUsername).toBe("alice");
    expect(person.inboxId?.href).toBe("https://roost.test/users/alice/inbox");
    expect(person.endpoints?.sharedInbox?.href).toBe("https://roost.test/inbox");
    expect(person.followersId?.href).toBe("https://roost.test/users/alice/followers");
    const key = await person.getPublicKey();
    expect(key?.id?.href).toMatch(/^https:\/\/roost\.test\/users\/alice#/);
    const multikeys = [];
    for await (const m of person.getAssertionMethods()) multikeys.push(m);
    expect(multikeys.length).toBe(2);
    expect(json.publicKey).toMatchObject({
      publicKeyPem: expect.stringContaining("BEGIN PUBLIC KEY"),
    });
  });

  it("keeps its keys across requests and restarts", async () => {
    const first = await actorJson(ctx, "alice");
    const second = await actorJson(ctx, "alice");
    expect(second.publicKey).toEqual(first.publicKey);
    expect(second.assertionMethod).toEqual(first.assertionMethod);
    await ctx.close();
    ctx = await open();
    const afterRestart = await actorJson(ctx, "alice");
    expect(afterRestart.publicKey).toEqual(first.publicKey);
    expect(afterRestart.assertionMethod).toEqual(first.assertionMethod);
    const rows = await ctx.services.db
      .selectFrom("account_keys")
      .select("type")
      .where("account_id", "=", aliceId)
      .execute();
    expect(rows.map((r) => r.type).sort()).toEqual(["ed25519", "rsa"]);
  });

  it("serves the instance actor", async () => {
    const json = await actorJson(ctx, "instance.actor");
    expect(json.type).toBe("Application");
    expect(json.publicKey).toBeTruthy();
  });

  it("leaves non-ActivityPub requests and API paths to the routes", async () => {
    const res = await ctx.app.request("/users/nobody", { headers: { Accept: AP } });
    expect(res.status).toBe(404);
    const api = await ctx.app.request("/api/v1/instance");
    expect(api.status).toBe(200);
  });
});

describe("NodeInfo", () => {
  it("is linked once and served", async () => {
    const res = await ctx.app.request("/.well-known/nodeinfo");
    expect(res.status).toBe(200);
    const body = (await res.json()) as { links: { href: string }[] };
    expect(body.links).toHaveLength(1);
    const info = await ctx.app.request(new URL(body.links[0]!.href).pathname);
    expect(info.status).toBe(200);
    expect(((await info.json()) as { usage: { users: { total: number } } }).usage.users.total).toBe(
      1,
    );
  });
});

describe("collections and objects", () => {
  let publicId: string;
  let privateId: string;

  beforeAll(async () => {
    const { db } = ctx.services;
    const remote = await db
      .insertInto("accounts")
      .values({
        id: newId(),
        username: "bob",
        domain: "remote.test",
        uri: "https://remote.test/users/bob",
        inbox_url: "https://remote.test/users/bob/inbox",
        shared_inbox_url: "https://remote.test/inbox",
      })
      .returning("id")
      .executeTakeFirstOrThrow();
    await insertFollow(db, {
      id: newId(),
      account_id: remote.id,
      target_account_id: aliceId,
      uri: "https://remote.test/follows/1",
      show_reblogs: true,
      notify: false,
      languages: null,
    });
    for (const visibility of ["public", "private"] as const) {
      const id = newId();
      await db
        .insertInto("statuses")
        .values({
          id,
          uri: `https://roost.test/users/alice/statuses/${id}`,
          url: `https://roost.test/@alice/${id}`,
          account_id: aliceId,
          local: true,
          content: `<p>${visibility} post</p>`,
          visibility,
        })
        .execute();
      if (visibility === "public") publicId = id;
      else privateId = id;
    }
  });

  it("counts and lists followers", async () => {
    const res = await ctx.app.request("/users/alice/followers", { headers: { Accept: AP } });
    expect(res.status).toBe(200);
    const json = (await res.json()) as { totalItems: number; first: unknown };
    expect(json.totalItems).toBe(1);
    const page = await ctx.app.request("/users/alice/followers?cursor=", {
      headers: { Accept: AP },
    });
    const pageJson = (await page.json()) as { orderedItems: unknown };
    expect(JSON.stringify(pageJson.orderedItems)).toContain("https://remote.test/users/bob");
  });

  it("counts the outbox", async () => {
    const res = await ctx.app.request("/users/alice/outbox", { headers: { Accept: AP } });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { totalItems: number }).totalItems).toBe(1);
  });

  it("serves public Notes and hides followers-only ones from unsigned requests", async () => {
    const pub = await ctx.app.request(`/users/alice/statuses/${publicId}`, {
      headers: { Accept: AP },
    });
    expect(pub.status).toBe(200);
    const note = await Note.fromJsonLd(await pub.json());
    expect(note.toIds.map((u) => u.href)).toContain("https://www.w3.org/ns/activitystreams#Public");
    expect(note.ccIds.map((u) => u.href)).toContain("https://roost.test/users/alice/followers");
    const priv = await ctx.app.request(`/users/alice/statuses/${privateId}`, {
      headers: { Accept: AP },
    });
    expect([401, 404]).toContain(priv.status);
    expect(await priv.text()).not.toContain("private post");
  });
});
