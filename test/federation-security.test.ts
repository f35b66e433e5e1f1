// Security regressions through the real HTTP inbox: requests signed (or not) as remote
// servers would sign them, the sending actors served by loopback hosts. Each case names
// the attack it stands for.
import { generateCryptoKeyPair } from "@fedify/fedify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lookupRemote } from "../federation/lookup.ts";
import { sendStatus } from "../federation/outbox.ts";
import { newId } from "../src/infra/ids.ts";
import { createUserWithToken } from "./helpers/auth.ts";
import { fixture } from "./helpers/inbox-fixtures.ts";
import { until } from "./helpers/queue-backends.ts";
import {
  type RemoteActor,
  type RemoteHosts,
  signedPost,
  startRemoteHosts,
} from "./helpers/remote-actors.ts";
import { createTestContext, type TestContext } from "./helpers/services.ts";

const ORIGIN = "https://testing.local";
const AS = "https://www.w3.org/ns/activitystreams";
const PUBLIC = `${AS}#Public`;

let ctx: TestContext;
let hosts: RemoteHosts;
let karen: Awaited<ReturnType<typeof createUserWithToken>>;
let mallory: RemoteActor;
let eve: RemoteActor;
let counter = 0;

beforeAll(async () => {
  hosts = await startRemoteHosts(6);
  ctx = await createTestContext(
    { PUBLIC_URL: ORIGIN, FEDERATION_ALLOW_PRIVATE_ADDRESS: "true" },
    { workers: true },
  );
  karen = await createUserWithToken(ctx, { username: "karen" });
  mallory = await hosts.actor(hosts.origins[0]!, "mallory");
  eve = await hosts.actor(hosts.origins[1]!, "eve");
}, 90_000);
afterAll(async () => {
  await ctx?.close();
  await hosts?.close();
});

async function post(path: string, activity: Record<string, unknown> | string, by?: RemoteActor) {
  const req = await signedPost(`${ORIGIN}${path}`, activity, by);
  return await ctx.app.request(req);
}

function noteBy(actor: RemoteActor, extra: Record<string, unknown> = {}) {
  const id = `${actor.id}/statuses/${++counter}`;
  return {
    "@context": AS,
    id: `${id}/activity`,
    type: "Create",
    actor: actor.id,
    to: [PUBLIC],
    object: {
      id,
      type: "Note",
      attributedTo: actor.id,
      to: [PUBLIC],
      content: `<p>note ${counter}</p>`,
      published: new Date().toISOString(),
      ...extra,
    },
  };
}

