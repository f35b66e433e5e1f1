// Web Push: subscriptions per access token, and notifications delivered by the worker to a
// push endpoint on 127.0.0.1, which this test decrypts itself (RFC 8291 aes128gcm) and
// whose VAPID signature (RFC 8292) it verifies against the instance's public key.
import {
  createDecipheriv,
  createECDH,
  createPublicKey,
  type ECDH,
  hkdfSync,
  randomBytes,
  verify,
} from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { issueAccessToken } from "../src/oauth/access-tokens.ts";
import { createTestApplication, createUserWithToken } from "./helpers/auth.ts";
import { expectSchema } from "./helpers/openapi.ts";
import { sleep, until } from "./helpers/queue-backends.ts";
import { createTestContext, type TestContext } from "./helpers/services.ts";

// biome-ignore lint/suspicious/noExplicitAny: JSON bodies of several shapes.
type Json = any;
type User = Awaited<ReturnType<typeof createUserWithToken>>;

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

let ctx: TestContext;
let server: Server;
let base: string;
const received: Received[] = [];
/** What the endpoint answers, by path; 201 when unset. */
const answers = new Map<string, number>();
let alice: User;
let bob: User;

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const path = req.url ?? "/";
      received.push({ path, headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(answers.get(path) ?? 201).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // Private addresses (and plain http) are allowed only for tests like this one.
  ctx = await createTestContext({ FEDERATION_ALLOW_PRIVATE_ADDRESS: "true" }, { workers: true });
  alice = await createUserWithToken(ctx, { username: "alice" });
  bob = await createUserWithToken(ctx, { username: "bob" });
});
afterAll(async () => {
  await ctx?.close();
  await new Promise((resolve) => server?.close(resolve));
});