async function statusCount(): Promise<number> {
  const row = await ctx.services.db
    .selectFrom("statuses")
    .select((eb) => eb.fn.countAll<string>().as("n"))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

async function statusByUri(uri: string) {
  return await ctx.services.db
    .selectFrom("statuses")
    .selectAll()
    .where("uri", "=", uri)
    .executeTakeFirst();
}

/**
 * Waits until the inbox queue has handled what was accepted: a legitimate post sent
 * afterwards is stored and nothing is left waiting.
 */
async function settle(): Promise<void> {
  const control = noteBy(eve);
  expect((await post("/inbox", control, eve)).status).toBe(202);
  await until(async () => (await statusByUri(control.object.id)) !== undefined, 15_000);
  await until(async () => (await ctx.services.queues.inbox.getDepth()).queued === 0, 15_000);
}

describe("HTTP signatures", () => {
  it("refuses an unsigned activity (401) and stores nothing", async () => {
    const before = await statusCount();
    const res = await post("/inbox", noteBy(mallory));
    expect(res.status).toBe(401);
    await settle();
    expect(await statusCount()).toBe(before + 1); // the control post only
  });

  it("refuses a signature that doesn't verify against the actor's key", async () => {
    const other = await generateCryptoKeyPair("RSASSA-PKCS1-v1_5");
    const forged = { privateKey: other.privateKey, keyId: mallory.keyId };
    const activity = noteBy(mallory);
    for (const path of ["/inbox", "/users/karen/inbox"]) {
      const req = await signedPost(`${ORIGIN}${path}`, activity, forged as RemoteActor);
      expect((await ctx.app.request(req)).status).toBe(401);
    }
    // A body changed after signing (the digest no longer matches).
    const signed = await signedPost(`${ORIGIN}/inbox`, activity, mallory);
    const tampered = new Request(signed, { body: JSON.stringify({ ...activity, to: [] }) });
    expect((await ctx.app.request(tampered)).status).toBeGreaterThanOrEqual(400);
    await settle();
    expect(await statusByUri(activity.object.id)).toBeUndefined();
  });

  it("refuses an activity signed by a key of another actor (CVE-2025-54888)", async () => {
    // Mallory signs, the activity claims to be Eve's (and Eve's post).
    const activity = noteBy(eve);
    const res = await post("/inbox", activity, mallory);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    await settle();
    expect(await statusByUri(activity.object.id)).toBeUndefined();
  });
});

describe("fetched documents", () => {
  it("refuses an object whose id is on another origin than its URL (CVE-2024-23832)", async () => {
    const [, , a, b] = hosts.origins;
    const url = `${a}/uploads/evil.json`;
    hosts.serve(url, {
      "@context": AS,
      id: `${b}/notes/1`,
      type: "Note",
      attributedTo: `${b}/users/victim`,
      content: "forged",
    });
    expect(await lookupRemote(ctx.services, url)).toBeNull();
    // Boosted through the inbox: nothing is stored either.
    const announce = {
      "@context": AS,
      id: `${mallory.id}/boosts/${++counter}`,
      type: "Announce",
      actor: mallory.id,
      to: [PUBLIC],
      object: url,
    };
    expect((await post("/inbox", announce, mallory)).status).toBe(202);
    await settle();
    expect(await statusByUri(announce.id)).toBeUndefined();
    expect(await statusByUri(`${b}/notes/1`)).toBeUndefined();
  });

  it("refuses a response without an ActivityPub content type (Misskey CVE-2024-25636)", async () => {
    const id = `${mallory.id}/statuses/html`;
    const doc = { "@context": AS, id, type: "Note", attributedTo: mallory.id, content: "x" };
    hosts.serve(id, doc, "text/html; charset=utf-8");
    expect(await lookupRemote(ctx.services, id)).toBeNull();
    const announce = {
      "@context": AS,
      id: `${mallory.id}/boosts/${++counter}`,
      type: "Announce",
      actor: mallory.id,
      to: [PUBLIC],
      object: id,
    };
    expect((await post("/inbox", announce, mallory)).status).toBe(202);
    await settle();
    expect(await statusByUri(id)).toBeUndefined();
  });
});

describe("spoofed fixtures through the HTTP inbox", () => {
  // The fixtures' hosts, each on its own loopback origin.
  const map = () => ({
    "https://mastodon.local": hosts.origins[2]!,
    "https://mocked.local": hosts.origins[3]!,
    "https://instance.local": hosts.origins[4]!,
    "https://patch.local": hosts.origins[5]!,
  });
  const actors = new Map<string, RemoteActor>();
  beforeAll(async () => {
    const m = map();
    const wanted: [string, string][] = [
      [m["https://mastodon.local"], "admin"],
      [m["https://mocked.local"], "karen"],
      [m["https://mocked.local"], "emelie"],
      [m["https://instance.local"], "karen"],
      [m["https://patch.local"], "rin"],
    ];
    for (const [origin, name] of wanted) {
      const actor = await hosts.actor(origin, name);
      actors.set(actor.id, actor);
    }
    // Litepub's schema, as an empty context (its terms don't matter here).
    for (const origin of [m["https://instance.local"], m["https://patch.local"]]) {
      hosts.serve(
        `${origin}/schemas/litepub-0.1.jsonld`,
        { "@context": {} },
        "application/ld+json",
      );
    }
  });

  async function send(json: Record<string, unknown>) {
    const actor = actors.get(json.actor as string);
    if (!actor) throw new Error(`no actor ${json.actor}`);
    return await post("/inbox", json, actor);
  }

  it("creates nothing from any of them", async () => {
    const before = await statusCount();
    const m = map();
    // An Announce embedding someone else's post (not served: the copy must not be believed).
    const bogus = fixture("bogus-mastodon-announce.json", m);
    expect((await send(bogus)).status).toBe(202);
    // A post whose id is on one host and author on another, sent by either.
    const note = fixture("spoofed_pleroma_note.json", m);
    for (const actor of [`${m["https://mocked.local"]}/users/karen`, note.id as string]) {
      const sender = actor.startsWith(m["https://instance.local"])
        ? `${m["https://instance.local"]}/users/karen`
        : actor;
      const create = {
        "@context": AS,
        id: `${sender}/creates/${++counter}`,
        type: "Create",
        actor: sender,
        to: [PUBLIC],
        object: note,
      };
      expect((await send(create)).status).toBe(202);
    }
    // A post document served at a file URL of the author's host, boosted by its "author".
    const file = `${m["https://patch.local"]}/media/spoof.json`;
    hosts.serve(file, fixture("spoofed-object.json", m));
    const announce = {
      "@context": AS,
      id: `${m["https://patch.local"]}/users/rin/boosts/1`,
      type: "Announce",
      actor: `${m["https://patch.local"]}/users/rin`,
      to: [PUBLIC],
      object: file,
    };
    expect((await send(announce)).status).toBe(202);
    await settle();
    expect(await statusCount()).toBe(before + 1); // the control post only
  });
});

describe("limits and repeats", () => {
  it("answers 413 to an inbox payload over the body limit", async () => {
    const big = noteBy(mallory, { content: "x".repeat(1_100_000) });
    for (const path of ["/inbox", "/users/karen/inbox"]) {
      expect((await post(path, big, mallory)).status).toBe(413);
    }
  });

  it("gives the same activity delivered twice one effect", async () => {
    const activity = noteBy(mallory);
    expect((await post("/inbox", activity, mallory)).status).toBe(202);
    expect((await post("/users/karen/inbox", activity, mallory)).status).toBe(202);
    await settle();
    const rows = await ctx.services.db
      .selectFrom("statuses")
      .select("id")
      .where("uri", "=", activity.object.id)
      .execute();
    expect(rows).toHaveLength(1);
  });
});

describe("blocks", () => {
  it("keeps a blocked account's activities from the blocker, and sends it nothing", async () => {
    const karenUri = `${ORIGIN}/users/karen`;
    const first = noteBy(mallory);
    const fromEve = noteBy(eve);
    for (const [a, by] of [
      [first, mallory],
      [fromEve, eve],
    ] as const) {
      expect((await post("/inbox", a, by)).status).toBe(202);
    }
    await settle();
    const malloryRow = await ctx.services.db
      .selectFrom("accounts")
      .select("id")
      .where("uri", "=", mallory.id)
      .executeTakeFirstOrThrow();
    const auth = { authorization: `Bearer ${karen.token}` };
    const block = await ctx.app.request(`/api/v1/accounts/${malloryRow.id}/block`, {
      method: "POST",
      headers: auth,
    });
    expect(block.status).toBe(200);
    // A mention and a follow from the blocked account reach nobody.
    const mention = noteBy(mallory, {
      to: [PUBLIC, karenUri],
      tag: [{ type: "Mention", href: karenUri, name: "@karen@testing.local" }],
      content: "<p>@karen hi</p>",
    });
    expect((await post("/users/karen/inbox", mention, mallory)).status).toBe(202);
    const follow = {
      "@context": AS,
      id: `${mallory.id}/follows/${++counter}`,
      type: "Follow",
      actor: mallory.id,
      object: karenUri,
    };
    expect((await post("/users/karen/inbox", follow, mallory)).status).toBe(202);
    await settle();
    const notes = await ctx.services.db
      .selectFrom("notifications")
      .select("type")
      .where("account_id", "=", karen.account.id)
      .where("from_account_id", "=", malloryRow.id)
      .execute();
    expect(notes).toEqual([]);
    const feed = await ctx.services.db
      .selectFrom("home_feed")
      .innerJoin("statuses", "statuses.id", "home_feed.status_id")
      .select("statuses.uri")
      .where("home_feed.account_id", "=", karen.account.id)
      .where("statuses.account_id", "=", malloryRow.id)
      .execute();
    expect(feed).toEqual([]);
    const follows = await ctx.services.db
      .selectFrom("follows")
      .select("id")
      .where("account_id", "=", malloryRow.id)
      .execute();
    expect(follows).toEqual([]);
    // A post mentioning both goes to Eve and not to Mallory (outbound skips blocks).
    const eveRow = await ctx.services.db
      .selectFrom("accounts")
      .select("id")
      .where("uri", "=", eve.id)
      .executeTakeFirstOrThrow();
    const id = newId();
    const uri = `${karenUri}/statuses/${id}`;
    await ctx.services.db
      .insertInto("statuses")
      .values({
        id,
        uri,
        url: null,
        account_id: karen.account.id,
        local: true,
        in_reply_to_id: null,
        in_reply_to_account_id: null,
        in_reply_to_uri: null,
        reblog_of_id: null,
        conversation_id: null,
        visibility: "direct",
        language: null,
        application_id: null,
        edited_at: null,
        content: "<p>hi both</p>",
      })
      .execute();
    await ctx.services.db
      .insertInto("mentions")
      .values([
        { status_id: id, account_id: malloryRow.id },
        { status_id: id, account_id: eveRow.id },
      ])
      .execute();
    await sendStatus(ctx.services, id, "create");
    const deliveredTo = (origin: string) =>
      hosts.received.some(
        (r) => r.method === "POST" && r.url.startsWith(origin) && r.body.includes(uri),
      );
    await until(() => deliveredTo(hosts.origins[1]!), 20_000);
    await until(async () => (await ctx.services.queues.outbox.getDepth()).queued === 0, 15_000);
    expect(deliveredTo(hosts.origins[0]!)).toBe(false);
  });
});

describe("private addresses (FEDERATION_ALLOW_PRIVATE_ADDRESS=false)", () => {
  let strict: TestContext;
  beforeAll(async () => {
    strict = await createTestContext({ PUBLIC_URL: "https://strict.local" });
  }, 90_000);
  afterAll(async () => {
    await strict?.close();
  });

  it("fetches nothing from loopback or private networks and answers 4xx, not 500", async () => {
    const { token } = await createUserWithToken(strict, { username: "sam" });
    const port = new URL(hosts.origins[0]!).port;
    const before = hosts.received.length;
    const auth = { authorization: `Bearer ${token}` };
    for (const host of [`127.0.0.1:${port}`, "10.0.0.1", "192.168.1.1", "[::1]", "localhost"]) {
      const lookup = await strict.app.request(
        `/api/v1/accounts/lookup?acct=${encodeURIComponent(`mallory@${host}`)}`,
        { headers: auth },
      );
      expect(lookup.status).toBeGreaterThanOrEqual(400);
      expect(lookup.status).toBeLessThan(500);
      for (const q of [`@mallory@${host}`, `http://${host}/users/mallory`]) {
        const search = await strict.app.request(
          `/api/v2/search?resolve=true&q=${encodeURIComponent(q)}`,
          { headers: auth },
        );
        expect(search.status).toBeLessThan(500);
        if (search.status === 200) {
          const body = (await search.json()) as { accounts: unknown[]; statuses: unknown[] };
          expect([...body.accounts, ...body.statuses]).toEqual([]);
        }
      }
    }
    expect(await lookupRemote(strict.services, mallory.id)).toBeNull();
    // An activity whose key lives on loopback: its key can't be fetched, so it's refused.
    const res = await strict.app.request(
      await signedPost("https://strict.local/inbox", noteBy(mallory), mallory),
    );
    expect(res.status).toBe(401);
    expect(hosts.received.length).toBe(before);
  });
});