async function call(method: string, path: string, token?: string, form?: Record<string, string>) {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (form) headers["content-type"] = "application/x-www-form-urlencoded";
  const res = await ctx.app.request(path, {
    method,
    headers,
    body: form ? new URLSearchParams(form).toString() : undefined,
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as Json };
}

/** A browser's side of a subscription: its key pair and auth secret. */
function clientKeys() {
  const ecdh = createECDH("prime256v1");
  ecdh.generateKeys();
  return { ecdh, p256dh: ecdh.getPublicKey().toString("base64url"), auth: randomBytes(16) };
}

function subscribeForm(path: string, keys: ReturnType<typeof clientKeys>, extra = {}) {
  return {
    "subscription[endpoint]": `${base}${path}`,
    "subscription[keys][p256dh]": keys.p256dh,
    "subscription[keys][auth]": keys.auth.toString("base64url"),
    "subscription[standard]": "true",
    ...extra,
  };
}

/** RFC 8291 / RFC 8188: one aes128gcm record, decrypted with the subscriber's keys. */
function decrypt(body: Buffer, ecdh: ECDH, auth: Buffer): string {
  const salt = body.subarray(0, 16);
  const idLength = body[20]!;
  const serverKey = body.subarray(21, 21 + idLength);
  const record = body.subarray(21 + idLength);
  const shared = ecdh.computeSecret(serverKey);
  const keyInfo = Buffer.concat([Buffer.from("WebPush: info\0"), ecdh.getPublicKey(), serverKey]);
  const ikm = Buffer.from(hkdfSync("sha256", shared, auth, keyInfo, 32));
  const cek = Buffer.from(hkdfSync("sha256", ikm, salt, "Content-Encoding: aes128gcm\0", 16));
  const nonce = Buffer.from(hkdfSync("sha256", ikm, salt, "Content-Encoding: nonce\0", 12));
  const decipher = createDecipheriv("aes-128-gcm", cek, nonce);
  decipher.setAuthTag(record.subarray(record.length - 16));
  const padded = Buffer.concat([
    decipher.update(record.subarray(0, record.length - 16)),
    decipher.final(),
  ]);
  // The last record ends with the delimiter 0x02, then optional zero padding.
  let end = padded.length - 1;
  while (end > 0 && padded[end] === 0) end--;
  expect(padded[end]).toBe(2);
  return padded.subarray(0, end).toString("utf8");
}

/** Checks `Authorization: vapid t=<jwt>, k=<key>` against the instance's public key. */
function verifyVapid(header: string, serverKey: string, endpoint: string) {
  const match = /^vapid t=([^,]+),\s*k=(.+)$/.exec(header);
  expect(match, header).not.toBeNull();
  const [, jwt, k] = match!;
  expect(k).toBe(serverKey);
  const [head, claims, signature] = jwt!.split(".");
  const point = Buffer.from(serverKey, "base64url");
  const key = createPublicKey({
    format: "jwk",
    key: {
      kty: "EC",
      crv: "P-256",
      x: point.subarray(1, 33).toString("base64url"),
      y: point.subarray(33, 65).toString("base64url"),
    },
  });
  const ok = verify(
    "sha256",
    Buffer.from(`${head}.${claims}`),
    { key, dsaEncoding: "ieee-p1363" },
    Buffer.from(signature!, "base64url"),
  );
  expect(ok).toBe(true);
  const payload = JSON.parse(Buffer.from(claims!, "base64url").toString("utf8"));
  expect(payload.aud).toBe(new URL(endpoint).origin);
  expect(payload.exp * 1000).toBeGreaterThan(Date.now());
}

async function waitForPush(path: string, count = 1): Promise<Received> {
  await until(() => received.filter((r) => r.path === path).length >= count, 15_000);
  return received.filter((r) => r.path === path)[count - 1]!;
}

async function mention(from: User, to: string, text = "hello") {
  const r = await call("POST", "/api/v1/statuses", from.token, { status: `@${to} ${text}` });
  expect(r.status).toBe(200);
  return r.body.id as string;
}

describe("push subscriptions", () => {
  const keys = clientKeys();
  let serverKey: string;
  let otherToken: string;

  it("POST creates one, with the instance's VAPID key", async () => {
    const r = await call(
      "POST",
      "/api/v1/push/subscription",
      alice.token,
      subscribeForm("/alice", keys, {
        "data[alerts][mention]": "true",
        "data[alerts][follow]": "1",
        "data[policy]": "all",
      }),
    );
    expect(r.status).toBe(200);
    expectSchema("WebPushSubscription", r.body);
    expect(r.body).toMatchObject({
      endpoint: `${base}/alice`,
      standard: true,
      policy: "all",
      alerts: { mention: true, follow: true, favourite: false, reblog: false, poll: false },
    });
    serverKey = r.body.server_key;
    const instance = await call("GET", "/api/v2/instance");
    expect(instance.body.configuration.vapid.public_key).toBe(serverKey);
    const app = await call("GET", "/api/v1/apps/verify_credentials", alice.token);
    expect(app.body.vapid_key).toBe(serverKey);
  });

  it("is visible to and changeable by its own token only", async () => {
    const app = await createTestApplication(ctx.services.db);
    otherToken = (
      await issueAccessToken(ctx.services.db, {
        applicationId: app.id,
        accountId: alice.account.id,
        scopes: ["read", "write", "push"],
      })
    ).access_token;
    expect((await call("GET", "/api/v1/push/subscription", otherToken)).status).toBe(404);
    const put = { "data[alerts][mention]": "false" };
    expect((await call("PUT", "/api/v1/push/subscription", otherToken, put)).status).toBe(404);
    expect((await call("DELETE", "/api/v1/push/subscription", otherToken)).status).toBe(200);
    const own = await call("GET", "/api/v1/push/subscription", alice.token);
    expect(own.status).toBe(200);
    expect(own.body.alerts.mention).toBe(true);

    // The `push` scope is required.
    const readOnly = await createUserWithToken(ctx, { scopes: ["read", "write"] });
    expect((await call("GET", "/api/v1/push/subscription", readOnly.token)).status).toBe(403);
    expect((await call("GET", "/api/v1/push/subscription")).status).toBe(401);
  });

  it("refuses broken keys", async () => {
    const bad = { ...subscribeForm("/x", keys), "subscription[keys][auth]": "short" };
    expect((await call("POST", "/api/v1/push/subscription", otherToken, bad)).status).toBe(422);
  });

  it("a mention is pushed, encrypted and signed, with Mastodon's payload", async () => {
    const statusId = await mention(bob, "alice", "are you coming tonight?");
    const push = await waitForPush("/alice");
    expect(push.headers["content-encoding"]).toBe("aes128gcm");
    expect(Number(push.headers.ttl)).toBeGreaterThan(0);
    verifyVapid(String(push.headers.authorization), serverKey, `${base}/alice`);

    const text = decrypt(push.body, keys.ecdh, keys.auth);
    const payload = JSON.parse(text);
    const notifications = await call("GET", "/api/v1/notifications", alice.token);
    const notification = notifications.body.find((n: Json) => n.status?.id === statusId);
    // The id is a JSON number, with every digit (apps decode it as a 64-bit integer).
    expect(text).toContain(`"notification_id":${notification.id}`);
    expect(payload).toMatchObject({
      access_token: alice.token,
      preferred_locale: "en",
      notification_type: "mention",
      title: "bob mentioned you",
    });
    expect(payload.body).toContain("are you coming tonight?");
    expect(payload.icon).toMatch(/^https?:\/\//);
  });

  it("PUT changes alerts and policy; only wanted notifications are pushed", async () => {
    const r = await call("PUT", "/api/v1/push/subscription", alice.token, {
      "data[alerts][mention]": "false",
      "data[policy]": "followed",
    });
    expect(r.status).toBe(200);
    expectSchema("WebPushSubscription", r.body);
    expect(r.body.alerts).toMatchObject({ mention: false, follow: true });
    expect(r.body.policy).toBe("followed");

    // A witness subscription (alice's other token) that wants everything.
    const witness = clientKeys();
    const all = Object.fromEntries(
      ["mention", "follow", "favourite"].map((t) => [`data[alerts][${t}]`, "true"]),
    );
    expect(
      (
        await call(
          "POST",
          "/api/v1/push/subscription",
          otherToken,
          subscribeForm("/witness", witness, all),
        )
      ).status,
    ).toBe(200);
    const before = received.filter((x) => x.path === "/alice").length;

    await mention(bob, "alice", "mentions are off");
    // bob follows alice: `follow` is on, but alice doesn't follow bob (policy `followed`).
    expect(
      (await call("POST", `/api/v1/accounts/${alice.account.id}/follow`, bob.token)).status,
    ).toBe(200);
    await waitForPush("/witness", 2);
    await sleep(500);
    expect(received.filter((x) => x.path === "/alice").length).toBe(before);

    // Once alice follows bob, his notifications pass the policy.
    await call("POST", `/api/v1/accounts/${bob.account.id}/follow`, alice.token);
    await call("POST", `/api/v1/accounts/${alice.account.id}/unfollow`, bob.token);
    await call("POST", `/api/v1/accounts/${alice.account.id}/follow`, bob.token);
    const push = await waitForPush("/alice", before + 1);
    const payload = JSON.parse(decrypt(push.body, keys.ecdh, keys.auth));
    expect(payload.notification_type).toBe("follow");
  });

  it("a subscription whose endpoint answers 410 is removed", async () => {
    answers.set("/alice", 410);
    const count = received.filter((x) => x.path === "/alice").length;
    await call("PUT", "/api/v1/push/subscription", alice.token, {
      "data[alerts][mention]": "true",
    });
    await mention(bob, "alice", "this one bounces");
    await waitForPush("/alice", count + 1);
    await until(
      async () => (await call("GET", "/api/v1/push/subscription", alice.token)).status === 404,
    );
    // The other token's subscription is untouched.
    expect((await call("GET", "/api/v1/push/subscription", otherToken)).status).toBe(200);
  });

  it("legacy subscriptions get the aesgcm draft encoding", async () => {
    const legacy = clientKeys();
    const form = { ...subscribeForm("/legacy", legacy, { "data[alerts][mention]": "true" }) };
    delete (form as Record<string, string>)["subscription[standard]"];
    const r = await call("POST", "/api/v1/push/subscription", bob.token, form);
    expect(r.body.standard).toBe(false);
    await mention(alice, "bob", "old style");
    const push = await waitForPush("/legacy");
    expect(push.headers["content-encoding"]).toBe("aesgcm");
    expect(String(push.headers.encryption)).toMatch(/^salt=/);
    expect(String(push.headers["crypto-key"])).toContain("dh=");
    expect(String(push.headers.authorization)).toMatch(/^WebPush /);
  });

  it("DELETE removes it", async () => {
    expect((await call("DELETE", "/api/v1/push/subscription", otherToken)).status).toBe(200);
    expect((await call("GET", "/api/v1/push/subscription", otherToken)).status).toBe(404);
  });
});
